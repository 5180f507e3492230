#include "host/gen/record_text.h"

#include <charconv>

#include "host/gen/time_text.h"

namespace clickagg::gen {
namespace {

// Generated values never need escaping, but corrupt ones may hold any byte except '\n';
// bytes >= 0x80 pass through untouched so invalid UTF-8 stays invalid.
void append_json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  for (char ch : s) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

void append_json_key(std::string_view key, std::string& out) {
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

}  // namespace

TextRecord text_record(const GenEvent& ev) {
  TextRecord r;
  r.ad_id = ev.ad_id;
  r.user_id = ev.user_id;
  r.ip = ev.ip_text;
  r.country = ev.country_raw;
  r.click_id = ev.click_id;
  r.t_ms = ev.t_ms;
  r.ts_form = ev.ts_form;
  return r;
}

void render_log(const TextRecord& r, std::string& out) {
  out.append("[AdClickEvent] ");
  out.append(r.ad_id);
  out.append(", ");
  if (r.has_bad_time) out.append(r.bad_time);
  else append_log_time(r.t_ms, out);
  out.append(", ");
  out.append(r.user_id);
  out.append(r.user_suffix);
  out.append(", ");
  out.append(r.ip);
  if (!r.drop_field) {
    out.append(", ");
    out.append(r.country);
  }
  if (!r.click_id.empty() && !r.drop_field) {
    out.append(", ");
    out.append(r.click_id);
  }
  if (r.extra_fields) out.append(", extra, fields");
  out.push_back('\n');
}

void render_json(const TextRecord& r, std::string& out) {
  out.push_back('{');
  append_json_key("ad_id", out);
  append_json_string(r.ad_id, out);
  out.push_back(',');
  append_json_key("click_timestamp", out);
  if (r.has_bad_time) {
    append_json_string(r.bad_time, out);
  } else if (r.ts_form == TimestampForm::EpochMs) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, r.t_ms);
    (void)ec;
    out.append(buf, end);
  } else {
    out.push_back('"');
    if (r.ts_form == TimestampForm::Iso8601) append_iso_time(r.t_ms, out);
    else append_log_time(r.t_ms, out);
    out.push_back('"');
  }
  out.push_back(',');
  append_json_key("user_id", out);
  if (r.user_suffix.empty()) {
    append_json_string(r.user_id, out);
  } else {
    out.push_back('"');
    out.append(r.user_id);
    out.append(r.user_suffix);
    out.push_back('"');
  }
  if (!r.drop_field) {
    out.push_back(',');
    append_json_key("ip", out);
    append_json_string(r.ip, out);
  }
  out.push_back(',');
  append_json_key("country", out);
  append_json_string(r.country, out);
  if (!r.click_id.empty()) {
    out.push_back(',');
    append_json_key("click_id", out);
    append_json_string(r.click_id, out);
  }
  out.append("}\n");
}

}  // namespace clickagg::gen
