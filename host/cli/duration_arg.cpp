#include "host/cli/duration_arg.h"

#include "host/cli/commands.h"
#include "host/common/time_util.h"

namespace clickagg::cli {

std::chrono::milliseconds duration_arg(std::string_view flag, const std::string& text) {
  if (const auto ms = parse_duration_ms(text)) return std::chrono::milliseconds(*ms);
  throw UsageError("bad " + std::string(flag) + " '" + text +
                   "': a duration is a whole number with its unit, e.g. 250ms, 15s, 10m, 2h (0 needs none)");
}

}  // namespace clickagg::cli
