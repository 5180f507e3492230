// A HOST:PORT option (--listen, --metrics-listen) read once for every command: a malformed one
// is bad usage (exit status 2), unlike a port in use, which only binding finds (exit status 1).
#pragma once
#include <string>
#include <string_view>

#include "host/http/listen_address.h"

namespace clickagg::cli {

http::ListenAddress listen_arg(std::string_view flag, const std::string& text);

}  // namespace clickagg::cli
