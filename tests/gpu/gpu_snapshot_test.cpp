// Snapshots interchange between engines: a run cut by save/restore, with either engine on
// either side of the cut, emits exactly what one uninterrupted CPU run emits.
#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <sstream>

#include "host/engine/snapshot_format.h"
#include "kernels/gpu_engine.h"
#include "kernels/system/runtime.h"
#include "tests/gpu/gpu_test_support.h"

namespace clickagg::gputest {
namespace {

using Factory = std::function<std::unique_ptr<Engine>(const EngineConfig&)>;

Factory cpu_factory() {
  return [](const EngineConfig& c) { return make_cpu_engine(c); };
}
Factory gpu_factory() {
  return [](const EngineConfig& c) { return dev::make_gpu_engine(c, tight_options(500)); };
}

// Emissions of `first` up to the cut, then of `second` restored from `first`'s snapshot.
Recorder run_cut(const Stream& s, const EngineConfig& cfg, size_t cut, const Factory& first, const Factory& second,
                 EngineStats& stats) {
  Recorder rec;
  int64_t now = 0;
  auto a = first(cfg);
  feed(*a, s, 300, rec, 0, cut, &now);
  std::stringstream snap;
  a->save_state(snap);
  a.reset();
  auto b = second(cfg);
  b->restore_state(snap);
  feed(*b, s, 300, rec, cut, s.events.size(), &now);
  b->finish(rec);
  stats = b->stats();
  return rec;
}

TEST(GpuSnapshot, RestoresAcrossEnginesExactly) {
  CLICKAGG_REQUIRE_GPU();
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    StreamSpec spec;
    spec.seed = seed;
    spec.events = 5000;
    spec.partitions = static_cast<uint32_t>(1 + seed % 2);
    spec.step_ms = 150;
    const Stream s = make_stream(spec);
    const EngineConfig cfg = config(seed % 4, {1, 5}, 3);

    Recorder whole;
    int64_t now = 0;
    auto ref = make_cpu_engine(cfg);
    feed(*ref, s, 300, whole, 0, s.events.size(), &now);
    ref->finish(whole);
    const EngineStats ref_stats = ref->stats();

    // The cut lands on a call boundary of the uninterrupted run: 300-event calls, one partition
    // per call, so cut where a call starts.
    size_t cut = 0;
    for (size_t i = 0; i < s.events.size() / 2;) {
      size_t j = i;
      while (j < s.events.size() && j - i < 300 && s.partition[j] == s.partition[i]) ++j;
      cut = i = j;
    }
    const std::pair<const char*, std::pair<Factory, Factory>> combos[] = {
        {"gpu -> cpu", {gpu_factory(), cpu_factory()}},
        {"cpu -> gpu", {cpu_factory(), gpu_factory()}},
        {"gpu -> gpu", {gpu_factory(), gpu_factory()}},
    };
    for (const auto& [name, pair] : combos) {
      EngineStats stats;
      const Recorder got = run_cut(s, cfg, cut, pair.first, pair.second, stats);
      const std::string d = diff(whole, got) + diff(ref_stats, stats);
      EXPECT_TRUE(d.empty()) << "seed " << seed << ", " << name << ":\n" << d;
    }
  }
}

TEST(GpuSnapshot, CountsSectionMatchesTheCpuEngineByteForByte) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 4;
  spec.events = 3000;
  const Stream s = make_stream(spec);
  const EngineConfig cfg = config(3);
  Recorder a, b;
  auto cpu = make_cpu_engine(cfg);
  auto gpu = dev::make_gpu_engine(cfg, tight_options());
  feed(*cpu, s, 250, a);
  feed(*gpu, s, 250, b);
  std::stringstream sc, sg;
  cpu->save_state(sc);
  gpu->save_state(sg);
  // Everything up to the dedup section is deterministic (rows are sorted); fingerprints may
  // come in another order.
  const std::string xc = sc.str(), xg = sg.str();
  const std::string seen_tag("SEEN", 4);
  const size_t at_c = xc.find(seen_tag), at_g = xg.find(seen_tag);
  ASSERT_NE(at_c, std::string::npos);
  EXPECT_EQ(xc.substr(0, at_c), xg.substr(0, at_g));
  EXPECT_EQ(xc.size(), xg.size());
}

// A batch that fails part-way (the device out of memory between two chunks) leaves the engine
// partly counted; restored from the snapshot before it, the engine must go on exactly as one
// that never failed: the restored engine starts its chunk pipeline afresh, with nothing pending
// from the failed batch.
TEST(GpuSnapshot, RestoreAfterABatchFailedBetweenChunks) {
  CLICKAGG_REQUIRE_GPU();
  StreamSpec spec;
  spec.seed = 11;
  spec.events = 6000;
  spec.step_ms = 150;
  const Stream s = make_stream(spec);
  const EngineConfig cfg = config(3, {1, 5}, 3);
  Recorder whole;
  auto ref = make_cpu_engine(cfg);
  feed(*ref, s, 1000, whole);
  ref->finish(whole);

  dev::GpuOptions opt = tight_options(97);
  // 1000-event calls of 97-event chunks: 11 chunks a call; fail in the middle of the third.
  opt.fail_at_chunk = 2 * 11 + 5;
  auto gpu = dev::make_gpu_engine(cfg, opt);
  Recorder got;
  int64_t now = 0;
  feed(*gpu, s, 1000, got, 0, 2000, &now);
  std::stringstream snap;
  gpu->save_state(snap);
  const int64_t before = now;
  // What the engine emitted after the snapshot is discarded with it (a sink commits results
  // and snapshots together), so the replay emits it again.
  const size_t windows = got.windows.size(), lists = got.lists.size(), late = got.late.size();
  try {
    feed(*gpu, s, 1000, got, 2000, 3000, &now);
    FAIL() << "the injected failure did not happen";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos) << e.what();
  }
  got.windows.resize(windows);
  got.lists.resize(lists);
  got.late.resize(late);
  gpu->restore_state(snap);
  now = before;
  feed(*gpu, s, 1000, got, 2000, s.events.size(), &now);
  gpu->finish(got);
  const std::string d = diff(whole, got) + diff(ref->stats(), gpu->stats());
  EXPECT_TRUE(d.empty()) << d;
}

// Random batch sizes, partitions, lateness, jumps of minutes, ticks, snapshots and restores
// (from either engine's snapshot) in one run per seed: both engines emit the same, their
// snapshots agree byte for byte up to the dedup section (whose fingerprints come in each
// engine's table order) and in size, and the run takes both ways through a batch (one wait,
// and the usual two or more).
TEST(GpuSnapshot, RandomBatchesTicksSnapshotsAndRestores) {
  CLICKAGG_REQUIRE_GPU();
  uint64_t one_wait = 0, more = 0, restores = 0;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    std::mt19937_64 rng(seed * 977);
    StreamSpec spec;
    spec.seed = seed + 1000;
    spec.events = 3000 + rng() % 4000;
    spec.ads = static_cast<uint32_t>(5 + rng() % 200);
    spec.partitions = static_cast<uint32_t>(1 + rng() % 3);
    spec.step_ms = rng() % 3 == 0 ? 400 : (rng() % 2 ? 40 : 5);
    spec.late_pct = static_cast<int>(rng() % 15);
    spec.very_late_pct = static_cast<int>(rng() % 4);
    spec.repeat_pct = static_cast<int>(rng() % 20);
    spec.reuse_pct = static_cast<int>(rng() % 10);
    Stream s = make_stream(spec);
    if (rng() % 2) {  // jumps of 1 to 5 minutes
      int64_t shift = 0;
      for (Event& e : s.events) {
        if (rng() % 1500 == 0) shift += 60'000 * static_cast<int64_t>(1 + rng() % 5);
        e.t_ms += shift;
      }
    }
    const EngineConfig cfg = config(rng() % 5, rng() % 2 ? std::vector<uint32_t>{1, 5} : std::vector<uint32_t>{1, 2, 60},
                                    static_cast<uint32_t>(1 + rng() % 4));
    dev::GpuOptions opt;
    if (rng() % 2) opt.chunk_events = 50 + rng() % 400;
    opt.min_table_slots = rng() % 2 ? 16 : 1024;
    auto cpu = make_cpu_engine(cfg);
    auto gpu = dev::make_gpu_engine(cfg, opt);
    Recorder rc, rg;
    int64_t now = 0;
    for (size_t i = 0; i < s.events.size();) {
      const size_t most = rng() % 10 == 0 ? 2000 : (rng() % 3 == 0 ? 7 : 150);
      size_t j = i;
      while (j < s.events.size() && j - i < most && s.partition[j] == s.partition[i]) ++j;
      const std::span<const Event> b(s.events.data() + i, j - i);
      cpu->process(s.partition[i], b, now, rc);
      const uint64_t w0 = dev::sys::host_waits();
      gpu->process(s.partition[i], b, now, rg);
      (dev::sys::host_waits() - w0 == 1 ? one_wait : more) += 1;
      ++now;
      if (rng() % 13 == 0) {
        cpu->tick(now * 1000, rc);
        gpu->tick(now * 1000, rg);
      }
      if (rng() % 40 == 0) {
        std::stringstream sc, sg;
        cpu->save_state(sc);
        gpu->save_state(sg);
        const std::string xc = sc.str(), xg = sg.str();
        const std::string seen(reinterpret_cast<const char*>(&snapshot::kTagSeen), 4);  // little-endian
        EXPECT_EQ(xc.substr(0, xc.find(seen)), xg.substr(0, xg.find(seen))) << "seed " << seed;
        EXPECT_EQ(xc.size(), xg.size()) << "seed " << seed;
        if (rng() % 2) {
          std::stringstream in(rng() % 2 ? xc : xg);
          gpu->restore_state(in);
          ++restores;
        }
      }
      i = j;
    }
    cpu->finish(rc);
    gpu->finish(rg);
    const std::string d = diff(rc, rg) + diff(cpu->stats(), gpu->stats());
    EXPECT_TRUE(d.empty()) << "seed " << seed << ", chunk " << opt.chunk_events << ":\n" << d;
  }
  EXPECT_GT(one_wait, 100u);
  EXPECT_GT(more, 100u);
  EXPECT_GT(restores, 5u);
}

TEST(GpuSnapshot, RejectsAnotherFilterSet) {
  CLICKAGG_REQUIRE_GPU();
  auto cpu = make_cpu_engine(config(2));
  std::stringstream snap;
  cpu->save_state(snap);
  auto gpu = dev::make_gpu_engine(config(3), tight_options());
  EXPECT_THROW(gpu->restore_state(snap), std::runtime_error);
  std::stringstream garbage("not a snapshot at all");
  EXPECT_THROW(gpu->restore_state(garbage), std::runtime_error);
}

}  // namespace
}  // namespace clickagg::gputest
