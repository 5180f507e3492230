// Which engine each --engine value gives: `auto` stays on the CPU engine until the GPU engine
// has passed its checks on a GPU (make_engine.cpp), whether or not a device is present; `gpu`
// without a usable device is refused with the reason; `gpu-portable` needs no device.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "host/engine/engine.h"
#include "host/engines/engines.h"

namespace clickagg {
namespace {

TEST(EngineChoice, AutoIsTheCpuEngineUntilTheGpuEngineIsVerified) {
  EXPECT_EQ(make_engine(EngineKind::Auto, EngineConfig{})->name(), "cpu");
  EXPECT_EQ(make_engine(EngineKind::Cpu, EngineConfig{})->name(), "cpu");
}

TEST(EngineChoice, GpuWithoutAUsableDeviceIsRefusedWithTheReason) {
  std::string why;
  if (gpu_available(&why)) GTEST_SKIP() << "a usable GPU is present here";
  try {
    make_engine(EngineKind::Gpu, EngineConfig{});
    FAIL() << "made a GPU engine without a usable device";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

TEST(EngineChoice, GpuPortableNeedsNoDevice) {
#if defined(CLICKAGG_HAVE_GPU_PORTABLE)
  EXPECT_EQ(make_engine(EngineKind::GpuPortable, EngineConfig{})->name(), "gpu-portable");
#else
  EXPECT_THROW(make_engine(EngineKind::GpuPortable, EngineConfig{}), std::runtime_error);
#endif
}

}  // namespace
}  // namespace clickagg
