#include "host/gen/generator.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "host/common/time_util.h"
#include "host/gen/countries.h"
#include "host/gen/field_text.h"

namespace clickagg::gen {
namespace {

// How far back duplicates reach, in seconds of event time: well inside the 75 s after which
// a late original's window could be purged and the repeat would no longer be a duplicate.
constexpr double kDuplicateReachSeconds = 3.0;
constexpr size_t kMaxRecent = 65'536;

int decimal_width(uint64_t v) {
  int w = 1;
  for (; v >= 10; v /= 10) ++w;
  return w;
}

const GenConfig& checked(const GenConfig& config) {
  if (std::string why = validate(config); !why.empty()) throw std::invalid_argument(why);
  return config;
}

}  // namespace

const char* kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::Normal: return "normal";
    case RecordKind::OutOfOrder: return "out_of_order";
    case RecordKind::Late: return "late";
    case RecordKind::VeryLate: return "very_late";
    case RecordKind::Duplicate: return "duplicate";
    case RecordKind::Malformed: return "malformed";
  }
  return "?";
}

const char* malformed_name(MalformedKind kind) {
  switch (kind) {
    case MalformedKind::WrongFieldCount: return "wrong field count";
    case MalformedKind::EmptyAdId: return "empty ad_id";
    case MalformedKind::BadTimestamp: return "bad timestamp";
    case MalformedKind::BadIp: return "bad ip";
    case MalformedKind::InvalidUtf8: return "invalid utf-8";
    case MalformedKind::Oversized: return "oversized";
  }
  return "?";
}

Generator::Generator(const GenConfig& config)
    : config_(checked(config)),
      rng_(config.seed),
      zipf_(config.ads, config.zipf),
      ad_of_rank_(config.ads),
      ad_width_(std::max(7, decimal_width(config.ads - 1))),
      ms_per_event_(1000.0 / config.events_per_second),
      click_key_(mix64(config.seed ^ 0x636c69636b6964ULL)) {
  if (config_.duplicate > 0) {
    const double reach = std::ceil(config_.events_per_second * kDuplicateReachSeconds);
    recent_.resize(static_cast<size_t>(std::clamp(reach, 1.0, static_cast<double>(kMaxRecent))));
  }
}

RecordKind Generator::draw_kind() {
  const double u = rng_.uniform();
  double edge = config_.malformed;
  if (u < edge) return RecordKind::Malformed;
  if (u < (edge += config_.duplicate)) return recent_filled_ ? RecordKind::Duplicate : RecordKind::Normal;
  // The disordered kinds are placed relative to the largest time so far, so they need one.
  if (!have_max_) return RecordKind::Normal;
  if (u < (edge += config_.very_late)) return RecordKind::VeryLate;
  if (u < (edge += config_.late)) return RecordKind::Late;
  if (u < (edge += config_.out_of_order)) return RecordKind::OutOfOrder;
  return RecordKind::Normal;
}

void Generator::draw_ip(Draw& d) {
  d.ip = IpAddr{};
  if (rng_.uniform() >= config_.ipv6_fraction) {
    // Public-looking IPv4 (first octet 1..223, skipping loopback), held IPv4-mapped.
    uint64_t first = 1 + rng_.below(223);
    if (first == 127) first = 128;
    const uint64_t rest = rng_.next();
    d.ip.is_v4 = true;
    d.ip.bytes[10] = d.ip.bytes[11] = 0xFF;
    d.ip.bytes[12] = static_cast<uint8_t>(first);
    for (int i = 0; i < 3; ++i) d.ip.bytes[13 + i] = static_cast<uint8_t>(rest >> (8 * i));
    return;
  }
  // Global unicast IPv6 (2000::/3). Half are written in full, half with "::" standing for
  // three zero groups, as resolvers and proxies variously print them.
  const uint64_t hi = rng_.next(), lo = rng_.next();
  for (int i = 0; i < 8; ++i) {
    d.ip.bytes[i] = static_cast<uint8_t>(hi >> (8 * i));
    d.ip.bytes[8 + i] = static_cast<uint8_t>(lo >> (8 * i));
  }
  d.ip.bytes[0] = static_cast<uint8_t>(0x20 | (d.ip.bytes[0] & 0x1F));
  d.ipv6_compressed = (lo >> 63) != 0;
  if (d.ipv6_compressed) std::fill(d.ip.bytes.begin() + 8, d.ip.bytes.begin() + 14, uint8_t{0});
}

Generator::Draw Generator::draw_fields(uint64_t seq) {
  Draw d;
  d.ad = ad_of_rank_(zipf_.sample(rng_));
  d.user = rng_.below(config_.users);
  draw_ip(d);
  d.country = pick_country(rng_);
  d.has_click_id = rng_.uniform() < config_.click_id_fraction;
  d.click_id = mix64(seq ^ click_key_);  // bijective in seq: unique within the stream
  d.ts_form = static_cast<TimestampForm>(rng_.below(3));
  return d;
}

// Offsets are measured back from the largest time so far (max_t_) against the default
// watermark delay and allowed lateness; see workload_config.h.
int64_t Generator::disordered_time(RecordKind kind) {
  switch (kind) {
    case RecordKind::OutOfOrder:  // inside the delay: the window is still open
      return max_t_ - rng_.between(1'000, kAssumedDelayMs - 1'000);
    case RecordKind::Late: {
      // Back far enough that the window has closed (before the minute holding the
      // watermark), and no more than 9 minutes, well inside the allowed lateness.
      const int64_t closed_before = minute_of(max_t_ - kAssumedDelayMs) * kMsPerMinute;
      const int64_t hi = 540'000;
      const int64_t lo = std::min(hi, std::max<int64_t>(20'000, max_t_ - closed_before + 1));
      return max_t_ - rng_.between(lo, hi);
    }
    case RecordKind::VeryLate:  // past delay + lateness + one whole window: always purged
      return max_t_ - rng_.between(900'000, 3'600'000);
    default:
      return max_t_;
  }
}

void Generator::render(const Draw& d, GenEvent& ev) const {
  assign_ad_id(ev.ad_id, d.ad, ad_width_);
  assign_user_id(ev.user_id, d.user);
  assign_ip_text(ev.ip_text, d.ip, d.ipv6_compressed);
  const CountryEntry& c = country_table()[d.country];
  ev.country_raw.assign(c.raw);
  ev.country = Country{};
  std::copy(c.alpha2.begin(), c.alpha2.end(), ev.country.code.begin());
  ev.country.len = static_cast<uint8_t>(c.alpha2.size());
  if (d.has_click_id) assign_click_id(ev.click_id, d.click_id);
  else ev.click_id.clear();
  ev.t_ms = d.t_ms;
  ev.ip = d.ip;
  ev.ts_form = d.ts_form;
}

void Generator::advance(bool rendered) {
  const uint64_t seq = produced_++;
  const int64_t base =
      config_.start_ms + static_cast<int64_t>(std::floor(static_cast<double>(seq) * ms_per_event_));
  const RecordKind kind = draw_kind();
  current_.seq = seq;
  current_.kind = kind;

  if (kind == RecordKind::Duplicate) {
    const size_t back = 1 + static_cast<size_t>(rng_.below(recent_filled_));
    if (rendered) render(recent_[(recent_next_ + recent_.size() - back) % recent_.size()], current_);
    return;
  }

  Draw d = draw_fields(seq);
  if (kind == RecordKind::Malformed) {
    d.t_ms = base;
    current_.malformed = static_cast<MalformedKind>(rng_.below(kMalformedKinds));
    current_.variant = static_cast<uint8_t>(rng_.next() >> 56);
    if (rendered) render(d, current_);
    return;
  }
  if (kind == RecordKind::Normal) {
    d.t_ms = base;
    max_t_ = have_max_ ? std::max(max_t_, base) : base;
    have_max_ = true;
  } else {
    d.t_ms = disordered_time(kind);
  }
  // A repeat of a very late event would be dropped late, not counted as a duplicate.
  if (!recent_.empty() && kind != RecordKind::VeryLate) {
    recent_[recent_next_] = d;
    recent_next_ = (recent_next_ + 1) % recent_.size();
    recent_filled_ = std::min(recent_filled_ + 1, recent_.size());
  }
  if (rendered) render(d, current_);
}

const GenEvent& Generator::next() {
  advance(true);
  return current_;
}

void Generator::skip(uint64_t n) {
  for (uint64_t i = 0; i < n && !done(); ++i) advance(false);
}

}  // namespace clickagg::gen
