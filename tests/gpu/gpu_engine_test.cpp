// The GPU engine against the CPU engine: on the same stream, fed in the same calls, both must
// emit exactly the same windows, lists, late records and statistics, in the same order.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <memory_resource>
#include <sstream>

#include "host/common/time_util.h"
#include "host/decode/event_columns.h"
#include "kernels/device_layout.h"
#include "kernels/gpu_engine.h"
#include "kernels/system/runtime.h"
#include "tests/gpu/gpu_test_support.h"

namespace clickagg::gputest {
namespace {

struct Runs {
  Recorder cpu, gpu;
  EngineStats cpu_stats, gpu_stats;
};

Runs run_both(const Stream& s, const EngineConfig& cfg, size_t batch, const dev::GpuOptions& opt) {
  Runs r;
  auto cpu = make_cpu_engine(cfg);
  auto gpu = dev::make_gpu_engine(cfg, opt);
  feed(*cpu, s, batch, r.cpu);
  feed(*gpu, s, batch, r.gpu);
  cpu->finish(r.cpu);
  gpu->finish(r.gpu);
  r.cpu_stats = cpu->stats();
  r.gpu_stats = gpu->stats();
  return r;
}

void expect_same(const Runs& r, const std::string& what) {
  const std::string d = diff(r.cpu, r.gpu) + diff(r.cpu_stats, r.gpu_stats);
  EXPECT_TRUE(d.empty()) << what << ":\n" << d;
}

TEST(GpuVsCpu, RandomStreamsEveryBatchSize) {
  CLICKAGG_REQUIRE_GPU();
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    StreamSpec spec;
    spec.seed = seed;
    spec.events = 4000;
    spec.ads = static_cast<uint32_t>(5 + seed * 7);
    spec.partitions = static_cast<uint32_t>(1 + seed % 3);
    spec.step_ms = seed % 2 ? 40 : 400;  // some streams close windows every few events
    const Stream s = make_stream(spec);
    const EngineConfig cfg = config(seed % 5, seed % 2 ? std::vector<uint32_t>{1, 5} : std::vector<uint32_t>{1, 2, 60},
                                    static_cast<uint32_t>(1 + seed % 4));
    for (size_t batch : {size_t(7), size_t(100), size_t(1000), size_t(100000)}) {
      for (const dev::GpuOptions& opt : {tight_options(), dev::GpuOptions{}}) {
        const Runs r = run_both(s, cfg, batch, opt);
        expect_same(r, "seed " + std::to_string(seed) + ", batch " + std::to_string(batch) + ", chunk " +
                           std::to_string(opt.chunk_events));
        // The stream must exercise what the comparison is about.
        EXPECT_GT(r.cpu_stats.duplicates, 0u);
        EXPECT_GT(r.cpu_stats.dropped_late, 0u);
        EXPECT_GT(r.cpu_stats.late_counted, 0u);
      }
    }
  }
}

TEST(GpuVsCpu, OneEventPerCall) {
  CLICKAGG_REQUIRE_GPU();
  for (uint64_t seed = 21; seed <= 23; ++seed) {
    StreamSpec spec;
    spec.seed = seed;
    spec.events = 500;
    spec.partitions = 2;
    spec.step_ms = 1500;
    const Stream s = make_stream(spec);
    expect_same(run_both(s, config(3), 1, tight_options()), "seed " + std::to_string(seed));
  }
}

// Copies of one key inside one batch (and one chunk, and across chunk boundaries): the first
// copy in arrival order is the one counted, whatever its ad or verdict.
TEST(GpuVsCpu, InBatchDuplicatesCountTheFirstCopy) {
  CLICKAGG_REQUIRE_GPU();
  Stream s;
  auto add = [&](const char* ad, int64_t t, const char* click) {
    Event ev;
    ev.ad_id = s.keep(ad);
    ev.user_id = s.keep("user 1");
    ev.click_id = click ? s.keep(click) : std::string_view{};
    ev.t_ms = t;
    parse_ip("10.1.2.3", ev.ip);
    normalize_country("US", ev.country);
    ev.position = s.events.size();
    s.events.push_back(ev);
    s.partition.push_back(0);
  };
  // Minute 0: click k1 on ad "b" first, then on "a" and "c"; a tuple key repeated 50 times.
  add("b", kT0 + 1000, "k1");
  for (int i = 0; i < 50; ++i) add("x", kT0 + 2000, nullptr);
  add("a", kT0 + 3000, "k1");
  add("c", kT0 + 59'000, "k1");
  // Time moves on: minute 0 closes inside the batch; a later copy of k1 into minute 0 is a
  // duplicate (not late_counted), a new click there is late_counted.
  add("d", kT0 + 80'000, "k2");
  add("e", kT0 + 10'000, "k1");
  add("f", kT0 + 11'000, "k3");
  // The same click_id in another minute counts again.
  add("g", kT0 + 81'000, "k1");
  for (size_t chunk : {size_t(1), size_t(2), size_t(3), size_t(1000)}) {
    const Runs r = run_both(s, config(2), 1000, tight_options(chunk));
    expect_same(r, "chunk " + std::to_string(chunk));
    EXPECT_EQ(r.gpu_stats.counted, 5u);  // b, x, d, f, g
    EXPECT_EQ(r.gpu_stats.duplicates, 52u);
    EXPECT_EQ(r.gpu_stats.late_counted, 1u);
  }
  // And explicitly: minute 0 has b, x and f once; a, c and e never.
  Recorder rec;
  auto gpu = dev::make_gpu_engine(config(0), tight_options(2));
  feed(*gpu, s, 1000, rec);
  gpu->finish(rec);
  const WindowResult* minute0 = nullptr;
  for (const WindowResult& w : rec.windows)
    if (w.minute == minute_of(kT0)) minute0 = &w;
  ASSERT_NE(minute0, nullptr);
  EXPECT_EQ(named_rows(*minute0), (std::vector<NamedRow>{{"b", 0, 1}, {"f", 0, 1}, {"x", 0, 1}}));
}

TEST(GpuVsCpu, HotKeyHalfOfAllClicks) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 5;
  spec.events = 200'000;
  spec.ads = 5000;
  spec.hot_share = 0.5;
  spec.step_ms = 1;
  spec.users = 1000;
  const Stream s = make_stream(spec);
  expect_same(run_both(s, config(4, {1, 5}, 20), 50'000, dev::GpuOptions{}), "hot key, default chunks");
  expect_same(run_both(s, config(4, {1, 5}, 20), 50'000, tight_options(4096)), "hot key, small chunks");
}

// Little or no allowed lateness: a minute's counts are forgotten right after the last list
// that includes it, while the longest window's running sum still holds it (it is taken off
// first); with some lateness, late counts keep landing in minutes the sums hold.
TEST(GpuVsCpu, LongWindowsForgetMinutesTheirSumsHold) {
  CLICKAGG_REQUIRE_GPU();
  for (int64_t lateness_ms : {int64_t{0}, int64_t{30'000}, int64_t{90'000}}) {
    StreamSpec spec;
    spec.seed = 31 + static_cast<uint64_t>(lateness_ms);
    spec.events = 20'000;
    spec.ads = 400;
    spec.step_ms = 30;  // about ten minutes of event time
    const Stream s = make_stream(spec);
    EngineConfig cfg = config(3, {1, 3, 7}, 4);
    cfg.allowed_lateness_ms = lateness_ms;
    for (size_t batch : {size_t(97), size_t(5000)}) {
      const Runs r = run_both(s, cfg, batch, tight_options());
      expect_same(r, "lateness " + std::to_string(lateness_ms) + " ms, batch " + std::to_string(batch));
      EXPECT_GT(r.cpu.lists.size(), 0u);
      if (lateness_ms > 0) {
        EXPECT_GT(r.cpu_stats.late_counted, 0u);
      }
    }
  }
}

TEST(GpuVsCpu, TablesGrowPastTheirInitialSize) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 8;
  spec.events = 60'000;
  spec.ads = 30'000;
  spec.step_ms = 1;  // ~1 minute of event time: tens of thousands of keys in one minute
  spec.users = 5000;
  const Stream s = make_stream(spec);
  dev::GpuOptions opt = tight_options(7000);
  opt.min_table_slots = 16;
  expect_same(run_both(s, config(4, {1, 5}, 10), 20'000, opt), "growth");
}

TEST(GpuVsCpu, LargeBatchesManyFilters) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 11;
  spec.events = 300'000;
  spec.ads = 20'000;
  spec.step_ms = 2;
  spec.users = 10'000;
  const Stream s = make_stream(spec);
  expect_same(run_both(s, config(32, {1, 5, 60}, 100), 100'000, dev::GpuOptions{}), "32 filters");
  // The most filters a configuration may have: hundreds of group keys per event, so chunks
  // are cut by the expansion limit; few ads keep each minute's window small.
  StreamSpec few;
  few.seed = 12;
  few.events = 40'000;
  few.ads = 40;
  few.step_ms = 5;
  const Stream t = make_stream(few);
  expect_same(run_both(t, config(1024, {1, 2}, 10), 15'000, dev::GpuOptions{}), "1024 filters");
}

// Country codes outside the two-letter table reach the device through the batch's own table
// and, past its 16-bit room, through its overflow list; filters naming such codes must match
// them there exactly as on the host.
TEST(GpuVsCpu, CountriesBeyondTheTwoLetterCodes) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 31;
  spec.events = 90'000;
  spec.ads = 200;
  spec.step_ms = 1;
  Stream s = make_stream(spec);
  for (size_t i = 0; i < s.events.size(); ++i) {
    if (i % 10 == 0) s.events[i].country = country("eu-west");
    else if (i % 10 != 5) s.events[i].country = country(("q" + std::to_string(i)).c_str());
  }
  // The stream in one batch does overflow the table (what the comparison is about).
  const EventColumns cols = columns_of(s.events);
  ASSERT_FALSE(cols.overflow_countries().empty());
  ASSERT_FALSE(cols.extra_countries().empty());
  EngineConfig cfg = config(0, {1, 5}, 10);
  cfg.filters = FilterSet({FilterDef{3, "odd", {country("EU-WEST"), country("Q11"), country("Q89999")}, {}, {}},
                           FilterDef{9, "early-and-late", {country("Q7"), country("Q89991"), country("US")}, {}, {}}});
  for (size_t batch : {size_t(100'000), size_t(20'000)}) {
    const Runs r = run_both(s, cfg, batch, dev::GpuOptions{});
    expect_same(r, "batch " + std::to_string(batch));
  }
}

// More distinct minutes in one batch than one chunk holds: the batch is cut into chunks of at
// most that many events.
TEST(GpuVsCpu, MoreMinutesInABatchThanAChunkHolds) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 41;
  spec.events = 50'000;
  spec.ads = 30;
  spec.late_pct = 0;
  spec.very_late_pct = 0;
  Stream s = make_stream(spec);
  const int64_t minutes = 40'000;  // past kMaxChunkMinutes (32 768)
  for (size_t i = 0; i < s.events.size(); ++i)
    s.events[i].t_ms = kT0 + (static_cast<int64_t>(i) * 7919 % minutes) * 60'000 + static_cast<int64_t>(i % 60'000);
  EngineConfig cfg = config(2, {1}, 3);
  cfg.allowed_lateness_ms = (minutes + 10) * 60'000;  // nothing dropped: every minute counted
  const Runs r = run_both(s, cfg, s.events.size(), dev::GpuOptions{});
  expect_same(r, "one batch over 40 000 minutes");
  EXPECT_EQ(r.cpu_stats.dropped_late, 0u);
  EXPECT_GT(r.cpu_stats.windows_closed, static_cast<uint64_t>(dev::kMaxChunkMinutes));
}

// Batches built in the engine's batch memory (pinned on CUDA, so its uploads are truly
// asynchronous) and reused call after call, as the aggregator does: every call must be done
// reading its batch when it returns.
TEST(GpuVsCpu, ReusedBatchesInTheEnginesBatchMemory) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 51;
  spec.events = 30'000;
  spec.ads = 500;
  spec.step_ms = 20;
  const Stream s = make_stream(spec);
  const EngineConfig cfg = config(4, {1, 5}, 10);
  auto cpu = make_cpu_engine(cfg);
  auto gpu = dev::make_gpu_engine(cfg, tight_options(1000));
  EXPECT_NE(gpu->batch_memory(), std::pmr::new_delete_resource());
  Runs r;
  EventColumns batch(gpu->batch_memory());
  int64_t now = 0;
  for (size_t i = 0; i < s.events.size();) {
    const size_t end = std::min(s.events.size(), i + 1 + (i * 7919) % 3000);
    batch.clear();
    for (size_t k = i; k < end; ++k) batch.append(s.events[k]);
    cpu->process(0, batch, now, r.cpu);
    gpu->process(0, batch, now, r.gpu);
    ++now;
    i = end;
  }
  cpu->finish(r.cpu);
  gpu->finish(r.gpu);
  r.cpu_stats = cpu->stats();
  r.gpu_stats = gpu->stats();
  expect_same(r, "reused batches");
}

// Chunk keys past 32 bits (about 21 000 ads: 15 bits, 1025 slots: 11, a hundred minutes in one
// chunk: 7) take the 64-bit sort; everything else in these tests fits 32.
TEST(GpuVsCpu, ChunkKeysWiderThan32Bits) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 61;
  spec.events = 30'000;
  spec.ads = 40'000;   // ~21 000 of them appear
  spec.step_ms = 200;  // ~100 minutes of event time in the one batch
  spec.users = 50;
  const Stream s = make_stream(spec);
  ASSERT_GT(dev::chunk_key_layout(16'385, 1025).end_bit(65), 32);
  EngineConfig cfg = config(1024, {1, 2}, 3);
  cfg.allowed_lateness_ms = 200 * 60'000;
  expect_same(run_both(s, cfg, s.events.size(), dev::GpuOptions{}), "wide keys");
}

// Thousands of ads with equal counts: the device settles the ties at the N-th place by ad_id
// bytes and returns exactly N.
TEST(GpuVsCpu, TopNTiesAreBrokenByAdIdBytes) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 3;
  spec.events = 30'000;
  spec.ads = 3000;
  spec.repeat_pct = 0;
  spec.reuse_pct = 0;
  spec.late_pct = 0;
  spec.very_late_pct = 0;
  spec.click_id_pct = 100;
  spec.step_ms = 10;
  const Stream s = make_stream(spec);
  const Runs r = run_both(s, config(2, {1, 3}, 3), 5000, dev::GpuOptions{});
  expect_same(r, "ties");
  for (const TopNList& l : r.gpu.lists) {
    const std::vector<NamedEntry> entries = named_entries(l);
    for (size_t i = 1; i < entries.size(); ++i) {
      const auto& a = entries[i - 1];
      const auto& b = entries[i];
      EXPECT_TRUE(a.count > b.count || (a.count == b.count && a.ad_id < b.ad_id));
    }
  }
}

// One synchronisation per batch (minute_directory.h) where the batch's kept events count into
// minutes with tables and room, the usual two or more where they do not: a batch far larger
// than the ones before it into the minute after the newest, and a jump of several minutes.
// Both engines must still emit the same.
TEST(GpuVsCpu, OneSynchronisationPerBatchAndTheWayBack) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 71;
  spec.events = 12'000;
  spec.ads = 300;
  spec.late_pct = 0;
  spec.very_late_pct = 0;
  Stream s = make_stream(spec);
  // Event times by hand: minute 0 in batches of 100, then 5000 events of minute 1 in one
  // batch, batches of 100 again, and a jump to minute 5; every 37th event 30 s late.
  std::vector<std::pair<size_t, size_t>> batches;
  size_t big = 0, jump = 0;
  for (size_t i = 0; i < s.events.size(); ++i) {
    int64_t t;
    if (i < 3000) t = kT0 + static_cast<int64_t>(i) * 20;
    else if (i < 8000) t = kT0 + 60'000 + static_cast<int64_t>(i - 3000) * 5;
    else if (i < 9000) t = kT0 + 85'000 + static_cast<int64_t>(i - 8000) * 10;
    else t = kT0 + 300'000 + static_cast<int64_t>(i - 9000) * 20;
    if (i % 37 == 36) t -= 30'000;
    s.events[i].t_ms = t;
  }
  for (size_t i = 0; i < s.events.size();) {
    const size_t n = i == 3000 ? 5000 : 100;
    if (i == 3000) big = batches.size();
    if (i == 9000) jump = batches.size();
    batches.emplace_back(i, i + n);
    i += n;
  }
  const EngineConfig cfg = config(3, {1, 5}, 5);
  auto cpu = make_cpu_engine(cfg);
  auto gpu = dev::make_gpu_engine(cfg, dev::GpuOptions{});
  Runs r;
  std::vector<uint64_t> waits;
  std::vector<bool> emitted;
  int64_t now = 0;
  for (const auto& [from, to] : batches) {
    const std::span<const Event> b(s.events.data() + from, to - from);
    cpu->process(0, b, now, r.cpu);
    const size_t before = r.gpu.windows.size() + r.gpu.lists.size();
    const uint64_t w0 = dev::sys::host_waits();
    gpu->process(0, b, now, r.gpu);
    waits.push_back(dev::sys::host_waits() - w0);
    emitted.push_back(r.gpu.windows.size() + r.gpu.lists.size() != before);
    ++now;
  }
  cpu->finish(r.cpu);
  gpu->finish(r.gpu);
  r.cpu_stats = cpu->stats();
  r.gpu_stats = gpu->stats();
  expect_same(r, "one synchronisation per batch");
  EXPECT_GT(r.cpu_stats.duplicates, 0u);
  EXPECT_GT(r.cpu_stats.late_counted + r.cpu_stats.dropped_late, 0u);

  // Every batch after the first that emits nothing takes one wait, but the two that leave
  // the directory, which take the usual way (two at least).
  size_t quiet = 0, one = 0;
  std::ostringstream seen;
  for (size_t b = 1; b < batches.size(); ++b) {
    if (emitted[b] || b == big || b == jump) continue;
    ++quiet;
    if (waits[b] == 1) ++one;
    else seen << " batch " << b << ": " << waits[b];
  }
  EXPECT_GT(quiet, 40u);
  EXPECT_EQ(one, quiet) << seen.str();
  EXPECT_GE(waits[big], 2u);
  EXPECT_GE(waits[jump], 2u);
  EXPECT_GE(waits[0], 2u);  // no table yet
}

TEST(GpuVsCpu, IdlePartitionsTicksAndRevokes) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 13;
  spec.events = 6000;
  spec.partitions = 3;
  spec.switch_pct = 2;
  spec.step_ms = 100;
  const Stream s = make_stream(spec);
  EngineConfig cfg = config(2);
  cfg.idle_timeout_ms = 50;  // processing time: one unit per call
  Recorder a, b;
  auto cpu = make_cpu_engine(cfg);
  auto gpu = dev::make_gpu_engine(cfg, tight_options());
  int64_t now_a = 0, now_b = 0;
  const size_t third = s.events.size() / 3;
  feed(*cpu, s, 64, a, 0, third, &now_a);
  feed(*gpu, s, 64, b, 0, third, &now_b);
  cpu->tick(now_a + 1000, a);
  gpu->tick(now_b + 1000, b);
  cpu->drop_partition(1);
  gpu->drop_partition(1);
  now_a += 2000;
  now_b += 2000;
  feed(*cpu, s, 64, a, third, s.events.size(), &now_a);
  feed(*gpu, s, 64, b, third, s.events.size(), &now_b);
  cpu->finish(a);
  gpu->finish(b);
  const std::string d = diff(a, b) + diff(cpu->stats(), gpu->stats());
  EXPECT_TRUE(d.empty()) << d;
}

TEST(GpuEngine, RejectsOverlongFieldsBeforeChangingState) {
  CLICKAGG_REQUIRE_GPU();
  Stream s;
  Event ev;
  ev.ad_id = s.keep(std::string(300, 'a'));
  ev.t_ms = kT0;
  auto gpu = dev::make_gpu_engine(config(0), dev::GpuOptions{});
  Recorder rec;
  EXPECT_THROW(gpu->process(0, std::span<const Event>(&ev, 1), 0, rec), std::invalid_argument);
  EXPECT_EQ(gpu->stats().events, 0u);
}

TEST(GpuEngine, RejectsBadConfigurationLikeTheCpuEngine) {
  CLICKAGG_REQUIRE_GPU();
  EngineConfig c = config(0);
  c.top_n = 0;
  EXPECT_THROW(dev::make_gpu_engine(c), std::invalid_argument);
  c = config(0);
  c.topn_windows = {0};
  EXPECT_THROW(dev::make_gpu_engine(c), std::invalid_argument);
}

}  // namespace
}  // namespace clickagg::gputest
