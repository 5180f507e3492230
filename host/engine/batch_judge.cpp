#include "host/engine/batch_judge.h"

#include <algorithm>
#include <functional>
#include <unordered_set>
#include <utility>

namespace clickagg {

namespace {

// Below this many events a batch is judged on the calling thread alone.
constexpr size_t kParallelJudge = 1 << 16;

// The distinct minutes one range of a batch holds, in first-appearance order.
class MinuteList {
 public:
  void add(int64_t m) {
    if (have_last_ && m == last_) return;
    have_last_ = true;
    last_ = m;
    if (seen_.insert(m).second) list_.push_back(m);
  }
  const std::vector<int64_t>& list() const { return list_; }

 private:
  bool have_last_ = false;
  int64_t last_ = 0;
  std::unordered_set<int64_t> seen_;
  std::vector<int64_t> list_;
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
  std::vector<MinuteList> minutes(parts);
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

  run([&](unsigned p) {
    const auto [lo, hi] = range(p);
    int64_t pmax = start[p];
    int64_t w = watermark_before(rule, pmax);
    for (size_t i = lo; i < hi; ++i) {
      const int64_t minute = minute_of(t[i]);
      const Verdict v = verdict_of(minute, w, rule.lateness_ms);
      verdict_[i] = v;
      if (v == Verdict::DroppedLate) dropped[p].push_back(DroppedEvent{i, w});
      else minutes[p].add(minute);
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

  // Local minute ids: the distinct counted minutes of the batch, ascending.
  std::vector<int64_t>& all = out.minutes;
  all.clear();
  for (const MinuteList& l : minutes) all.insert(all.end(), l.list().begin(), l.list().end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  run([&](unsigned p) {
    const auto [lo, hi] = range(p);
    int64_t last = 0;
    uint32_t last_id = 0;
    bool have = false;
    for (size_t i = lo; i < hi; ++i) {
      if (verdict_[i] == Verdict::DroppedLate) continue;
      const int64_t minute = minute_of(t[i]);
      if (!have || minute != last) {
        last_id = static_cast<uint32_t>(std::lower_bound(all.begin(), all.end(), minute) - all.begin());
        last = minute;
        have = true;
      }
      local_[i] = last_id;
    }
  });
  out.begin = 0;
  out.end = n;
  out.verdict = verdict_.data();
  out.local = local_.data();
}

}  // namespace clickagg
