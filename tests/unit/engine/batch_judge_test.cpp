// HostJudge against a brute-force oracle: the watermark recomputed from scratch before every
// event, the counted minutes collected in a std::set. Seeded random batches with a few minutes
// (the common case) and with hundreds (a replay spread over hours), out of order, on one thread
// and in parallel ranges.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "host/engine/batch_judge.h"
#include "host/engine/thread_pool.h"

namespace clickagg {
namespace {

struct Oracle {
  std::vector<Verdict> verdict;
  std::vector<int64_t> minute;  // per event; kNoTime when dropped
  std::vector<int64_t> minutes;
  std::vector<DroppedEvent> dropped;
  int64_t end_max = kNoTime;
};

Oracle judge_slowly(const std::vector<int64_t>& t, const JudgeRule& rule) {
  Oracle o;
  std::set<int64_t> minutes;
  for (size_t i = 0; i < t.size(); ++i) {
    int64_t prefix = rule.start_max;
    for (size_t k = 0; k < i; ++k) prefix = std::max(prefix, t[k]);
    const int64_t w = watermark_before(rule, prefix);
    const Verdict v = verdict_of(minute_of(t[i]), w, rule.lateness_ms);
    o.verdict.push_back(v);
    if (v == Verdict::DroppedLate) {
      o.dropped.push_back(DroppedEvent{i, w});
      o.minute.push_back(kNoTime);
    } else {
      minutes.insert(minute_of(t[i]));
      o.minute.push_back(minute_of(t[i]));
    }
  }
  o.end_max = rule.start_max;
  for (int64_t x : t) o.end_max = std::max(o.end_max, x);
  o.minutes.assign(minutes.begin(), minutes.end());
  return o;
}

void expect_judged(const std::vector<int64_t>& t, const JudgeRule& rule, unsigned threads, uint64_t seed) {
  ThreadPool pool(threads);
  HostJudge judge;
  BatchJudgement got;
  judge.judge(t.data(), t.size(), rule, pool, got);
  const Oracle want = judge_slowly(t, rule);
  SCOPED_TRACE(testing::Message() << "seed " << seed << ", " << threads << " threads, " << t.size() << " events");
  ASSERT_EQ(got.begin, 0u);
  ASSERT_EQ(got.end, t.size());
  ASSERT_EQ(got.minutes, want.minutes);
  ASSERT_EQ(got.end_max, want.end_max);
  ASSERT_EQ(got.dropped.size(), want.dropped.size());
  for (size_t k = 0; k < want.dropped.size(); ++k) {
    EXPECT_EQ(got.dropped[k].event, want.dropped[k].event);
    EXPECT_EQ(got.dropped[k].watermark, want.dropped[k].watermark);
  }
  for (size_t i = 0; i < t.size(); ++i) {
    ASSERT_EQ(got.verdict[i], want.verdict[i]) << "event " << i;
    if (want.verdict[i] != Verdict::DroppedLate) {
      ASSERT_LT(got.local[i], got.minutes.size()) << "event " << i;
      ASSERT_EQ(got.minutes[got.local[i]], want.minute[i]) << "event " << i;
    }
  }
}

// Event times drifting forwards through `span_minutes`, some far behind (late or dropped).
std::vector<int64_t> batch(std::mt19937_64& rng, size_t n, int64_t span_minutes) {
  const int64_t t0 = 1'700'000'000'000;
  const int64_t span = span_minutes * kMsPerMinute;
  std::vector<int64_t> t(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t ahead = static_cast<int64_t>(i) * span / static_cast<int64_t>(n);
    const int64_t back = rng() % 10 == 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(span + 1)) : 0;
    t[i] = t0 + ahead - back + static_cast<int64_t>(rng() % 1000);
  }
  return t;
}

TEST(HostJudge, EqualsTheWatermarkRecomputedBeforeEveryEvent) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 rng(seed);
    const int64_t span = seed % 2 == 0 ? 3 : 300;  // a few minutes, or more than a short list holds
    const std::vector<int64_t> t = batch(rng, 3000, span);
    JudgeRule rule;
    rule.delay_ms = static_cast<int64_t>(rng() % 3) * 20'000;
    rule.lateness_ms = static_cast<int64_t>(rng() % 3) * kMsPerMinute;
    if (seed % 3 == 0) rule.start_max = t.front() + 90'000;
    for (unsigned threads : {1u, 3u}) expect_judged(t, rule, threads, seed);
  }
}

// Large enough to be judged in parallel ranges, whose minute numbers are merged.
TEST(HostJudge, ParallelRangesAgreeWithOneThread) {
  for (uint64_t seed = 11; seed <= 12; ++seed) {
    std::mt19937_64 rng(seed);
    const std::vector<int64_t> t = batch(rng, 200'000, seed == 11 ? 4 : 100);
    JudgeRule rule;
    rule.delay_ms = 5'000;
    rule.lateness_ms = kMsPerMinute;
    ThreadPool one(1), three(3);
    HostJudge a, b;
    BatchJudgement ja, jb;
    a.judge(t.data(), t.size(), rule, one, ja);
    b.judge(t.data(), t.size(), rule, three, jb);
    ASSERT_EQ(ja.minutes, jb.minutes);
    ASSERT_EQ(ja.dropped.size(), jb.dropped.size());
    ASSERT_GT(ja.minutes.size(), 3u);
    size_t dropped = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      ASSERT_EQ(ja.verdict[i], jb.verdict[i]) << "event " << i;
      if (ja.verdict[i] == Verdict::DroppedLate) {
        ++dropped;
        continue;
      }
      ASSERT_EQ(ja.local[i], jb.local[i]) << "event " << i;
      ASSERT_EQ(ja.minutes[ja.local[i]], minute_of(t[i])) << "event " << i;
    }
    EXPECT_EQ(dropped, ja.dropped.size());
  }
}

}  // namespace
}  // namespace clickagg
