// Parses a --listen value: "HOST:PORT", "[IPv6]:PORT" or just "PORT" (on 127.0.0.1).
// Port 0 asks the system for a free port.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace clickagg::http {

struct ListenAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
};

// Throws std::invalid_argument with a one-line reason.
ListenAddress parse_listen_address(std::string_view text);

}  // namespace clickagg::http
