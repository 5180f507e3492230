// Value rules shared by every decoder, so a record means the same in every format.
#pragma once
#include <cstring>
#include <string_view>

#include "host/decode/decode.h"

namespace clickagg {

// 1..64 bytes, no comma (ad ids are CSV fields downstream) and no control bytes.
inline DecodeStatus check_ad_id(std::string_view s) {
  if (s.empty()) return "empty ad_id";
  if (s.size() > kMaxAdIdLen) return "bad ad_id";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || u == ',') return "bad ad_id";
  }
  return nullptr;
}

inline DecodeStatus check_user_id(std::string_view s) {
  return s.empty() ? "empty user_id" : nullptr;
}

}  // namespace clickagg
