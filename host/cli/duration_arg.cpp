#include "host/cli/duration_arg.h"

#include "host/cli/commands.h"
#include "host/common/time_util.h"

namespace clickagg::cli {

std::chrono::milliseconds duration_arg(std::string_view flag, const std::string& text) {
  if (const auto ms = parse_duration_ms(text)) return std::chrono::milliseconds(*ms);
  throw UsageError("bad " + std::string(flag) + " '" + text + "': " + kDurationForms);
}

}  // namespace clickagg::cli
