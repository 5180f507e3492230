#include "host/engine/batch_judge.h"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <utility>

namespace clickagg {

namespace {

// Below this many events a batch is judged on the calling thread alone.
constexpr size_t kParallelJudge = 1 << 16;

// The distinct minutes one range of a batch holds, numbered in first-appearance order. A batch
// holds a few minutes, so a short list is searched; a long one (a replay spread over hours)
// gets a hash index.
class MinuteIds {
 public:
  uint32_t id_of(int64_t m) {
    if (index_.empty()) {
      for (size_t k = 0; k < list_.size(); ++k)
        if (list_[k] == m) return static_cast<uint32_t>(k);
      if (list_.size() < kShortList) return append(m);
      for (size_t k = 0; k < list_.size(); ++k) index_.emplace(list_[k], static_cast<uint32_t>(k));
    }
    const auto [it, fresh] = index_.emplace(m, static_cast<uint32_t>(list_.size()));
    if (fresh) list_.push_back(m);
    return it->second;
  }
  const std::vector<int64_t>& list() const { return list_; }

 private:
  static constexpr size_t kShortList = 32;
  uint32_t append(int64_t m) {
    list_.push_back(m);
    return static_cast<uint32_t>(list_.size() - 1);
  }
  std::vector<int64_t> list_;
  std::unordered_map<int64_t, uint32_t> index_;
};

}  // namespace

void HostJudge::judge(const int64_t* t, size_t n, const JudgeRule& rule, ThreadPool& pool, BatchJudgement& out) {
  verdict_.resize(n);
  local_.resize(n);
  const unsigned parts = n >= kParallelJudge ? pool.size() : 1;
  auto range = [&](unsigned p) { return std::pair<size_t, size_t>{n * p / parts, n * (p + 1) / parts}; };
  auto run = [&](const std::function<void(unsigned)>& fn) {
    if (parts == 1) fn(0);
    else pool.run(fn);
  };
  std::vector<int64_t> range_max(parts, kNoTime);
  std::vector<MinuteIds> minutes(parts);
  std::vector<std::vector<DroppedEvent>> dropped(parts);
  if (parts > 1) {
    run([&](unsigned p) {
      const auto [lo, hi] = range(p);
      int64_t m = kNoTime;
      for (size_t i = lo; i < hi; ++i) m = std::max(m, t[i]);
      range_max[p] = m;
    });
  }
  std::vector<int64_t> start(parts);
  start[0] = rule.start_max;
  for (unsigned p = 1; p < parts; ++p) start[p] = std::max(start[p - 1], range_max[p - 1]);

  // Each event's verdict, and its minute's number in its range (first appearance); the
  // minute's division is done once per event and the lookup once per change of minute.
  run([&](unsigned p) {
    const auto [lo, hi] = range(p);
    int64_t pmax = start[p];
    int64_t w = watermark_before(rule, pmax);
    MinuteIds& ids = minutes[p];
    int64_t last = 0;
    uint32_t last_id = 0;
    bool have = false;
    for (size_t i = lo; i < hi; ++i) {
      const int64_t minute = minute_of(t[i]);
      const Verdict v = verdict_of(minute, w, rule.lateness_ms);
      verdict_[i] = v;
      if (v == Verdict::DroppedLate) {
        dropped[p].push_back(DroppedEvent{i, w});
      } else {
        if (!have || minute != last) {
          last_id = ids.id_of(minute);
          last = minute;
          have = true;
        }
        local_[i] = last_id;
      }
      if (t[i] > pmax) {
        pmax = t[i];
        w = watermark_before(rule, pmax);
      }
    }
    range_max[p] = pmax;
  });
  out.end_max = range_max[parts - 1];
  out.dropped.clear();
  for (const auto& d : dropped) out.dropped.insert(out.dropped.end(), d.begin(), d.end());

  // Local minute ids: the distinct counted minutes of the batch, ascending; each range's
  // numbers renumbered to them (a gather, skipped where they already agree).
  std::vector<int64_t>& all = out.minutes;
  all.clear();
  for (const MinuteIds& l : minutes) all.insert(all.end(), l.list().begin(), l.list().end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  run([&](unsigned p) {
    const std::vector<int64_t>& list = minutes[p].list();
    std::vector<uint32_t> to(list.size());
    bool same = true;
    for (size_t k = 0; k < list.size(); ++k) {
      to[k] = static_cast<uint32_t>(std::lower_bound(all.begin(), all.end(), list[k]) - all.begin());
      same = same && to[k] == k;
    }
    if (same) return;
    const auto [lo, hi] = range(p);
    for (size_t i = lo; i < hi; ++i)
      if (verdict_[i] != Verdict::DroppedLate) local_[i] = to[local_[i]];
  });
  out.begin = 0;
  out.end = n;
  out.verdict = verdict_.data();
  out.local = local_.data();
}

}  // namespace clickagg
