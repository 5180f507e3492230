// Shared pieces of the GPU engine tests: the skip rule, a random click stream with owned
// storage (late, very late, repeated and click-id-reusing events, several partitions, hot
// ads, byte-order traps in ad ids), filter sets, and an exact comparison of everything two
// engines emit (every window and list in emission order, late records, statistics).
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/engine/engine.h"
#include "kernels/gpu_engine.h"
#include "kernels/system/system.h"
#include "tests/support/gpu_required.h"

namespace clickagg::gputest {

// These tests build twice (tests/gpu/CMakeLists.txt): against the CUDA engine (test_gpu) and
// against the same device algorithm on the host system (test_gpu_portable), which runs
// everywhere. `dev` names the engine of this build.
namespace dev = ::clickagg::CLICKAGG_DEVICE_NS;

// Every test starts with this. CUDA: skipped without a device, failed without one under
// CLICKAGG_REQUIRE_GPU=1 (tests/support/gpu_required.h). The host system always runs.
#if defined(CLICKAGG_DEVICE_HOST)
#define CLICKAGG_REQUIRE_GPU() \
  do {                         \
  } while (0)
#else
#define CLICKAGG_REQUIRE_GPU() CLICKAGG_NEEDS_GPU()
#endif

constexpr int64_t kT0 = 1'609'459'200'000;  // 2021-01-01T00:00:00Z

struct StreamSpec {
  uint64_t seed = 1;
  size_t events = 1000;
  uint32_t ads = 50;
  uint32_t partitions = 1;
  int late_pct = 5;        // 20 s .. 9 min behind the partition's clock
  int very_late_pct = 2;   // 15 .. 60 min behind
  int repeat_pct = 8;      // verbatim copy of a recent event (maybe another partition)
  int reuse_pct = 4;       // a new click reusing a recent click_id (other ad, same minute mostly)
  int click_id_pct = 50;
  double hot_share = 0;    // share of events on the one "hot" ad
  int64_t step_ms = 40;    // mean event-time advance per event
  uint32_t users = 20;
  int switch_pct = 10;     // chance to move to another partition
};

struct Stream {
  std::deque<std::string> store;
  std::vector<Event> events;
  std::vector<uint32_t> partition;

  std::string_view keep(std::string s) { return store.emplace_back(std::move(s)); }
};

inline std::string ad_name(uint64_t i) {
  // Byte-order traps: case, prefixes, digits of other lengths, a space, UTF-8.
  static const char* const kSpecial[] = {"Ad1", "AD1", "ad1", "ad10", "ad2", "b", "B", "z\xC3\xA9" "bra", "x y", "\xCE\xA9" "1"};
  if (i < 10) return kSpecial[i];
  return "ad" + std::to_string(i * 7919 % 100000);
}

inline Stream make_stream(const StreamSpec& spec) {
  std::mt19937_64 rng(spec.seed * 0x9E3779B97F4A7C15ULL + 17);
  auto below = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  auto chance = [&](int pct) { return below(100) < static_cast<uint64_t>(pct); };
  static const char* const kCountries[] = {"US", "GB", "DE", "JP", "ZZ", "FR"};
  static const char* const kIps[] = {"10.1.2.3", "10.200.0.9", "207.148.22.22", "192.168.0.1", "2001:db8::1",
                                     "2001:db8:abcd::42", "fe80::1", "::1"};
  Stream s;
  std::vector<int64_t> clock(spec.partitions, kT0);
  uint32_t p = 0;
  uint64_t next_click = 1;
  const std::string_view hot = s.keep("hot-ad");
  for (size_t n = 0; n < spec.events; ++n) {
    if (spec.partitions > 1 && chance(spec.switch_pct)) p = static_cast<uint32_t>(below(spec.partitions));
    if (!s.events.empty() && chance(spec.repeat_pct)) {
      const size_t back = std::min<size_t>(s.events.size(), 200);
      s.events.push_back(s.events[s.events.size() - 1 - below(back)]);
      s.partition.push_back(p);
      continue;
    }
    Event ev;
    clock[p] += static_cast<int64_t>(below(static_cast<uint64_t>(2 * spec.step_ms + 1)));
    int64_t t = clock[p];
    const uint64_t r = below(100);
    if (r < static_cast<uint64_t>(spec.very_late_pct)) t -= 900'000 + static_cast<int64_t>(below(2'700'000));
    else if (r < static_cast<uint64_t>(spec.very_late_pct + spec.late_pct)) t -= 20'000 + static_cast<int64_t>(below(520'000));
    ev.t_ms = t;
    if (spec.hot_share > 0 && static_cast<double>(below(1'000'000)) < spec.hot_share * 1e6) ev.ad_id = hot;
    else ev.ad_id = s.keep(ad_name(below(spec.ads)));
    ev.user_id = s.keep("user " + std::to_string(below(spec.users)));
    if (!s.events.empty() && chance(spec.reuse_pct)) {
      // Another click with a recent click_id: a duplicate when it lands in the same minute.
      const Event& orig = s.events[s.events.size() - 1 - below(std::min<size_t>(s.events.size(), 100))];
      if (!orig.click_id.empty()) {
        ev.click_id = orig.click_id;
        ev.t_ms = orig.t_ms + static_cast<int64_t>(below(3)) * 1000 - 1000;
      }
    } else if (chance(spec.click_id_pct)) {
      ev.click_id = s.keep("c" + std::to_string(next_click++));
    }
    if (!parse_ip(kIps[below(std::size(kIps))], ev.ip)) throw std::logic_error("bad test address");
    normalize_country(kCountries[below(std::size(kCountries))], ev.country);
    ev.position = n;
    s.events.push_back(ev);
    s.partition.push_back(p);
  }
  return s;
}

inline Country country(const char* code) {
  Country c;
  normalize_country(code, c);
  return c;
}

// 0..4 filters over every field, or `n` generated ones (up to 1024).
inline FilterSet filters(size_t n) {
  std::vector<FilterDef> defs;
  if (n <= 4) {
    const std::vector<FilterDef> base{
        FilterDef{12, "us", {country("US")}, {}, {}},
        FilterDef{14, "gb-de-nets", {country("GB"), country("DE")}, {*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8::/32")}, {}},
        FilterDef{300, "users", {}, {}, {"user 1", "user 7", "user 3"}},
        FilterDef{65535, "all-three", {country("US"), country("ZZ")}, {*parse_cidr("0.0.0.0/0")}, {"user 2", "user 1"}},
    };
    defs.assign(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(n));
  } else {
    static const char* const kCountries[] = {"US", "GB", "DE", "JP", "ZZ", "FR"};
    static const char* const kBlocks[] = {"10.0.0.0/8", "207.148.0.0/16", "2001:db8::/32", "fe80::/10", "::1/128", "192.168.0.1"};
    for (size_t i = 0; i < n; ++i) {
      FilterDef d;
      d.id = static_cast<uint16_t>(i + 1);
      if (i % 2 == 0) d.countries.push_back(country(kCountries[i % 6]));
      if (i % 3 == 0) d.ip_blocks.push_back(*parse_cidr(kBlocks[i % 6]));
      if (i % 5 == 0) d.user_ids.push_back("user " + std::to_string(i % 7));
      defs.push_back(d);
    }
  }
  return FilterSet(std::move(defs));
}

inline EngineConfig config(size_t nfilters, std::vector<uint32_t> windows = {1, 5}, uint32_t top_n = 5) {
  EngineConfig c;
  c.filters = filters(nfilters);
  c.topn_windows = std::move(windows);
  c.top_n = top_n;
  c.threads = 2;
  c.idle_timeout_ms = 24LL * 3'600'000;
  return c;
}

// Everything an engine emits, in order.
class Recorder final : public ResultSink {
 public:
  std::vector<WindowResult> windows;
  std::vector<TopNList> lists;
  std::vector<LateRecord> late;
  void on_window(const WindowResult& w) override { windows.push_back(w); }
  void on_topn(const TopNList& t) override { lists.push_back(t); }
  void on_late(const LateRecord& r) override { late.push_back(r); }
};

// Feeds the stream in per-partition runs of at most `batch` events.
inline void feed(Engine& engine, const Stream& s, size_t batch, ResultSink& sink, size_t from = 0,
                 size_t to = static_cast<size_t>(-1), int64_t* now = nullptr) {
  int64_t local_now = 0;
  int64_t& clock = now ? *now : local_now;
  to = std::min(to, s.events.size());
  size_t i = from;
  while (i < to) {
    size_t j = i;
    while (j < to && j - i < batch && s.partition[j] == s.partition[i]) ++j;
    engine.process(s.partition[i], std::span<const Event>(s.events.data() + i, j - i), clock++, sink);
    i = j;
  }
}

inline std::string show(const std::vector<NamedRow>& rows) {
  std::ostringstream o;
  for (size_t i = 0; i < rows.size() && i < 6; ++i) o << " " << rows[i].ad_id << "/" << rows[i].filter_id << "=" << rows[i].count;
  if (rows.size() > 6) o << " ... (" << rows.size() << " rows)";
  return o.str();
}
inline std::string show(const std::vector<NamedEntry>& e) {
  std::ostringstream o;
  for (size_t i = 0; i < e.size() && i < 8; ++i) o << " " << e[i].ad_id << "=" << e[i].count;
  if (e.size() > 8) o << " ... (" << e.size() << ")";
  return o.str();
}

// Empty when both recorded exactly the same emissions; else the first differences.
inline std::string diff(const Recorder& want, const Recorder& got) {
  std::ostringstream o;
  if (want.windows.size() != got.windows.size())
    o << "windows emitted: want " << want.windows.size() << ", got " << got.windows.size() << "\n";
  for (size_t i = 0; i < std::min(want.windows.size(), got.windows.size()); ++i) {
    const WindowResult& a = want.windows[i];
    const WindowResult& b = got.windows[i];
    if (a.minute != b.minute || a.correction != b.correction || named_rows(a) != named_rows(b)) {
      o << "window #" << i << ": want minute " << a.minute << (a.correction ? " (correction)" : "") << show(named_rows(a))
        << "\n             got minute " << b.minute << (b.correction ? " (correction)" : "") << show(named_rows(b)) << "\n";
      break;
    }
  }
  if (want.lists.size() != got.lists.size())
    o << "lists emitted: want " << want.lists.size() << ", got " << got.lists.size() << "\n";
  for (size_t i = 0; i < std::min(want.lists.size(), got.lists.size()); ++i) {
    const TopNList& a = want.lists[i];
    const TopNList& b = got.lists[i];
    if (a.minute != b.minute || a.window != b.window || a.filter_id != b.filter_id || a.correction != b.correction ||
        named_entries(a) != named_entries(b)) {
      o << "list #" << i << ": want (" << a.minute << ", " << a.window << ", " << a.filter_id << ")"
        << (a.correction ? " correction" : "") << show(named_entries(a)) << "\n           got (" << b.minute << ", "
        << b.window << ", " << b.filter_id << ")" << (b.correction ? " correction" : "") << show(named_entries(b))
        << "\n";
      break;
    }
  }
  if (want.late.size() != got.late.size()) o << "late records: want " << want.late.size() << ", got " << got.late.size() << "\n";
  for (size_t i = 0; i < std::min(want.late.size(), got.late.size()); ++i) {
    const LateRecord& a = want.late[i];
    const LateRecord& b = got.late[i];
    if (a.partition != b.partition || a.position != b.position || a.ad_id != b.ad_id || a.t_ms != b.t_ms ||
        a.watermark_ms != b.watermark_ms) {
      o << "late record #" << i << " differs\n";
      break;
    }
  }
  return o.str();
}

inline std::string diff(const EngineStats& a, const EngineStats& b) {
  std::ostringstream o;
  auto one = [&](const char* name, uint64_t x, uint64_t y) {
    if (x != y) o << name << ": want " << x << ", got " << y << "\n";
  };
  one("events", a.events, b.events);
  one("duplicates", a.duplicates, b.duplicates);
  one("dropped_late", a.dropped_late, b.dropped_late);
  one("counted", a.counted, b.counted);
  one("late_counted", a.late_counted, b.late_counted);
  one("windows_closed", a.windows_closed, b.windows_closed);
  one("corrections", a.corrections, b.corrections);
  if (a.watermark_ms != b.watermark_ms) o << "watermark differs\n";
  return o.str();
}

// Small chunks and tables, so that chunking and table growth happen on small streams too.
inline dev::GpuOptions tight_options(size_t chunk_events = 97) {
  dev::GpuOptions o;
  o.chunk_events = chunk_events;
  o.min_table_slots = 16;
  return o;
}

}  // namespace clickagg::gputest
