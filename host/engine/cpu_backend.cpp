#include "host/engine/cpu_backend.h"

#include <algorithm>
#include <stdexcept>

#include "host/engine/engine_driver.h"
#include "host/engine/stage_clock.h"
#include "host/engine/topn_order.h"
#include "host/engine/window_move.h"

namespace clickagg {

namespace {

// How many events ahead a walk requests the table lines it will probe: enough misses in flight
// to cover a memory latency (the load queues hold a few dozen), few enough that the lines are
// still in L1 when used.
constexpr size_t kAhead = 16;

// Splits [0, n) into `parts` contiguous ranges.
std::pair<size_t, size_t> range_of(size_t begin, size_t n, unsigned parts, unsigned i) {
  return {begin + n * i / parts, begin + n * (i + 1) / parts};
}

}  // namespace

CpuBackend::CpuBackend(const EngineConfig& config, ThreadPool& pool)
    : cfg_(config), pool_(pool), program_(config.filters), dict_(pool.size()) {
  if (pool.size() > 0xFFFF) throw std::invalid_argument("CPU engine: at most 65535 threads");
  shards_.reserve(pool.size());
  for (unsigned s = 0; s < pool.size(); ++s) {
    shards_.emplace_back(program_);
    for (size_t w = 0; w < cfg_.topn_windows.size(); ++w)
      shards_.back().running.emplace_back();
  }
}

GroupTable& CpuBackend::minute_table(Shard& sh, int64_t minute, size_t groups) {
  auto it = sh.counts.find(minute);
  if (it == sh.counts.end()) it = sh.counts.emplace(minute, GroupTable(static_cast<uint64_t>(minute), groups)).first;
  return it->second;
}

void CpuBackend::prepare(Shard& sh, const BatchJudgement& j) {
  const size_t minutes = j.minutes.size();
  sh.count_of.assign(minutes, nullptr);
  sh.seen_of.assign(minutes, nullptr);
  sh.held_by.assign(minutes, {});
  sh.open.assign(minutes, 0);
  sh.late.assign(minutes, 0);
  sh.duplicates = 0;
  sh.todo.clear();
  // Running sums hold closed minutes only: a batch's late events are the only ones that can
  // fall in them.
  for (RunningSum& rs : sh.running) {
    for (int64_t m : rs.held) {
      auto it = std::lower_bound(j.minutes.begin(), j.minutes.end(), m);
      if (it != j.minutes.end() && *it == m) sh.held_by[static_cast<size_t>(it - j.minutes.begin())].push_back(&rs.sums);
    }
  }
}

FingerprintSet& CpuBackend::make_seen_table(Shard& sh, const BatchJudgement& j, uint32_t local) {
  auto [it, fresh] = sh.seen.try_emplace(j.minutes[local]);
  // A new window is sized like the newest one before it: no rehashing as it fills.
  if (fresh && it != sh.seen.begin()) it->second.reserve(std::prev(it)->second.size());
  sh.seen_of[local] = &it->second;
  return it->second;
}

GroupTable& CpuBackend::make_count_table(Shard& sh, const BatchJudgement& j, uint32_t local) {
  // A new minute is sized like the newest one before it.
  const auto prev = sh.counts.lower_bound(j.minutes[local]);
  const bool exists = prev != sh.counts.end() && prev->first == j.minutes[local];
  const size_t like = exists || prev == sh.counts.begin() ? 0 : std::prev(prev)->second.size();
  GroupTable& t = minute_table(sh, j.minutes[local], like);
  sh.count_of[local] = &t;
  return t;
}

// Each event's filter classes, in event order over ranges of the batch.
void CpuBackend::classify(const EventColumns& batch, const BatchJudgement& j) {
  classes_.resize(batch.size());
  if (program_.empty()) return;
  const size_t n = j.end - j.begin;
  const unsigned parts = n >= (1u << 14) ? pool_.size() : 1;
  auto run = [&](unsigned r) {
    const auto [lo, hi] = range_of(j.begin, n, parts, r);
    FilterMatcher& match = shards_[r].match;
    uint64_t* out = classes_.data();
    for (size_t i = lo; i < hi; ++i)
      if (j.verdict[i] != Verdict::DroppedLate) out[i] = match.classes(batch, i);
  };
  if (parts == 1) run(0);
  else pool_.run(run);
}

void CpuBackend::partition(const EventColumns& batch, const BatchJudgement& j) {
  const unsigned T = static_cast<unsigned>(shards_.size());
  const size_t n = j.end - j.begin;
  std::vector<size_t> fp_hist(static_cast<size_t>(T) * T, 0), ad_hist(static_cast<size_t>(T) * T, 0);
  const Hash128* fp = batch.fp.data();
  const uint64_t* ah = batch.ad_hash.data();
  // Each range counts and places in arrays of its own: counters of two threads in one cache
  // line would bounce it between their cores at every event.
  // Each event's two shards are noted (4 bytes) for the placing pass, which then reads them
  // instead of the 25 bytes of verdict, fingerprint and hash they come from.
  shard_pair_.resize(batch.size());
  uint32_t* pair = shard_pair_.data();
  pool_.run([&](unsigned r) {
    const auto [lo, hi] = range_of(j.begin, n, T, r);
    std::vector<size_t> fh(T, 0), hh(T, 0);
    for (size_t i = lo; i < hi; ++i) {
      if (j.verdict[i] == Verdict::DroppedLate) {
        pair[i] = kNoShards;
        continue;
      }
      const unsigned f = fp_shard(fp[i]), a = dict_.shard_of(ah[i]);
      ++fh[f];
      ++hh[a];
      pair[i] = f | a << 16;
    }
    std::copy(fh.begin(), fh.end(), fp_hist.begin() + static_cast<std::ptrdiff_t>(r) * T);
    std::copy(hh.begin(), hh.end(), ad_hist.begin() + static_cast<std::ptrdiff_t>(r) * T);
  });
  // Offsets shard-major, then by range: each shard's events stay in arrival order.
  fp_begin_.assign(T + 1, 0);
  ad_begin_.assign(T + 1, 0);
  size_t fsum = 0, asum = 0;
  for (unsigned s = 0; s < T; ++s) {
    fp_begin_[s] = fsum;
    ad_begin_[s] = asum;
    for (unsigned r = 0; r < T; ++r) {
      const size_t k = static_cast<size_t>(r) * T + s;
      const size_t f = fp_hist[k], a = ad_hist[k];
      fp_hist[k] = fsum;
      ad_hist[k] = asum;
      fsum += f;
      asum += a;
    }
  }
  fp_begin_[T] = fsum;
  ad_begin_[T] = asum;
  fp_order_.resize(fsum);
  ad_order_.resize(asum);
  pool_.run([&](unsigned r) {
    const auto [lo, hi] = range_of(j.begin, n, T, r);
    std::vector<size_t> fa(fp_hist.begin() + static_cast<std::ptrdiff_t>(r) * T,
                           fp_hist.begin() + static_cast<std::ptrdiff_t>(r + 1) * T);
    std::vector<size_t> aa(ad_hist.begin() + static_cast<std::ptrdiff_t>(r) * T,
                           ad_hist.begin() + static_cast<std::ptrdiff_t>(r + 1) * T);
    uint32_t* fo = fp_order_.data();
    uint32_t* ao = ad_order_.data();
    for (size_t i = lo; i < hi; ++i) {
      const uint32_t p = pair[i];
      if (p == kNoShards) continue;
      fo[fa[p & 0xFFFF]++] = static_cast<uint32_t>(i);
      ao[aa[p >> 16]++] = static_cast<uint32_t>(i);
    }
  });
}

void CpuBackend::dedup(Shard& sh, const EventColumns& batch, const BatchJudgement& j, const uint32_t* seq, size_t n) {
  const Hash128* fp = batch.fp.data();
  const uint32_t* local = j.local;
  const bool one_shard = shards_.size() == 1;
  // With one shard the events to count are listed here, in arrival order.
  if (one_shard) sh.todo.resize(n);
  uint32_t* todo = sh.todo.data();
  size_t kept = 0;
  for (size_t k = 0; k < n; ++k) {
    if (k + kAhead < n) {
      const uint32_t a = seq[k + kAhead];
      seen_table(sh, j, local[a]).prefetch(fp[a]);
    }
    // In arrival order: of two copies the first counts.
    const uint32_t i = seq[k];
    if (seen_table(sh, j, local[i]).insert(fp[i])) {
      if (one_shard) todo[kept++] = i;
    } else {
      if (!one_shard) sh.dup_bits[i / 64] |= uint64_t{1} << (i % 64);
      ++sh.duplicates;
    }
  }
  if (one_shard) sh.todo.resize(kept);
}

void CpuBackend::count_events(unsigned s, const EventColumns& batch, const BatchJudgement& j) {
  Shard& sh = shards_[s];
  const uint32_t* todo = sh.todo.data();
  const size_t n = sh.todo.size();
  const uint64_t* hash = batch.ad_hash.data();
  const uint32_t* ad_off = batch.ad_off.data();
  const uint8_t* ad_len = batch.ad_len.data();
  const char* text = batch.text.data();
  const uint32_t* local = j.local;
  const Verdict* verdict = j.verdict;
  // The ad of todo[k] at ad_of[k]: kept by position in the shard's own list, since events of
  // several shards interleave in the batch (and their cache lines with them).
  sh.ad_of.resize(n);
  uint32_t* ad_of = sh.ad_of.data();
  // Interning: the slot of the name 2 x kAhead events on is requested, and the head of the
  // one kAhead on (whose slot has arrived by now).
  for (size_t k = 0; k < n; ++k) {
    if (k + 2 * kAhead < n) dict_.prefetch(s, hash[todo[k + 2 * kAhead]]);
    if (k + kAhead < n) dict_.prefetch_head(s, hash[todo[k + kAhead]]);
    const uint32_t i = todo[k];
    ad_of[k] = dict_.intern(s, hash[i], AdDictionary::padded_head(text + ad_off[i], ad_len[i]),
                            [&] { return batch.ad_id(i); }, i);
  }
  // Counting, with the group line of the event kAhead on requested.
  for (size_t k = 0; k < n; ++k) {
    if (k + kAhead < n) count_table(sh, j, local[todo[k + kAhead]]).prefetch(ad_of[k + kAhead]);
    const uint32_t i = todo[k];
    const uint32_t l = local[i];
    const uint32_t ad = ad_of[k];
    const std::span<const uint16_t> slots = sh.match.slots(classes_[i]);
    count_table(sh, j, l).add_event(ad, slots);
    for (SlidingSum* held : sh.held_by[l]) held->add_late(ad, slots);
    if (verdict[i] == Verdict::ClosedLate) ++sh.late[l];
    else ++sh.open[l];
  }
}

void CpuBackend::count(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally) {
  if (batch.size() > 0xFFFFFFFFull) throw std::length_error("CPU engine: batch too large");
  for (Shard& sh : shards_) {
    // Each fingerprint shard marks its duplicates in a bitmap of its own (one thread per
    // cache line); the ad shards then read them all.
    if (shards_.size() > 1) sh.dup_bits.assign(batch.size() / 64 + 1, 0);
    prepare(sh, j);
    sh.match.begin_batch(batch);
  }
  {
    StageClock c(seconds_[kClassify]);
    classify(batch, j);
  }
  if (shards_.size() == 1) {
    Shard& sh = shards_[0];
    {
      StageClock c(seconds_[kDedup]);
      kept_.clear();
      for (size_t i = j.begin; i < j.end; ++i)
        if (j.verdict[i] != Verdict::DroppedLate) kept_.push_back(static_cast<uint32_t>(i));
      dedup(sh, batch, j, kept_.data(), kept_.size());
    }
    StageClock c(seconds_[kCount]);
    count_events(0, batch, j);
  } else {
    {
      StageClock c(seconds_[kPartition]);
      partition(batch, j);
    }
    {
      StageClock c(seconds_[kDedup]);
      pool_.run([&](unsigned s) {
        dedup(shards_[s], batch, j, fp_order_.data() + fp_begin_[s], fp_begin_[s + 1] - fp_begin_[s]);
      });
    }
    StageClock c(seconds_[kCount]);
    pool_.run([&](unsigned s) {
      Shard& sh = shards_[s];
      for (size_t k = ad_begin_[s]; k < ad_begin_[s + 1]; ++k) {
        const uint32_t i = ad_order_[k];
        uint64_t dup = 0;
        for (const Shard& other : shards_) dup |= other.dup_bits[i / 64];
        if (!((dup >> (i % 64)) & 1)) sh.todo.push_back(i);
      }
      count_events(s, batch, j);
    });
  }
  {
    StageClock c(seconds_[kDictionary]);
    dict_.commit(&pool_);
  }
  for (const Shard& sh : shards_) {
    for (size_t l = 0; l < j.minutes.size(); ++l) {
      tally.open[l] += sh.open[l];
      tally.late[l] += sh.late[l];
    }
    tally.duplicates += sh.duplicates;
  }
}

void CpuBackend::window_rows(int64_t minute, std::vector<CountRow>& out) {
  StageClock clock(seconds_[kRows]);
  std::vector<std::vector<CountRow>> parts(shards_.size());
  auto collect = [&](unsigned s) {
    const Shard& sh = shards_[s];
    auto it = sh.counts.find(minute);
    if (it == sh.counts.end()) return;
    std::vector<CountRow>& rows = shards_.size() == 1 ? out : parts[s];
    rows.reserve(rows.size() + it->second.size());
    it->second.for_each([&](uint32_t local, uint32_t slot, uint64_t c) {
      rows.push_back(CountRow{dict_.global(s, local), filter_id(slot), c});
    });
  };
  if (shards_.size() == 1) {
    collect(0);
    return;
  }
  pool_.run(collect);
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
}

void CpuBackend::run_of(Shard& sh, const std::vector<int64_t>& minutes, bool leaving, SlidingSum::Run& out) {
  std::vector<const GroupTable*> tables;
  tables.reserve(minutes.size());
  for (int64_t m : minutes) {
    auto r = leaving ? sh.retired.find(m) : sh.retired.end();
    tables.push_back(r != sh.retired.end() ? &r->second : &sh.counts.at(m));
  }
  SlidingSum::sorted_run(tables, out, sh.run_scratch);
}

// Retired tables no running sum holds any more.
void CpuBackend::release_retired(Shard& sh) {
  for (auto it = sh.retired.begin(); it != sh.retired.end();) {
    bool held = false;
    for (const RunningSum& rs : sh.running) held = held || rs.held.count(it->first) != 0;
    it = held ? std::next(it) : sh.retired.erase(it);
  }
}

template <class F>
void CpuBackend::MovedSum::for_each(F&& f) {
  backend.position(sh, window_index, minute, f);
}

template <class F>
void CpuBackend::position(Shard& sh, size_t wi, int64_t e, F&& visit) {
  const int64_t lo = e - static_cast<int64_t>(cfg_.topn_windows[wi]) + 1;
  RunningSum& rs = sh.running[wi];
  std::vector<int64_t> present;
  for (auto it = sh.counts.lower_bound(lo); it != sh.counts.end() && it->first <= e; ++it) present.push_back(it->first);
  WindowMove mv = plan_window_move(rs.held, present, lo, e);
  if (!mv.restart && !sh.retired.empty()) {
    // A retired minute leaves at this move even inside the window (its lists are all out).
    for (int64_t m : rs.held)
      if (m >= lo && m <= e && sh.retired.count(m) != 0) mv.drop.push_back(m);
    std::sort(mv.drop.begin(), mv.drop.end());
  }
  if (mv.restart) rs.sums.clear();
  if (mv.add != sh.entering) {
    run_of(sh, mv.add, false, sh.enter_run);
    sh.entering = mv.add;
  }
  run_of(sh, mv.drop, true, sh.leave_run);
  rs.sums.move(sh.enter_run, sh.leave_run, visit);
  apply_window_move(mv, rs.held);
  if (!sh.retired.empty()) release_retired(sh);
}

// The best top_n ads of every slot of `groups` (a minute's table or a running sum) into shard
// s's candidates for window wi.
template <class Groups>
void CpuBackend::select(unsigned s, Groups& groups, size_t wi, size_t windows, uint32_t top_n) {
  Shard& sh = shards_[s];
  const AdNames& names = dict_.name_table();
  // Per slot, a bounded heap whose front is the worst kept entry: most groups lose to it on the
  // count alone, so names are compared only on ties with the current N-th.
  auto worse = [&](const TopNEntry& a, const TopNEntry& b) { return ranks_before(a.count, a.ad, b.count, b.ad, names); };
  // The count a group of each slot needs to be offered: 0 until its heap holds N, then the
  // front's. Every group of a window is visited (of an hour-long one, millions a minute), and
  // nearly all lose on this one compare: it stays in the visiting loop, the offer out of it.
  sh.need.assign(program_.slots(), 0);
  uint64_t* need = sh.need.data();
  auto offer = [&](uint32_t local, uint32_t slot, uint64_t c) __attribute__((noinline)) {
    std::vector<TopNEntry>& heap = sh.found[slot * windows + wi];
    const TopNEntry cand{dict_.global(s, local), c};
    if (heap.size() < top_n) {
      heap.push_back(cand);
      std::push_heap(heap.begin(), heap.end(), worse);
    } else if (worse(cand, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), worse);
      heap.back() = cand;
      std::push_heap(heap.begin(), heap.end(), worse);
    }
    if (heap.size() == top_n) need[slot] = heap.front().count;
  };
  groups.for_each([&](uint32_t local, uint32_t slot, uint64_t c) {
    if (c >= need[slot]) offer(local, slot, c);
  });
}

void CpuBackend::topn(const TopNQuery& q, std::vector<std::vector<TopNEntry>>& out) {
  StageClock clock(seconds_[kTopN]);
  const size_t nwin = q.windows.size();
  const size_t lists = static_cast<size_t>(program_.slots()) * nwin;
  auto run = [&](unsigned s) {
    Shard& sh = shards_[s];
    sh.found.assign(lists, {});
    sh.entering.clear();  // tables may have changed since the last call
    sh.enter_run.clear();
    for (size_t wi = 0; wi < nwin; ++wi) {
      if (q.windows[wi] == 1) {
        auto it = sh.counts.find(q.minute);
        if (it != sh.counts.end()) select(s, it->second, wi, nwin, q.top_n);
      } else {
        // The sum's groups are offered to the selection as its move writes them.
        MovedSum moved{*this, sh, wi, q.minute};
        select(s, moved, wi, nwin, q.top_n);
      }
    }
  };
  if (shards_.size() == 1) run(0);
  else pool_.run(run);
  for (Shard& sh : shards_)
    for (size_t l = 0; l < lists; ++l) out[l].insert(out[l].end(), sh.found[l].begin(), sh.found[l].end());
}

void CpuBackend::purge(int64_t minute) {
  for (Shard& sh : shards_) sh.seen.erase(minute);
}

void CpuBackend::forget(int64_t minute) {
  for (Shard& sh : shards_) {
    auto it = sh.counts.find(minute);
    if (it == sh.counts.end()) continue;
    bool held = false;
    for (const RunningSum& rs : sh.running) held = held || rs.held.count(minute) != 0;
    if (held) sh.retired.insert_or_assign(minute, std::move(it->second));
    sh.counts.erase(it);
  }
}

std::vector<int64_t> CpuBackend::count_minutes() const {
  std::set<int64_t> m;
  for (const Shard& sh : shards_)
    for (const auto& [minute, t] : sh.counts) m.insert(minute);
  return {m.begin(), m.end()};
}

std::vector<int64_t> CpuBackend::seen_minutes() const {
  std::set<int64_t> m;
  for (const Shard& sh : shards_)
    for (const auto& [minute, t] : sh.seen) m.insert(minute);
  return {m.begin(), m.end()};
}

uint64_t CpuBackend::fingerprint_count(int64_t minute) const {
  uint64_t n = 0;
  for (const Shard& sh : shards_)
    if (auto it = sh.seen.find(minute); it != sh.seen.end()) n += it->second.size();
  return n;
}

void CpuBackend::for_each_fingerprint(int64_t minute, const std::function<void(const Hash128&)>& f) const {
  for (const Shard& sh : shards_)
    if (auto it = sh.seen.find(minute); it != sh.seen.end()) it->second.for_each(f);
}

void CpuBackend::restore_counts(int64_t minute, std::span<const RestoredRow> rows) {
  for (const RestoredRow& r : rows) {
    const auto [s, local] = dict_.intern_now(r.ad);
    minute_table(shards_[s], minute, rows.size() / shards_.size() + 1).add(local, r.slot, r.count);
  }
}

void CpuBackend::restore_fingerprints(int64_t minute, std::span<const Hash128> fps) {
  // Sized first: the snapshot lists a set in its hash order, which would pile up in a table
  // that grows as it fills.
  if (fps.empty()) return;
  std::vector<size_t> per_shard(shards_.size(), 0);
  for (const Hash128& fp : fps) ++per_shard[fp_shard(fp)];
  for (size_t s = 0; s < shards_.size(); ++s)
    if (per_shard[s] > 0) shards_[s].seen[minute].reserve(per_shard[s]);
  for (const Hash128& fp : fps) shards_[fp_shard(fp)].seen[minute].insert(fp);
}

std::vector<std::pair<std::string, double>> CpuBackend::stage_seconds() const {
  static const char* const kNames[kStages] = {"classify", "partition", "dedup", "count", "dictionary", "rows", "topn"};
  std::vector<std::pair<std::string, double>> out;
  for (int s = 0; s < kStages; ++s) out.emplace_back(kNames[s], seconds_[s]);
  return out;
}

std::unique_ptr<EngineBackend> make_cpu_backend(const EngineConfig& config, ThreadPool& pool) {
  return std::make_unique<CpuBackend>(config, pool);
}

std::unique_ptr<Engine> make_cpu_engine(const EngineConfig& config) {
  return std::make_unique<EngineDriver>(config, make_cpu_backend);
}

}  // namespace clickagg
