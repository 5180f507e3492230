// DeviceJudge against the host's HostJudge: for the same event times and rule, every event gets
// the same verdict and minute index, the kept events are listed in order, and the counted
// minutes, the dropped events (with their watermarks) and the partition's new maximum are the
// same. Inputs: random streams with late and very late events under random rules (no watermark
// yet, other partitions behind, zero lateness), batches past the host's parallel threshold,
// and hostile batches whose dropped events and minute runs exceed what the first readback
// carries.
#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "host/engine/batch_judge.h"
#include "host/engine/thread_pool.h"
#include "kernels/device_judge.h"
#include "tests/gpu/device_fixture.h"

namespace clickagg::gputest {
namespace {

class DeviceJudgeTest : public DeviceTest {
 protected:
  void check(const std::vector<int64_t>& t, const JudgeRule& rule, const char* what) {
    SCOPED_TRACE(what);
    ThreadPool pool(2);
    HostJudge host;
    BatchJudgement want;
    host.judge(t.data(), t.size(), rule, pool, want);

    dev::DeviceArray<int64_t> d_t(stream_);
    d_t.reserve_discard(t.size());
    if (!t.empty()) dev::sys::copy(d_t.data(), t.data(), t.size() * sizeof(int64_t), dev::sys::Copy::HostToDevice);
    BatchJudgement got;
    judge_->judge(d_t.data(), t.size(), rule, got);
    EXPECT_EQ(got.verdict, nullptr);
    const size_t n = t.size();
    std::vector<Verdict> verdict(n);
    std::vector<uint32_t> local(n), kept(n - got.dropped.size());
    dev::sys::sync(stream_);
    if (n > 0) {
      dev::sys::copy(verdict.data(), judge_->verdict(), n * sizeof(Verdict), dev::sys::Copy::DeviceToHost);
      dev::sys::copy(local.data(), judge_->local(), n * sizeof(uint32_t), dev::sys::Copy::DeviceToHost);
    }
    if (!kept.empty())
      dev::sys::copy(kept.data(), judge_->kept(), kept.size() * sizeof(uint32_t), dev::sys::Copy::DeviceToHost);

    ASSERT_EQ(got.begin, 0u);
    ASSERT_EQ(got.end, t.size());
    EXPECT_EQ(got.end_max, want.end_max);
    EXPECT_EQ(got.minutes, want.minutes);
    ASSERT_EQ(got.dropped.size(), want.dropped.size());
    for (size_t k = 0; k < want.dropped.size(); ++k) {
      ASSERT_EQ(got.dropped[k].event, want.dropped[k].event) << "dropped #" << k;
      ASSERT_EQ(got.dropped[k].watermark, want.dropped[k].watermark) << "dropped #" << k;
    }
    std::vector<uint32_t> want_kept, want_events(want.minutes.size(), 0);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(verdict[i], want.verdict[i]) << "event " << i;
      if (want.verdict[i] != Verdict::DroppedLate) {
        ASSERT_EQ(local[i], want.local[i]) << "event " << i;
        want_kept.push_back(static_cast<uint32_t>(i));
        ++want_events[want.local[i]];
      }
    }
    EXPECT_EQ(kept, want_kept);
    EXPECT_EQ(judge_->minute_events(), want_events) << "kept events per minute";
  }

  void SetUp() override {
    DeviceTest::SetUp();
    if (IsSkipped()) return;
    judge_ = std::make_unique<dev::DeviceJudge>(stream_, error_.data());
  }
  void TearDown() override {
    judge_.reset();
    DeviceTest::TearDown();
  }

  std::unique_ptr<dev::DeviceJudge> judge_;
};

constexpr int64_t kMinute = 60'000;

// Times advancing by ~step with late (up to 10 min behind) and very late (up to 2 h) events.
std::vector<int64_t> stream_times(std::mt19937_64& rng, size_t n, int64_t start, int64_t step) {
  std::vector<int64_t> t(n);
  int64_t clock = start;
  for (size_t i = 0; i < n; ++i) {
    clock += static_cast<int64_t>(rng() % static_cast<uint64_t>(2 * step + 1));
    const unsigned r = rng() % 100;
    if (r < 5) t[i] = clock - static_cast<int64_t>(rng() % (10 * kMinute));
    else if (r < 7) t[i] = clock - static_cast<int64_t>(rng() % (120 * kMinute));
    else t[i] = clock;
  }
  return t;
}

TEST_F(DeviceJudgeTest, EqualsHostJudgeOnRandomStreamsAndRules) {
  std::mt19937_64 rng(20261206);
  const size_t sizes[] = {1, 2, 17, 1000, 20'000, 70'000};
  for (int round = 0; round < 24; ++round) {
    const size_t n = sizes[round % 6];
    const int64_t start = round % 5 == 0 ? -3 * kMinute : 1'609'459'200'000 + static_cast<int64_t>(rng() % 1000);
    const std::vector<int64_t> t = stream_times(rng, n, start, 5 + static_cast<int64_t>(rng() % 40));
    JudgeRule rule;
    rule.delay_ms = static_cast<int64_t>(rng() % 3) * 30'000;
    rule.lateness_ms = round % 4 == 0 ? 0 : static_cast<int64_t>(rng() % 30) * kMinute;
    // The partition has seen events already (or not), the global watermark stands somewhere
    // behind them (or nowhere), other partitions hold it back (or there are none).
    if (round % 3 != 0) rule.start_max = start + static_cast<int64_t>(rng() % (5 * kMinute));
    if (round % 3 == 2) rule.w0 = start - static_cast<int64_t>(rng() % (20 * kMinute));
    if (round % 2 == 1) rule.others = start + static_cast<int64_t>(rng() % (10 * kMinute)) - 5 * kMinute;
    check(t, rule, ("round " + std::to_string(round) + ", n " + std::to_string(n)).c_str());
  }
}

TEST_F(DeviceJudgeTest, EmptyBatchKeepsThePartitionMaximum) {
  JudgeRule rule;
  rule.start_max = 123'456;
  check({}, rule, "empty");
  dev::DeviceArray<int64_t> none(stream_);
  BatchJudgement got;
  judge_->judge(none.data(), 0, rule, got);
  EXPECT_EQ(got.end_max, 123'456);
  EXPECT_TRUE(got.minutes.empty());
  EXPECT_TRUE(got.dropped.empty());
}

TEST_F(DeviceJudgeTest, HostileBatchesPastTheFirstReadback) {
  const int64_t base = 1'609'459'200'000;
  // Every event in another minute than the one before: one run per event, far more than the
  // readback's head; half of them far enough behind to be dropped.
  std::vector<int64_t> t;
  for (int64_t i = 0; i < 3 * dev::kJudgeReadback; ++i)
    t.push_back(i % 2 == 0 ? base + i * kMinute : base - (10'000 + i) * kMinute);
  JudgeRule rule;
  rule.lateness_ms = 5 * kMinute;
  check(t, rule, "alternating minutes");

  // Everything dropped: the watermark is far ahead already.
  std::vector<int64_t> old(2 * dev::kJudgeReadback + 3);
  for (size_t i = 0; i < old.size(); ++i) old[i] = base + static_cast<int64_t>(i % 7) * kMinute;
  JudgeRule ahead;
  ahead.w0 = base + 100 * kMinute;
  ahead.start_max = base + 101 * kMinute;
  check(old, ahead, "all dropped");

  // Distinct minutes over many hours, each a run of its own, none dropped.
  std::vector<int64_t> spread;
  for (int64_t i = 0; i < 2 * dev::kJudgeReadback; ++i) spread.push_back(base + ((i * 7919) % 50'000) * kMinute);
  JudgeRule open;
  open.lateness_ms = 1'000'000 * kMinute;
  check(spread, open, "spread minutes");
}

}  // namespace
}  // namespace clickagg::gputest
