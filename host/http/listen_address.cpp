#include "host/http/listen_address.h"

#include <charconv>
#include <stdexcept>

namespace clickagg::http {

namespace {
uint16_t parse_port(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || value > 65535)
    throw std::invalid_argument("bad listen address '" + std::string(whole) +
                                "': the port must be 0..65535");
  return static_cast<uint16_t>(value);
}
}  // namespace

ListenAddress parse_listen_address(std::string_view text) {
  ListenAddress out;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument("bad listen address '" + std::string(text) +
                                  "': expected [IPv6]:PORT");
    out.host = std::string(text.substr(1, close - 1));
    out.port = parse_port(text.substr(close + 2), text);
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    if (text.find(':') != colon)
      throw std::invalid_argument("bad listen address '" + std::string(text) +
                                  "': write an IPv6 host in brackets, [::1]:8080");
    out.host = std::string(text.substr(0, colon));
    out.port = parse_port(text.substr(colon + 1), text);
  } else {
    out.port = parse_port(text, text);
  }
  if (out.host.empty())
    throw std::invalid_argument("bad listen address '" + std::string(text) + "': empty host");
  return out;
}

}  // namespace clickagg::http
