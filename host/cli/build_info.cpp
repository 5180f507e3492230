#include "host/cli/build_info.h"

namespace clickagg::cli {

std::string version_line() {
  return std::string("clickagg ") + build_version() + " (commit " + build_commit() + ", CUDA engine " +
         (build_with_cuda() ? "built in" : "not built in") + ")";
}

}  // namespace clickagg::cli
