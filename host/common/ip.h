// IPv4/IPv6 addresses and CIDR blocks.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "host/common/hd.h"
#include "host/common/event.h"

namespace clickagg {

// Strict dotted-quad IPv4 or RFC 4291 IPv6 text; false on anything else.
bool parse_ip(std::string_view text, IpAddr& out);
std::string format_ip(const IpAddr& ip);

// A block in IPv6 terms: an IPv4 /n is held as ::ffff:0:0/96+n.
struct Cidr {
  uint8_t addr[16] = {};
  uint8_t prefix_len = 0;  // 0..128
};
// "10.0.0.0/8", "2001:db8::/32", or a plain address (a /32 or /128).
std::optional<Cidr> parse_cidr(std::string_view text);

CLICKAGG_HD bool cidr_contains(const Cidr& block, const uint8_t addr[16]) {
  unsigned bits = block.prefix_len;
  for (int i = 0; i < 16 && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const uint8_t mask = static_cast<uint8_t>(0xFF00u >> take);
    if ((addr[i] & mask) != (block.addr[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

}  // namespace clickagg
