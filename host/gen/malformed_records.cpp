#include "host/gen/malformed_records.h"

#include <cstdint>
#include <limits>
#include <string_view>

#include "host/decode/binary_format.h"
#include "host/gen/record_text.h"

namespace clickagg::gen {
namespace {

template <size_t N>
std::string_view pick(const std::string_view (&options)[N], uint8_t variant) {
  return options[variant % N];
}

constexpr std::string_view kBadLogTimes[] = {"2021-13-01 00:00:00", "2021-02-30 12:00:00",
                                             "2021-01-01 25:61:00", "yesterday"};
constexpr std::string_view kBadJsonTimes[] = {"2021-13-01T00:00:00Z", "2021-02-30 12:00:00",
                                              "2021-01-01T25:61:00Z", "yesterday"};
constexpr std::string_view kBadIps[] = {"300.1.2.3", "10.0.0", "1.2.3.4.5", "2001:db8::g1", "fe80:::1"};
// A lead byte followed by a non-continuation, and bytes that never occur in UTF-8.
constexpr std::string_view kBadUtf8[] = {"\xC3(", "\xFF\xFE"};

// Enough filler to push any record past kMaxRecordLen.
std::string_view oversize_padding() {
  static const std::string padding(kMaxRecordLen, 'x');
  return padding;
}

// The corruption shared by both text formats; `bad_times` differ so each format gets
// timestamps that look like its own.
TextRecord corrupt_text(const GenEvent& ev, const std::string_view (&bad_times)[4], bool json) {
  TextRecord r = text_record(ev);
  switch (ev.malformed) {
    case MalformedKind::WrongFieldCount:
      // JSON has no field count to overshoot; a missing member is its equivalent.
      if (!json && (ev.variant & 1)) r.extra_fields = true;
      else r.drop_field = true;
      break;
    case MalformedKind::EmptyAdId:
      r.ad_id = (!json && (ev.variant & 1)) ? std::string_view("  ") : std::string_view();
      break;
    case MalformedKind::BadTimestamp:
      r.bad_time = pick(bad_times, ev.variant);
      r.has_bad_time = true;
      break;
    case MalformedKind::BadIp:
      r.ip = pick(kBadIps, ev.variant);
      break;
    case MalformedKind::InvalidUtf8:
      r.user_suffix = pick(kBadUtf8, ev.variant);
      break;
    case MalformedKind::Oversized:
      r.user_suffix = oversize_padding();
      break;
  }
  return r;
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A record whose frame is bad (wrong lengths, oversized) makes a reader resynchronise at the
// next "CK\x01"; random timestamp or address bytes must not spell that inside the record, or
// one corrupt record would read as two.
void clear_sync_bytes(std::string& out, size_t start) {
  for (size_t i = start + 1; i + 2 < out.size(); ++i)
    if (out[i] == 'C' && out[i + 1] == 'K' && out[i + 2] == '\x01') out[i + 1] = 'k';
}

}  // namespace

void append_malformed_log(const GenEvent& ev, std::string& out) {
  render_log(corrupt_text(ev, kBadLogTimes, false), out);
}

void append_malformed_json(const GenEvent& ev, std::string& out) {
  render_json(corrupt_text(ev, kBadJsonTimes, true), out);
}

void append_malformed_binary(const GenEvent& ev, std::string& out) {
  const size_t start = out.size();
  std::string_view ad = ev.ad_id, user = ev.user_id, suffix;
  const std::string_view click = ev.click_id, country = ev.country.view();
  int64_t t = ev.t_ms;
  IpAddr ip = ev.ip;
  bool ipv4 = ev.ip.is_v4;
  size_t claimed_extra = 0;
  switch (ev.malformed) {
    case MalformedKind::WrongFieldCount:
      claimed_extra = 1 + ev.variant % 8;  // lengths sum past the end of the record
      break;
    case MalformedKind::EmptyAdId:
      ad = {};
      break;
    case MalformedKind::BadTimestamp:
      // Far outside the years 0000-9999 any text format can state.
      t = (ev.variant & 1) ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
      break;
    case MalformedKind::BadIp:
      // Flagged IPv4 but not an IPv4-mapped address.
      ipv4 = true;
      ip.bytes[0] = 0x20;
      ip.bytes[1] = 0x01;
      ip.bytes[10] = 0x12;
      break;
    case MalformedKind::InvalidUtf8:
      suffix = pick(kBadUtf8, ev.variant);
      break;
    case MalformedKind::Oversized:
      suffix = oversize_padding();
      break;
  }
  const size_t user_len = user.size() + suffix.size();
  const size_t record_len = binfmt::kHeaderLen + ad.size() + user_len + click.size() + country.size();
  out.push_back(static_cast<char>(binfmt::kMagic0));
  out.push_back(static_cast<char>(binfmt::kMagic1));
  out.push_back(static_cast<char>(binfmt::kVersion));
  out.push_back(static_cast<char>((ipv4 ? binfmt::kFlagIpv4 : 0) | (click.empty() ? 0 : binfmt::kFlagClickId)));
  put_le(out, record_len, 2);
  put_le(out, ad.size(), 1);
  put_le(out, country.size(), 1);
  put_le(out, static_cast<uint64_t>(t), 8);
  out.append(reinterpret_cast<const char*>(ip.bytes.data()), ip.bytes.size());
  put_le(out, user_len + claimed_extra, 2);
  put_le(out, click.size(), 2);
  put_le(out, 0, 4);
  out.append(ad);
  out.append(user);
  out.append(suffix);
  out.append(click);
  out.append(country);
  clear_sync_bytes(out, start);
}

}  // namespace clickagg::gen
