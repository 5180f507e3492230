// What this binary is: the release, the commit it was built from, and whether the CUDA engine
// is in it. Defined in a file generated at every build (cmake/build_info.cmake).
#pragma once
#include <string>

namespace clickagg::cli {

const char* build_version();  // the project's version, e.g. "0.1.0"
const char* build_commit();   // `git describe` of the source tree, "-dirty" when it had changes
bool build_with_cuda();

// "clickagg 0.1.0 (commit 1970afd2c0de, CUDA on)"
std::string version_line();

}  // namespace clickagg::cli
