#include "host/common/ip.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

namespace clickagg {
namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strict dotted quad: exactly four decimal octets 0..255, no leading zeros, nothing else.
bool parse_v4(std::string_view s, uint8_t out[4]) {
  if (s.size() < 7 || s.size() > 15) return false;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    const size_t start = i;
    unsigned v = 0;
    while (i < s.size() && i - start < 3 && is_digit(s[i]))
      v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    const size_t n = i - start;
    if (n == 0 || v > 255 || (n > 1 && s[start] == '0')) return false;
    out[part] = static_cast<uint8_t>(v);
  }
  return i == s.size();
}

// Hex digit values by byte, 16 for anything else.
constexpr std::array<uint8_t, 256> kHexValue = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[static_cast<size_t>(c)] = c >= '0' && c <= '9' ? static_cast<uint8_t>(c - '0')
                                : c >= 'a' && c <= 'f' ? static_cast<uint8_t>(c - 'a' + 10)
                                : c >= 'A' && c <= 'F' ? static_cast<uint8_t>(c - 'A' + 10)
                                                       : 16;
  return t;
}();

// The forms nearly every address takes: groups of 1 to 4 hex digits, at most one "::" standing
// for at least one zero group, no embedded dotted quad. True only for text inet_pton reads the
// same way (ip_test checks this against it); anything else, valid or not, is left to
// inet_pton, which costs about a hundred nanoseconds more per address.
bool parse_v6_groups(std::string_view s, uint8_t out[16]) {
  uint16_t group[8];
  int groups = 0, gap = -1;  // gap: the number of groups before "::"
  size_t i = 0;
  const size_t n = s.size();
  if (n >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    i = 2;
  }
  while (i < n) {
    unsigned v = 0;
    const size_t start = i;
    for (unsigned h; i < n && i - start < 4 && (h = kHexValue[static_cast<unsigned char>(s[i])]) < 16; ++i) v = v * 16 + h;
    if (i == start || groups == 8) return false;
    group[groups++] = static_cast<uint16_t>(v);
    if (i == n) break;
    if (s[i] != ':' || ++i == n) return false;  // a dot, a fifth digit, a trailing ':'
    if (s[i] == ':') {
      if (gap >= 0) return false;
      gap = groups;
      ++i;
    }
  }
  if (gap < 0 ? groups != 8 : groups > 7) return false;
  std::memset(out, 0, 16);
  const int tail = gap < 0 ? 0 : groups - gap;
  for (int g = 0; g < groups; ++g) {
    const int at = gap < 0 || g < gap ? g : 8 - tail + (g - gap);
    out[2 * at] = static_cast<uint8_t>(group[g] >> 8);
    out[2 * at + 1] = static_cast<uint8_t>(group[g]);
  }
  return true;
}

// RFC 4291 text through inet_pton, which wants a NUL-terminated string: copy to the stack.
// Zone ids ("fe80::1%eth0") name an interface, not an address, and are refused.
bool parse_v6(std::string_view s, uint8_t out[16]) {
  constexpr size_t kMaxText = 45;  // INET6_ADDRSTRLEN - 1
  if (s.size() < 2 || s.size() > kMaxText) return false;
  if (parse_v6_groups(s, out)) return true;
  if (std::memchr(s.data(), '%', s.size()) || std::memchr(s.data(), '\0', s.size())) return false;
  char buf[kMaxText + 1];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return inet_pton(AF_INET6, buf, out) == 1;
}

void set_v4_mapped(IpAddr& out, const uint8_t v4[4]) {
  out.bytes = {};
  out.bytes[10] = 0xFF;
  out.bytes[11] = 0xFF;
  std::memcpy(out.bytes.data() + 12, v4, 4);
  out.is_v4 = true;
}

// Prefix length: decimal, no sign, no leading zeros, at most `max`.
bool parse_prefix(std::string_view s, unsigned max, unsigned& out) {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return false;
  unsigned v = 0;
  for (char c : s) {
    if (!is_digit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

}  // namespace

bool parse_ip(std::string_view text, IpAddr& out) {
  if (text.empty()) return false;  // an empty view may have a null data()
  uint8_t v4[4];
  if (parse_v4(text, v4)) {
    set_v4_mapped(out, v4);
    return true;
  }
  if (std::memchr(text.data(), ':', text.size()) == nullptr) return false;
  IpAddr tmp;
  if (!parse_v6(text, tmp.bytes.data())) return false;
  tmp.is_v4 = false;
  out = tmp;
  return true;
}

std::string format_ip(const IpAddr& ip) {
  char buf[64];
  if (ip.is_v4) {
    const uint8_t* b = ip.bytes.data() + 12;
    if (inet_ntop(AF_INET, b, buf, sizeof buf) == nullptr) return {};
    return buf;
  }
  if (inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf) == nullptr) return {};
  return buf;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  IpAddr addr;
  if (!parse_ip(text.substr(0, slash), addr)) return std::nullopt;
  const unsigned full = addr.is_v4 ? 32 : 128;
  unsigned len = full;
  if (slash != std::string_view::npos && !parse_prefix(text.substr(slash + 1), full, len))
    return std::nullopt;
  Cidr block;
  block.prefix_len = static_cast<uint8_t>(addr.is_v4 ? 96 + len : len);
  // Host bits past the prefix are cleared so equal blocks compare equal byte for byte.
  unsigned bits = block.prefix_len;
  for (int i = 0; i < 16; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    block.addr[i] = static_cast<uint8_t>(addr.bytes[static_cast<size_t>(i)] & (0xFF00u >> take));
    bits -= take;
  }
  return block;
}

}  // namespace clickagg
