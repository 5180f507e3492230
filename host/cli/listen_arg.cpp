#include "host/cli/listen_arg.h"

#include <stdexcept>

#include "host/cli/commands.h"

namespace clickagg::cli {

http::ListenAddress listen_arg(std::string_view flag, const std::string& text) {
  try {
    return http::parse_listen_address(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string(flag) + ": " + e.what());
  }
}

}  // namespace clickagg::cli
