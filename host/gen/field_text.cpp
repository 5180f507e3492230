#include "host/gen/field_text.h"

#include <charconv>

namespace clickagg::gen {
namespace {

void append_number(std::string& s, uint64_t v, int base = 10) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, base);
  (void)ec;
  s.append(buf, end);
}

}  // namespace

void assign_ad_id(std::string& s, uint64_t number, int width) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, number);
  (void)ec;
  const auto len = static_cast<int>(end - buf);
  s.assign("ad");
  if (len < width) s.append(static_cast<size_t>(width - len), '0');
  s.append(buf, end);
}

void assign_user_id(std::string& s, uint64_t number) {
  s.assign("user ");
  append_number(s, number);
}

void assign_ip_text(std::string& s, const IpAddr& ip, bool compressed) {
  s.clear();
  if (ip.is_v4) {
    for (int i = 12; i < 16; ++i) {
      if (i > 12) s.push_back('.');
      append_number(s, ip.bytes[i]);
    }
    return;
  }
  for (int g = 0; g < 8; ++g) {
    if (compressed && g >= 4 && g <= 6) {
      if (g == 4) s.append("::");
      continue;
    }
    if (g > 0 && !(compressed && g == 7)) s.push_back(':');
    append_number(s, static_cast<unsigned>(ip.bytes[2 * g] << 8 | ip.bytes[2 * g + 1]), 16);
  }
}

void assign_click_id(std::string& s, uint64_t id) {
  static constexpr char kHex[] = "0123456789abcdef";
  s.assign("ck");
  for (int shift = 60; shift >= 0; shift -= 4) s.push_back(kHex[(id >> shift) & 0xF]);
}

}  // namespace clickagg::gen
