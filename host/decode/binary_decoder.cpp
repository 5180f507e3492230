#include <cstring>

#include "host/common/country.h"
#include "host/decode/binary_header.h"
#include "host/decode/decode.h"
#include "host/decode/field_rules.h"
#include "host/decode/timestamp.h"
#include "host/decode/utf8.h"

namespace clickagg {

namespace {
constexpr uint8_t kKnownFlags = binfmt::kFlagIpv4 | binfmt::kFlagClickId;
constexpr uint8_t kV4Prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
}  // namespace

DecodeStatus decode_binary(std::string_view record, Event& out) {
  using namespace binfmt;
  if (record.size() > kMaxRecordLen) return "oversized record";
  const auto* p = reinterpret_cast<const uint8_t*>(record.data());
  Header h;
  if (DecodeStatus s = check_frame(p, record.size(), h)) return s;
  // A record is exactly one frame: bytes past record_len are not ignored.
  if (h.record_len != record.size()) return "bad record length";
  if (h.flags & ~kKnownFlags) return "bad flags";
  if (h.reserved != 0) return "nonzero reserved bytes";

  const char* s = record.data() + kHeaderLen;
  const std::string_view ad_id(s, h.ad_id_len);
  const std::string_view user_id(s + h.ad_id_len, h.user_id_len);
  const std::string_view click_id(s + h.ad_id_len + h.user_id_len, h.click_id_len);
  const std::string_view country(s + h.ad_id_len + h.user_id_len + h.click_id_len, h.country_len);
  // The fields lie back to back: all ASCII (nearly every record) settles them at once;
  // otherwise field by field, as a check over their concatenation would accept a character
  // split across two of them (an ad_id ending in a lead byte).
  if (!all_ascii(s, country.data() + country.size() - s))
    for (const std::string_view f : {ad_id, user_id, click_id, country})
      if (!valid_utf8(f.data(), f.size())) return "invalid UTF-8";

  if (DecodeStatus st = check_ad_id(ad_id)) return st;
  if (h.t_ms < 0 || h.t_ms > kMaxEventTimeMs) return "bad timestamp";
  if (DecodeStatus st = check_user_id(user_id)) return st;
  const bool v4 = (h.flags & kFlagIpv4) != 0;
  if (v4 && std::memcmp(h.ip, kV4Prefix, sizeof kV4Prefix) != 0) return "bad ip";
  if (!normalize_country(country, out.country)) return "bad country";
  if (((h.flags & kFlagClickId) != 0) != !click_id.empty()) return "bad click_id";

  std::memcpy(out.ip.bytes.data(), h.ip, 16);
  out.ip.is_v4 = v4;
  out.ad_id = ad_id;
  out.t_ms = h.t_ms;
  out.user_id = user_id;
  out.click_id = click_id;
  return nullptr;
}

}  // namespace clickagg
