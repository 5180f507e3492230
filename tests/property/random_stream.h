// Random click streams over small universes, so that collisions, duplicates, late and very
// late events all happen often. Each event carries the raw text an engine decodes (country
// and address spelled in several ways) and the canonical form the reference model gets.
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/reference/reference_model.h"

namespace clickagg::proptest {

// Reproducible on every platform: only the raw engine output is used, no std distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t below(uint64_t n) { return n == 0 ? 0 : gen_() % n; }
  int64_t between(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1)));
  }
  bool chance(int percent) { return below(100) < static_cast<uint64_t>(percent); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

 private:
  std::mt19937_64 gen_;
};

struct Spelled {
  std::string canonical;
  std::vector<std::string> raw;  // spellings that decode to `canonical`
};

inline const std::vector<Spelled>& address_universe() {
  static const std::vector<Spelled> v{
      {"10.1.2.3", {"10.1.2.3"}},
      {"10.200.0.9", {"10.200.0.9"}},
      {"207.148.22.22", {"207.148.22.22"}},
      {"192.168.0.1", {"192.168.0.1"}},
      {"2001:db8::1", {"2001:db8::1", "2001:DB8:0:0:0:0:0:1", "2001:db8:0::1"}},
      {"2001:db8:abcd::42", {"2001:db8:abcd::42", "2001:DB8:ABCD:0:0:0:0:42"}},
      {"2001:db9::7", {"2001:db9::7"}},
      {"fe80::1", {"fe80::1", "FE80::1", "fe80:0:0:0:0:0:0:1"}},
      {"::1", {"::1", "0:0:0:0:0:0:0:1"}},
  };
  return v;
}

inline const std::vector<std::string>& block_universe() {
  static const std::vector<std::string> v{
      "10.0.0.0/8",    "207.148.0.0/16",     "192.168.0.1", "2001:db8::/32",
      "2001:db8:abcd::/48", "fe80::/10",     "::1/128",     "0.0.0.0/0",
      "10.200.0.0/24", "2001:db8::1"};
  return v;
}

inline const std::vector<Spelled>& country_universe() {
  static const std::vector<Spelled> v{
      {"US", {"US", "us", "USA", "usa", "Us"}},
      {"GB", {"GB", "gb", "GBR"}},
      {"DE", {"DE", "DEU", "deu"}},
      {"JP", {"JP", "JPN"}},
      {"FR", {"fr", "FRA"}},
      {"ZZ", {"zz", "ZZ"}},  // unknown: kept, upper-cased
  };
  return v;
}

inline const std::vector<std::string>& user_universe() {
  static const std::vector<std::string> v{"user 1", "user 2", "u3", "user  4", "User 1", "alice"};
  return v;
}

// Byte-order traps: case, prefixes, digits, a space, UTF-8 above 0x7F.
inline std::vector<std::string> ad_pool() {
  std::vector<std::string> v{"Ad1", "AD1", "ad1", "ad10", "ad2", "b", "B", "z\xC3\xA9" "bra",
                             "x y", "\xCE\xA9" "1"};
  for (int i = 1; v.size() < 40; ++i) {
    v.push_back("ad0" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  }
  return v;
}

struct StreamEvent {
  uint32_t partition = 0;
  std::string ip_text;       // raw, for the engine
  std::string country_text;  // raw, for the engine
  ref::RefEvent canonical;   // what the reference model gets (ad, user, time, click id too)
};

struct FilterSpec {
  uint16_t id = 0;
  std::vector<std::string> countries;  // canonical
  std::vector<std::string> blocks;
  std::vector<std::string> users;
};

enum class Shape {
  Mixed,              // every partition starts at the same time, then anything goes
  DuplicateHeavy,     // one or two partitions, mostly repeats and click_id reuse
  LateJoining,        // partitions start at different times and join while W has moved on
};

struct Scenario {
  uint64_t seed = 0;
  Shape shape = Shape::Mixed;
  uint32_t partitions = 1;
  int64_t delay_ms = 15'000;
  int64_t lateness_ms = 600'000;
  uint32_t top_n = 100;
  std::vector<uint32_t> windows{1};
  std::vector<FilterSpec> filters;
  std::vector<StreamEvent> events;

  std::string describe() const {
    std::ostringstream s;
    s << "seed " << seed << ": " << events.size() << " events, " << partitions
      << " partitions, delay " << delay_ms << " ms, lateness " << lateness_ms << " ms, top "
      << top_n << ", windows";
    for (auto w : windows) s << ' ' << w;
    s << ", " << filters.size() << " filters";
    return s.str();
  }

  ref::RefConfig ref_config() const {
    ref::RefConfig c;
    c.delay_ms = delay_ms;
    c.lateness_ms = lateness_ms;
    c.top_n = top_n;
    c.windows = windows;
    for (const auto& f : filters) {
      ref::RefFilter rf;
      rf.id = f.id;
      rf.countries = f.countries;
      rf.user_ids = f.users;
      for (const auto& b : f.blocks) rf.ip_blocks.push_back(ref::parse_cidr(b).value());
      c.filters.push_back(rf);
    }
    return c;
  }

  // W once the first `n` events are in, the way the reference computes it (-inf before any).
  int64_t watermark_after(size_t n) const {
    std::map<uint32_t, int64_t> mx;
    int64_t w = ref::kNoWatermark;
    for (size_t i = 0; i < n; ++i) {
      auto [it, fresh] = mx.try_emplace(events[i].partition, events[i].canonical.t_ms);
      if (!fresh) it->second = std::max(it->second, events[i].canonical.t_ms);
      int64_t lowest = INT64_MAX;
      for (const auto& [q, m] : mx) lowest = std::min(lowest, m - delay_ms);
      w = std::max(w, lowest);
    }
    return w;
  }

  std::vector<ref::RefEvent> ref_events() const {
    std::vector<ref::RefEvent> out;
    for (const auto& e : events) out.push_back(e.canonical);
    return out;
  }
};

constexpr int64_t kT0 = 1'609'459'200'000;  // 2021-01-01 00:00:00 UTC

namespace detail {

inline std::vector<FilterSpec> random_filters(Rng& rng) {
  std::vector<uint16_t> ids{1, 2, 7, 300, 4096, 65535};
  std::vector<FilterSpec> out;
  const auto n = rng.below(4);
  for (uint64_t i = 0; i < n; ++i) {
    FilterSpec f;
    const size_t at = rng.below(ids.size());
    f.id = ids[at];
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(at));
    if (rng.chance(50)) {
      for (auto k = rng.between(1, 2); k > 0; --k) f.countries.push_back(rng.pick(country_universe()).canonical);
    }
    if (rng.chance(45)) {
      for (auto k = rng.between(1, 2); k > 0; --k) f.blocks.push_back(rng.pick(block_universe()));
    }
    if (rng.chance(30)) {
      for (auto k = rng.between(1, 2); k > 0; --k) f.users.push_back(rng.pick(user_universe()));
    }
    out.push_back(f);
  }
  return out;
}

// A fresh event at time t on partition p.
inline StreamEvent fresh_event(Rng& rng, const std::vector<std::string>& ads, uint32_t p,
                               int64_t t, uint64_t& next_click) {
  StreamEvent e;
  e.partition = p;
  const Spelled& ip = rng.pick(address_universe());
  const Spelled& country = rng.pick(country_universe());
  e.ip_text = rng.pick(ip.raw);
  e.country_text = rng.pick(country.raw);
  e.canonical.partition = p;
  e.canonical.ad_id = rng.pick(ads);
  e.canonical.t_ms = t;
  e.canonical.user_id = rng.pick(user_universe());
  e.canonical.ip = ref::parse_ip(ip.canonical).value();
  e.canonical.country = country.canonical;
  if (rng.chance(50)) e.canonical.click_id = "c" + std::to_string(next_click++);
  return e;
}

// The same click again, possibly spelled differently and on another partition.
inline StreamEvent repeat_of(Rng& rng, const StreamEvent& orig, uint32_t p) {
  StreamEvent e = orig;
  e.partition = p;
  e.canonical.partition = p;
  for (const auto& s : address_universe()) {
    if (ref::parse_ip(s.canonical) == orig.canonical.ip) e.ip_text = rng.pick(s.raw);
  }
  for (const auto& s : country_universe()) {
    if (s.canonical == orig.canonical.country) e.country_text = rng.pick(s.raw);
  }
  return e;
}

inline int64_t step(Rng& rng) {
  // Mostly whole seconds, so W lands exactly on window ends and purge limits.
  return rng.chance(75) ? rng.between(0, 8) * 1000 : rng.between(0, 8000);
}

}  // namespace detail

inline Scenario make_scenario(uint64_t seed, Shape shape) {
  Rng rng(seed * 31 + static_cast<uint64_t>(shape));
  Scenario s;
  s.seed = seed;
  s.shape = shape;
  s.partitions = shape == Shape::DuplicateHeavy ? static_cast<uint32_t>(rng.between(1, 2))
                                                : static_cast<uint32_t>(rng.between(1, 4));
  if (shape == Shape::LateJoining) s.partitions = static_cast<uint32_t>(rng.between(2, 4));
  static const std::vector<int64_t> delays{0, 1000, 5000, 15'000, 30'000};
  static const std::vector<int64_t> latenesses{0, 30'000, 60'000, 180'000, 600'000};
  static const std::vector<uint32_t> tops{1, 2, 3, 5, 100};
  static const std::vector<std::vector<uint32_t>> windows{{1}, {1, 5}, {1, 2, 3}, {2, 7}, {1, 5, 60}};
  s.delay_ms = rng.pick(delays);
  s.lateness_ms = rng.pick(latenesses);
  s.top_n = rng.pick(tops);
  s.windows = rng.pick(windows);
  s.filters = detail::random_filters(rng);

  std::vector<std::string> ads = ad_pool();
  for (size_t i = ads.size(); i > 1; --i) std::swap(ads[i - 1], ads[rng.below(i)]);
  ads.resize(static_cast<size_t>(rng.between(1, 30)));

  const auto n = static_cast<size_t>(rng.between(50, 400));
  uint64_t next_click = 1;
  std::vector<int64_t> cursor(s.partitions, kT0);
  std::vector<size_t> join_at(s.partitions, 0);
  if (shape == Shape::LateJoining) {
    for (uint32_t p = 1; p < s.partitions; ++p) {
      cursor[p] = kT0 - rng.between(0, 600) * 1000;
      join_at[p] = static_cast<size_t>(rng.between(1, static_cast<int64_t>(n / 2)));
    }
  } else {
    // One event per partition at the very same time first, so W never has to fall.
    for (uint32_t p = 0; p < s.partitions; ++p) {
      s.events.push_back(detail::fresh_event(rng, ads, p, kT0, next_click));
    }
  }
  const int repeat_pct = shape == Shape::DuplicateHeavy ? 35 : 8;
  const int reuse_pct = shape == Shape::DuplicateHeavy ? 20 : 6;
  const int near_pct = shape == Shape::DuplicateHeavy ? 15 : 5;
  uint32_t p = 0;
  while (s.events.size() < n) {
    if (rng.chance(35)) p = static_cast<uint32_t>(rng.below(s.partitions));
    if (s.events.size() < join_at[p]) continue;
    const int64_t r = static_cast<int64_t>(rng.below(100));
    if (!s.events.empty() && r < repeat_pct) {
      // An exact repeat of an earlier click.
      s.events.push_back(detail::repeat_of(rng, rng.pick(s.events), p));
      continue;
    }
    if (!s.events.empty() && r >= 100 - near_pct) {
      // Without a click_id and one field changed: only that field tells the keys apart.
      StreamEvent e = detail::repeat_of(rng, rng.pick(s.events), p);
      e.canonical.click_id.reset();
      switch (rng.below(5)) {
        case 0: e.canonical.ad_id = rng.pick(ads); break;
        case 1: e.canonical.t_ms += rng.chance(50) ? 1 : -1; break;
        case 2: e.canonical.user_id = rng.pick(user_universe()); break;
        case 3: {
          const Spelled& ip = rng.pick(address_universe());
          e.ip_text = rng.pick(ip.raw);
          e.canonical.ip = ref::parse_ip(ip.canonical).value();
          break;
        }
        default: {
          const Spelled& country = rng.pick(country_universe());
          e.country_text = rng.pick(country.raw);
          e.canonical.country = country.canonical;
        }
      }
      s.events.push_back(e);
      continue;
    }
    if (!s.events.empty() && r < repeat_pct + reuse_pct) {
      // Another click reusing an earlier click_id: the same minute (another ad or time) is a
      // duplicate; sometimes another minute, which counts.
      const StreamEvent& orig = rng.pick(s.events);
      if (orig.canonical.click_id) {
        const int64_t minute_start = ref::minute_of(orig.canonical.t_ms) * 60'000;
        const int64_t t = rng.chance(80) ? minute_start + rng.between(0, 59'999)
                                         : orig.canonical.t_ms + rng.between(-3, 3) * 60'000;
        StreamEvent e = detail::fresh_event(rng, ads, p, t, next_click);
        e.canonical.click_id = orig.canonical.click_id;
        s.events.push_back(e);
        continue;
      }
    }
    int64_t t;
    const int64_t kind = static_cast<int64_t>(rng.below(100));
    const int64_t w = s.watermark_after(s.events.size());
    if (kind < 16 && w != ref::kNoWatermark) {
      // Right at the edges: the minute that is just purged, just retained, just closed or
      // still open, so `>=` against `>` shows.
      static const std::vector<int64_t> edges{0, 60'000};
      const int64_t end = (rng.chance(50) ? w - s.lateness_ms : w) + rng.pick(edges);
      const int64_t minute_end = (ref::minute_of(end - 1) + 1) * 60'000;
      t = rng.chance(40) ? minute_end - 1 : minute_end - rng.between(1, 60) * 1000;
    } else if (kind < 24) {
      // Advance so that max - delay lands exactly on a minute boundary.
      const int64_t w_p = cursor[p] - s.delay_ms;
      cursor[p] = (ref::minute_of(w_p) + 1) * 60'000 + s.delay_ms;
      t = cursor[p];
    } else if (kind < 60) {
      cursor[p] += detail::step(rng);
      t = cursor[p];
    } else if (kind < 75) {
      t = cursor[p] - rng.between(0, 60) * 1000 - (rng.chance(30) ? rng.between(0, 999) : 0);
    } else if (kind < 92) {
      t = cursor[p] - rng.between(0, 900) * 1000;  // late and very late
    } else {
      cursor[p] += rng.between(1, 900) * 1000;  // a jump forward: windows close and purge
      t = cursor[p];
    }
    s.events.push_back(detail::fresh_event(rng, ads, p, t, next_click));
  }
  return s;
}

}  // namespace clickagg::proptest
