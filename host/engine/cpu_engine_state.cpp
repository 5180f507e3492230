// Snapshot of the CPU engine's state in a shard-independent form (ads by name, fingerprints
// by value), so a restart may use another thread count.
#include <istream>
#include <ostream>
#include <set>
#include <stdexcept>

#include "host/engine/cpu_engine.h"
#include "host/engine/snapshot_format.h"
#include "host/engine/state_io.h"

namespace clickagg {

using namespace snapshot;

void CpuEngine::save_state(std::ostream& out) const {
  using namespace state_io;
  write_header(out, cfg_);
  put(out, stats_);
  wm_.save(out);
  life_.save(out);

  std::set<int64_t> minutes;
  for (const Shard& s : shards_)
    for (const auto& [m, _] : s.counts) minutes.insert(m);
  put(out, kTagCounts);
  put<uint64_t>(out, minutes.size());
  for (int64_t m : minutes) {
    write_minute_rows(out, window_result(m, false));
  }
  std::set<int64_t> seen_minutes;
  for (const Shard& s : shards_)
    for (const auto& [m, _] : s.seen) seen_minutes.insert(m);
  put(out, kTagSeen);
  put<uint64_t>(out, seen_minutes.size());
  for (int64_t m : seen_minutes) {
    uint64_t total = 0;
    for (const Shard& s : shards_)
      if (auto it = s.seen.find(m); it != s.seen.end()) total += it->second.size();
    put(out, m);
    put(out, total);
    for (const Shard& s : shards_)
      if (auto it = s.seen.find(m); it != s.seen.end()) it->second.for_each([&](const Hash128& h) { put(out, h); });
  }
  put(out, kTagEnd);
}

void CpuEngine::restore_state(std::istream& in) {
  using namespace state_io;
  check_header(in, cfg_);

  std::vector<Shard> fresh(shards());
  EngineStats stats = get<EngineStats>(in);
  WatermarkTracker wm = wm_;
  wm.restore(in);
  WindowLifecycle life = life_;
  life.restore(in);

  std::vector<size_t> slot_of(65536, 0);
  for (size_t k = 0; k < cfg_.filters.size(); ++k) slot_of[cfg_.filters.defs()[k].id] = k + 1;
  expect_tag(in, kTagCounts, "counts");
  const auto nm = get<uint64_t>(in);
  for (uint64_t i = 0; i < nm; ++i) {
    const auto minute = get<int64_t>(in);
    const auto rows = get<uint64_t>(in);
    for (uint64_t r = 0; r < rows; ++r) {
      const std::string ad = get_string(in);
      const auto fid = get<uint16_t>(in);
      const auto count = get<uint64_t>(in);
      Shard& shard = fresh[(AdDictionary::hash(ad) >> 32) % shards()];
      const uint32_t idx = shard.ads.intern(ad);
      auto& tables = shard.counts[minute];
      if (tables.empty()) tables.resize(cfg_.filters.size() + 1);
      tables[slot_of[fid]].add(idx, count);
    }
  }
  expect_tag(in, kTagSeen, "dedup");
  const auto ns = get<uint64_t>(in);
  for (uint64_t i = 0; i < ns; ++i) {
    const auto minute = get<int64_t>(in);
    const auto total = get<uint64_t>(in);
    for (uint64_t k = 0; k < total; ++k) {
      const auto h = get<Hash128>(in);
      fresh[h.hi % shards()].seen[minute].insert(h);
    }
  }
  expect_tag(in, kTagEnd, "end");
  shards_ = std::move(fresh);
  stats_ = stats;
  wm_ = std::move(wm);
  life_ = std::move(life);
}

}  // namespace clickagg
