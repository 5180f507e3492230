// The rule every test that needs a GPU follows: where no CUDA device is usable it is skipped,
// with the reason, so a machine without one runs the rest; but where the environment sets
// CLICKAGG_REQUIRE_GPU=1 (bench/gpu_check.sh, on a GPU machine) a missing or unusable device
// fails the test, so a broken device setup cannot pass as a row of skips.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "host/engine/engine.h"
#include "host/engines/engines.h"

namespace clickagg::testing_support {

inline bool gpu_required() {
  const char* v = std::getenv("CLICKAGG_REQUIRE_GPU");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

}  // namespace clickagg::testing_support

// In a test body or SetUp().
#define CLICKAGG_NEEDS_GPU()                                                                  \
  do {                                                                                        \
    std::string why_not_;                                                                     \
    if (!::clickagg::gpu_available(&why_not_)) {                                              \
      if (::clickagg::testing_support::gpu_required())                                        \
        FAIL() << "CLICKAGG_REQUIRE_GPU=1 but no usable CUDA device: " << why_not_;           \
      GTEST_SKIP() << "no usable CUDA device: " << why_not_;                                  \
    }                                                                                         \
  } while (0)
