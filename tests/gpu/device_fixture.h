// The fixture of the device building blocks' tests: a stream and a zeroed device error word;
// after each test, no kernel may have reported an internal error.
#pragma once
#include <gtest/gtest.h>

#include "kernels/device_memory.h"
#include "tests/gpu/gpu_test_support.h"

namespace clickagg::gputest {

class DeviceTest : public testing::Test {
 protected:
  void SetUp() override {
    CLICKAGG_REQUIRE_GPU();
    stream_ = dev::sys::create_stream();
    error_.assign_exact(1);
    dev::sys::fill(error_.data(), 0, sizeof(unsigned));
    ready_ = true;
  }
  void TearDown() override {
    if (!ready_) return;
    unsigned error = 1;
    dev::sys::copy(&error, error_.data(), sizeof error, dev::sys::Copy::DeviceToHost);
    EXPECT_EQ(error, 0u) << "a kernel reported an internal error";
    error_.reset();
    dev::sys::destroy_stream(stream_);  // waits for its work
  }

  bool ready_ = false;
  dev::sys::Stream stream_ = nullptr;
  dev::DeviceArray<unsigned> error_{nullptr, false};
};

}  // namespace clickagg::gputest
