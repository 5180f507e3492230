// Where the tests find the files of the source tree they read (tests/cases, drivers): the
// checkout they were built from, unless CLICKAGG_SOURCE_DIR names another (binaries carried
// to a machine where the tree lies elsewhere, bench/gpu_bundle.sh).
#pragma once
#include <cstdlib>
#include <string>

namespace clickagg::testing_support {

inline std::string source_dir() {
  const char* v = std::getenv("CLICKAGG_SOURCE_DIR");
  return v != nullptr && *v != '\0' ? std::string(v) : std::string(CLICKAGG_SOURCE_DIR);
}

}  // namespace clickagg::testing_support
