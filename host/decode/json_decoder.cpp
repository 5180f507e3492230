// One flat JSON object per record. Known keys are located in one pass; their values are
// checked only once the whole text is known to be well-formed JSON. Strings without escapes
// stay views into the record; escaped ones are decoded into the arena.
#include <cstring>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/decode/decode.h"
#include "host/decode/field_rules.h"
#include "host/decode/json_scan.h"
#include "host/decode/timestamp.h"
#include "host/decode/utf8.h"

namespace clickagg {
namespace {

enum Field { kAdId, kTimestamp, kUserId, kIp, kCountry, kClickId, kFieldCount };
constexpr std::string_view kKeys[kFieldCount] = {"ad_id", "click_timestamp", "user_id",
                                                 "ip",    "country",         "click_id"};
constexpr const char* kMissing[kFieldCount] = {
    "missing field ad_id", "missing field click_timestamp", "missing field user_id",
    "missing field ip",    "missing field country",         "missing field click_id"};
constexpr const char* kMalformed = "malformed JSON";

enum class Kind : char { String, Number, Null, Other };

struct Slot {
  bool seen = false;
  Kind kind = Kind::Other;
  std::string_view text;  // raw string body or number text
  bool escaped = false;
};

int match_key(std::string_view key) {
  for (int i = 0; i < kFieldCount; ++i)
    if (key == kKeys[i]) return i;
  return -1;
}

// Keys are rarely escaped; when one is, decode it on the stack (no known key is long).
int match_raw_key(std::string_view raw, bool escaped) {
  if (!escaped) return match_key(raw);
  char buf[96];
  if (raw.size() > sizeof buf) return -1;
  return match_key({buf, unescape_json_string(raw, buf)});
}

// A string the event keeps: a view when it has no escapes, else decoded into the arena.
std::string_view kept_string(const Slot& s, Arena& arena) {
  if (!s.escaped) return s.text;
  char* dst = arena.allocate(s.text.size());
  return {dst, unescape_json_string(s.text, dst)};
}

// A string only parsed, never kept (ip, country, timestamp): decoded on the stack. Longer
// values cannot be valid for any of those fields, so they come back empty.
std::string_view scratch_string(const Slot& s, char (&buf)[64]) {
  if (!s.escaped) return s.text;
  if (s.text.size() > sizeof buf) return {};
  return {buf, unescape_json_string(s.text, buf)};
}

DecodeStatus scan_object(std::string_view line, Slot (&slots)[kFieldCount]) {
  JsonScanner js(line);
  js.skip_ws();
  if (!js.consume('{')) return kMalformed;
  js.skip_ws();
  bool duplicate = false;
  if (!js.consume('}')) {
    for (;;) {
      js.skip_ws();
      std::string_view key;
      bool key_escaped;
      if (!js.scan_string(key, key_escaped)) return kMalformed;
      js.skip_ws();
      if (!js.consume(':')) return kMalformed;
      js.skip_ws();
      const int idx = match_raw_key(key, key_escaped);
      if (idx < 0) {
        if (!js.skip_value()) return kMalformed;
      } else {
        Slot& s = slots[idx];
        duplicate |= s.seen;
        s.seen = true;
        const char c = js.peek();
        if (c == '"') {
          if (!js.scan_string(s.text, s.escaped)) return kMalformed;
          s.kind = Kind::String;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
          if (!js.scan_number(s.text)) return kMalformed;
          s.kind = Kind::Number;
          s.escaped = false;
        } else {
          std::string_view lit;
          if (c == 'n') {
            if (!js.scan_literal(lit)) return kMalformed;
          } else if (!js.skip_value()) {
            return kMalformed;
          }
          s.kind = lit == "null" ? Kind::Null : Kind::Other;
        }
      }
      js.skip_ws();
      if (js.consume('}')) break;
      if (!js.consume(',')) return kMalformed;
    }
  }
  js.skip_ws();
  if (!js.at_end()) return kMalformed;
  return duplicate ? "duplicate field" : nullptr;
}

}  // namespace

DecodeStatus decode_json(std::string_view line, Event& out, Arena& arena) {
  if (line.size() > kMaxRecordLen) return "oversized record";
  if (!valid_utf8(line.data(), line.size())) return "invalid UTF-8";

  Slot slots[kFieldCount];
  if (DecodeStatus s = scan_object(line, slots)) return s;
  for (int i = 0; i < kClickId; ++i)
    if (!slots[i].seen) return kMissing[i];

  char buf[64];
  const Slot& ad = slots[kAdId];
  if (ad.kind != Kind::String) return "bad ad_id";
  const std::string_view ad_id = kept_string(ad, arena);
  if (DecodeStatus s = check_ad_id(ad_id)) return s;

  const Slot& ts = slots[kTimestamp];
  int64_t t_ms;
  if (ts.kind == Kind::String) {
    if (!parse_text_timestamp(scratch_string(ts, buf), t_ms)) return "bad timestamp";
  } else if (ts.kind == Kind::Number) {
    if (!parse_epoch_ms(ts.text, t_ms)) return "bad timestamp";
  } else {
    return "bad timestamp";
  }

  const Slot& user = slots[kUserId];
  if (user.kind != Kind::String) return "bad user_id";
  const std::string_view user_id = kept_string(user, arena);
  if (DecodeStatus s = check_user_id(user_id)) return s;

  const Slot& ip = slots[kIp];
  if (ip.kind != Kind::String || !parse_ip(scratch_string(ip, buf), out.ip)) return "bad ip";

  const Slot& country = slots[kCountry];
  if (country.kind != Kind::String || !normalize_country(scratch_string(country, buf), out.country))
    return "bad country";

  const Slot& click = slots[kClickId];
  std::string_view click_id;
  if (click.seen && click.kind != Kind::Null) {
    if (click.kind != Kind::String) return "bad click_id";
    click_id = kept_string(click, arena);
  }

  out.ad_id = ad_id;
  out.t_ms = t_ms;
  out.user_id = user_id;
  out.click_id = click_id;
  return nullptr;
}

}  // namespace clickagg
