// Which engine each --engine value gives: `auto` stays on the CPU engine until the GPU engine
// has passed its checks on a GPU (make_engine.cpp), whether or not a device is present; `gpu`
// without a usable device is refused with the reason; `gpu-portable` needs no device.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory_resource>
#include <stdexcept>
#include <string>

#include "host/decode/event_columns.h"
#include "host/engine/engine.h"
#include "host/engine/flat_tables.h"
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

// Batches go where the engine reads them fastest: the heap for the CPU engine, one
// process-wide pinned resource for GPU engines (shared by every engine, so a batch may outlive
// the engine it was built for).
TEST(EngineChoice, BatchMemoryIsTableMemoryForTheCpuEngineAndPinnedForGpuEngines) {
  std::pmr::memory_resource* table = make_engine(EngineKind::Cpu, EngineConfig{})->batch_memory();
  EXPECT_EQ(table, table_memory_resource());
  {
    EventColumns batch(table);  // the engine that named it is gone
    batch.reserve(1'000'000, 100'000);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(batch.fp.data()) % (2 << 20), 0u);  // 16 MB: mapped, huge-page aligned
    EXPECT_EQ(reinterpret_cast<uintptr_t>(batch.text.data()) % 64, 0u);       // 100 kB: from the heap
  }
#if defined(CLICKAGG_HAVE_GPU_PORTABLE)
  std::pmr::memory_resource* pinned = make_engine(EngineKind::GpuPortable, EngineConfig{})->batch_memory();
  EXPECT_NE(pinned, std::pmr::new_delete_resource());
  EXPECT_EQ(make_engine(EngineKind::GpuPortable, EngineConfig{})->batch_memory(), pinned);
  EventColumns batch(pinned);  // the engine that named it is gone
  batch.reserve(10'000, 100'000);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(batch.t_ms.data()) % 64, 0u);
#endif
}

}  // namespace
}  // namespace clickagg
