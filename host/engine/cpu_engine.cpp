#include "host/engine/cpu_engine.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "host/common/time_util.h"
#include "host/engine/event_fingerprint.h"
#include "host/engine/row_order.h"
#include "host/engine/topn_order.h"

namespace clickagg {

namespace {
unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}
uint32_t max_of(const std::vector<uint32_t>& v) {
  return v.empty() ? 1 : *std::max_element(v.begin(), v.end());
}
// Splits [0, n) into `parts` contiguous ranges.
std::pair<size_t, size_t> range_of(size_t n, unsigned parts, unsigned i) {
  const size_t per = (n + parts - 1) / parts;
  const size_t lo = std::min(n, per * i);
  return {lo, std::min(n, lo + per)};
}
}  // namespace

CpuEngine::CpuEngine(const EngineConfig& config)
    : cfg_(config),
      max_window_(max_of(config.topn_windows)),
      pool_(resolve_threads(config.threads)),
      shards_(pool_.size()),
      wm_(config.delay_ms, config.idle_timeout_ms),
      life_(config.allowed_lateness_ms, max_window_) {
  if (cfg_.topn_windows.empty()) cfg_.topn_windows = {1};
  for (uint32_t m : cfg_.topn_windows)
    if (m == 0 || m > 10080) throw std::invalid_argument("top-N window sizes must be 1..10080 minutes");
  if (cfg_.top_n == 0) throw std::invalid_argument("top-N size must be at least 1");
  if (cfg_.delay_ms < 0 || cfg_.allowed_lateness_ms < 0) throw std::invalid_argument("delay and lateness must be >= 0");
  std::sort(cfg_.topn_windows.begin(), cfg_.topn_windows.end());
  cfg_.topn_windows.erase(std::unique(cfg_.topn_windows.begin(), cfg_.topn_windows.end()), cfg_.topn_windows.end());
}

std::vector<CountTable>& CpuEngine::tables_for(Shard& shard, int64_t minute) {
  auto& tables = shard.counts[minute];
  if (tables.empty()) tables.resize(cfg_.filters.size() + 1);
  return tables;
}

void CpuEngine::count_one(Shard& shard, const Event& ev, uint64_t ad_hash, int64_t minute) {
  const uint32_t ad = shard.ads.intern(ev.ad_id, ad_hash);
  auto& tables = tables_for(shard, minute);
  tables[0].add(ad, 1);
  const auto& defs = cfg_.filters.defs();
  for (size_t k = 0; k < defs.size(); ++k)
    if (defs[k].matches(ev)) tables[k + 1].add(ad, 1);
}

void CpuEngine::process(uint32_t partition, std::span<const Event> events, int64_t now_ms, ResultSink& sink) {
  const size_t n = events.size();
  wm_.touch(partition, now_ms);
  stats_.events += n;
  minute_.resize(n);
  verdict_.resize(n);
  fp_.resize(n);
  ad_hash_.resize(n);
  fp_shard_.resize(n);
  ad_shard_.resize(n);
  duplicate_.assign(n, 0);

  // 1. Judge each event against the watermark just before it.
  const int64_t others = wm_.others_min(partition, now_ms);
  int64_t w = wm_.current();
  int64_t pmax = wm_.partition_max(partition);
  for (size_t i = 0; i < n; ++i) {
    const Event& ev = events[i];
    minute_[i] = minute_of(ev.t_ms);
    verdict_[i] = life_.judge(minute_[i], w);
    if (verdict_[i] == Verdict::DroppedLate) {
      ++stats_.dropped_late;
      sink.on_late(LateRecord{partition, ev.position, std::string(ev.ad_id), ev.t_ms, w});
    }
    pmax = std::max(pmax, ev.t_ms);
    w = std::max(w, std::min(others, wm_.from_max(pmax)));
  }
  wm_.set_partition_max(partition, pmax);

  // 2. Fingerprints and shard ids.
  const unsigned s_count = shards();
  pool_.run([&](unsigned t) {
    auto [lo, hi] = range_of(n, s_count, t);
    for (size_t i = lo; i < hi; ++i) {
      if (verdict_[i] == Verdict::DroppedLate) continue;
      fp_[i] = fingerprint_of(events[i]);
      fp_shard_[i] = static_cast<uint16_t>(fp_[i].hi % s_count);
      ad_hash_[i] = AdDictionary::hash(events[i].ad_id);
      ad_shard_[i] = static_cast<uint16_t>((ad_hash_[i] >> 32) % s_count);
    }
  });

  // 3. Dedup per window, each fingerprint shard in arrival order.
  pool_.run([&](unsigned s) {
    Shard& shard = shards_[s];
    FingerprintSet* set = nullptr;
    int64_t set_minute = 0;
    for (size_t i = 0; i < n; ++i) {
      if (fp_shard_[i] != s || verdict_[i] == Verdict::DroppedLate) continue;
      if (!set || set_minute != minute_[i]) {
        auto [it, fresh] = shard.seen.try_emplace(minute_[i]);
        // A new window is sized like the newest one before it: no rehashing as it fills.
        if (fresh && it != shard.seen.begin()) it->second.reserve(std::prev(it)->second.size());
        set = &it->second;
        set_minute = minute_[i];
      }
      if (!set->insert(fp_[i])) duplicate_[i] = 1;
    }
  });

  // 4. Count, each ad shard on its own tables.
  pool_.run([&](unsigned s) {
    Shard& shard = shards_[s];
    for (size_t i = 0; i < n; ++i) {
      if (ad_shard_[i] != s || verdict_[i] == Verdict::DroppedLate || duplicate_[i]) continue;
      count_one(shard, events[i], ad_hash_[i], minute_[i]);
    }
  });

  for (size_t i = 0; i < n; ++i) {
    if (verdict_[i] == Verdict::DroppedLate) continue;
    if (duplicate_[i]) {
      ++stats_.duplicates;
      continue;
    }
    const bool late = verdict_[i] == Verdict::ClosedLate;
    ++stats_.counted;
    if (late) ++stats_.late_counted;
    life_.on_counted(minute_[i], 1, late);
  }

  wm_.raise_to(w);
  apply(life_.advance(wm_.current()), sink);
}

void CpuEngine::tick(int64_t now_ms, ResultSink& sink) { apply(life_.advance(wm_.advance(now_ms)), sink); }

void CpuEngine::finish(ResultSink& sink) {
  wm_.raise_to(kEndOfTime);
  apply(life_.advance(kEndOfTime), sink);
}

EngineStats CpuEngine::stats() const {
  EngineStats s = stats_;
  s.watermark_ms = wm_.current();
  return s;
}

WindowResult CpuEngine::window_result(int64_t minute, bool correction) const {
  WindowResult r;
  r.minute = minute;
  r.correction = correction;
  const auto& defs = cfg_.filters.defs();
  for (const Shard& shard : shards_) {
    auto it = shard.counts.find(minute);
    if (it == shard.counts.end()) continue;
    for (size_t slot = 0; slot < it->second.size(); ++slot) {
      const uint16_t fid = slot == 0 ? 0 : defs[slot - 1].id;
      it->second[slot].for_each([&](uint32_t ad, uint64_t c) {
        r.rows.push_back(CountRow{std::string(shard.ads.name(ad)), fid, c});
      });
    }
  }
  sort_rows(r.rows);
  return r;
}

void CpuEngine::emit_topn(int64_t minute, bool correction, ResultSink& sink) {
  const size_t slots = cfg_.filters.size() + 1;
  const size_t nwin = cfg_.topn_windows.size();
  const size_t top_n = cfg_.top_n;
  // candidates[shard][slot * nwin + w]: each shard's best ads; the global top-N is among the
  // union because every ad lives in exactly one shard.
  std::vector<std::vector<std::vector<TopNEntry>>> candidates(shards(), std::vector<std::vector<TopNEntry>>(slots * nwin));
  pool_.run([&](unsigned s) {
    Shard& shard = shards_[s];
    shard.sums.resize(shard.ads.size(), 0);
    std::vector<std::pair<uint64_t, uint32_t>> ranked;
    for (size_t slot = 0; slot < slots; ++slot) {
      size_t wi = 0;
      for (uint32_t age = 0; age < max_window_ && wi < nwin; ++age) {
        auto it = shard.counts.find(minute - age);
        if (it != shard.counts.end()) {
          it->second[slot].for_each([&](uint32_t ad, uint64_t c) {
            if (shard.sums[ad] == 0) shard.touched.push_back(ad);
            shard.sums[ad] += c;
          });
        }
        while (wi < nwin && cfg_.topn_windows[wi] == age + 1) {
          // A bounded heap whose front is the worst kept entry: most candidates lose to it on
          // the count alone, so names are compared only on ties with the current N-th.
          ranked.clear();
          auto before = [&](const auto& a, const auto& b) {
            return ranks_before(a.first, shard.ads.name(a.second), b.first, shard.ads.name(b.second));
          };
          for (uint32_t ad : shard.touched) {
            const std::pair<uint64_t, uint32_t> cand{shard.sums[ad], ad};
            if (ranked.size() < top_n) {
              ranked.push_back(cand);
              std::push_heap(ranked.begin(), ranked.end(), before);
            } else if (cand.first >= ranked.front().first && before(cand, ranked.front())) {
              std::pop_heap(ranked.begin(), ranked.end(), before);
              ranked.back() = cand;
              std::push_heap(ranked.begin(), ranked.end(), before);
            }
          }
          auto& out = candidates[s][slot * nwin + wi];
          for (const auto& [c, ad] : ranked) out.push_back(TopNEntry{std::string(shard.ads.name(ad)), c});
          ++wi;
        }
      }
      for (uint32_t ad : shard.touched) shard.sums[ad] = 0;
      shard.touched.clear();
    }
  });
  const auto& defs = cfg_.filters.defs();
  for (size_t slot = 0; slot < slots; ++slot) {
    for (size_t wi = 0; wi < nwin; ++wi) {
      TopNList list;
      list.minute = minute;
      list.window = cfg_.topn_windows[wi];
      list.filter_id = slot == 0 ? 0 : defs[slot - 1].id;
      list.correction = correction;
      for (auto& per_shard : candidates)
        for (auto& e : per_shard[slot * nwin + wi]) list.entries.push_back(std::move(e));
      keep_top(list.entries, top_n);
      // An empty list says nothing a subscriber cannot infer; only a correction that empties
      // a list must be sent.
      if (!list.entries.empty() || correction) sink.on_topn(list);
    }
  }
}

void CpuEngine::apply(const WindowPlan& plan, ResultSink& sink) {
  if (plan.empty()) return;
  const EmissionOrder order = emission_order(plan);
  for (const auto& [m, correction] : order.windows) {
    sink.on_window(window_result(m, correction));
    if (correction) ++stats_.corrections;
    else ++stats_.windows_closed;
  }
  for (const auto& [e, correction] : order.lists) emit_topn(e, correction, sink);
  for (int64_t m : plan.purge)
    for (Shard& shard : shards_) shard.seen.erase(m);
  for (int64_t m : plan.forget)
    for (Shard& shard : shards_) shard.counts.erase(m);
}

std::unique_ptr<Engine> make_cpu_engine(const EngineConfig& config) {
  return std::make_unique<CpuEngine>(config);
}

}  // namespace clickagg
