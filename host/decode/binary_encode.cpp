#include <algorithm>

#include "host/decode/binary_format.h"

namespace clickagg::binfmt {

namespace {
void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
}  // namespace

void encode(const Event& ev, std::string& out) {
  // Lengths are clamped to their field widths so the frame stays self-consistent; a decoder
  // then rejects what a valid event could never hold (e.g. an ad_id over 64 bytes).
  const size_t ad_len = std::min<size_t>(ev.ad_id.size(), 0xFF);
  const size_t user_len = std::min<size_t>(ev.user_id.size(), 0xFFFF);
  const size_t click_len = std::min<size_t>(ev.click_id.size(), 0xFFFF);
  const size_t country_len = std::min<size_t>(ev.country.len, kMaxCountryLen);
  const size_t total = kHeaderLen + ad_len + user_len + click_len + country_len;

  uint8_t flags = 0;
  if (ev.ip.is_v4) flags |= kFlagIpv4;
  if (click_len > 0) flags |= kFlagClickId;

  out.reserve(out.size() + total);
  out.push_back(static_cast<char>(kMagic0));
  out.push_back(static_cast<char>(kMagic1));
  out.push_back(static_cast<char>(kVersion));
  out.push_back(static_cast<char>(flags));
  put_le(out, total, 2);
  put_le(out, ad_len, 1);
  put_le(out, country_len, 1);
  put_le(out, static_cast<uint64_t>(ev.t_ms), 8);
  out.append(reinterpret_cast<const char*>(ev.ip.bytes.data()), 16);
  put_le(out, user_len, 2);
  put_le(out, click_len, 2);
  put_le(out, 0, 4);
  out.append(ev.ad_id.data(), ad_len);
  out.append(ev.user_id.data(), user_len);
  out.append(ev.click_id.data(), click_len);
  out.append(ev.country.code.data(), country_len);
}

}  // namespace clickagg::binfmt
