#include "kernels/device_judge.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/block/search.h"
#include "kernels/system/launch.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// 2. Verdicts and the two flags.
struct Judge {
  const int64_t* t;
  const int64_t* prefix;
  JudgeRule rule;
  Verdict* verdict;
  uint32_t* drop_flag;
  uint32_t* run_flag;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    const int64_t minute = minute_of(t[i]);
    const Verdict v = verdict_of(minute, watermark_before(rule, prefix[i]), rule.lateness_ms);
    verdict[i] = v;
    const bool dropped = v == Verdict::DroppedLate;
    drop_flag[i] = dropped ? 1u : 0u;
    run_flag[i] = !dropped && (i == 0 || minute_of(t[i - 1]) != minute) ? 1u : 0u;
  }
};

// 3. The flagged events in order, and the kept ones; the last event writes the totals.
struct Compact {
  const int64_t* t;
  const int64_t* prefix;
  JudgeRule rule;
  const uint32_t* drop_flag;
  const uint32_t* run_flag;
  const uint32_t* drop_rank;
  const uint32_t* run_rank;
  uint32_t* drop_pos;
  int64_t* drop_w;
  int64_t* run_minute;
  uint32_t* run_kept;
  uint32_t* kept;
  unsigned long long* totals;
  unsigned long long n;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    if (drop_flag[i]) {
      drop_pos[drop_rank[i]] = static_cast<uint32_t>(i);
      drop_w[drop_rank[i]] = watermark_before(rule, prefix[i]);
    } else {
      kept[i - drop_rank[i]] = static_cast<uint32_t>(i);
    }
    if (run_flag[i]) {
      run_minute[run_rank[i]] = minute_of(t[i]);
      run_kept[run_rank[i]] = static_cast<uint32_t>(i - drop_rank[i]);  // the run's first kept position
    }
    if (i + 1 == n) {
      totals[0] = drop_rank[i] + drop_flag[i];
      totals[1] = run_rank[i] + run_flag[i];
      totals[2] = static_cast<unsigned long long>(prefix[i] > t[i] ? prefix[i] : t[i]);
      totals[3] = n - totals[0];
    }
  }
};

// 5. Each counted event's index among the batch's counted minutes (ascending, m of them).
struct Local {
  const int64_t* t;
  const Verdict* verdict;
  const int64_t* minutes;
  uint32_t m;
  uint32_t* local;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    if (verdict[i] == Verdict::DroppedLate) {
      local[i] = 0;
      return;
    }
    const int64_t minute = minute_of(t[i]);
    local[i] = block::partition_point(0u, m, [&](uint32_t k) { return minutes[k] < minute; });
  }
};

}  // namespace

DeviceJudge::DeviceJudge(sys::Stream stream, unsigned* d_error)
    : stream_(stream),
      d_error_(d_error),
      temp_(stream),
      prefix_(stream),
      verdict_(stream),
      local_(stream),
      kept_(stream),
      drop_flag_(stream),
      run_flag_(stream),
      drop_rank_(stream),
      run_rank_(stream),
      drop_pos_(stream),
      drop_w_(stream),
      run_minute_(stream),
      minutes_(stream),
      run_kept_(stream),
      totals_(stream) {
  rb_.reserve_discard(1);
  totals_.reserve_discard(4);
  sys::fill_async(totals_.data(), 0, 4 * sizeof(unsigned long long), stream_);
}

void DeviceJudge::judge(const int64_t* d_t, size_t n, const JudgeRule& rule, BatchJudgement& out) {
  queue(d_t, n, rule);
  if (n > 0) sys::sync(stream_);
  collect(out);
  index(d_t);
}

void DeviceJudge::queue(const int64_t* d_t, size_t n, const JudgeRule& rule) {
  n_ = n;
  rule_ = rule;
  minute_events_.clear();
  runs_.clear();
  if (n == 0) {
    sys::fill_async(totals_.data(), 0, 4 * sizeof(unsigned long long), stream_);
    return;
  }
  if (n > UINT32_MAX) throw std::length_error("GPU engine: too many events in one judged batch");
  prefix_.reserve_discard(n);
  verdict_.reserve_discard(n);
  for (DeviceArray<uint32_t>* a : {&local_, &kept_, &drop_flag_, &run_flag_, &drop_rank_, &run_rank_, &drop_pos_})
    a->reserve_discard(n);
  drop_w_.reserve_discard(n);
  run_minute_.reserve_discard(n);
  run_kept_.reserve_discard(n);

  sys::exclusive_max(temp_, d_t, prefix_.data(), n, rule.start_max);
  sys::launch(stream_, n, Judge{d_t, prefix_.data(), rule, verdict_.data(), drop_flag_.data(), run_flag_.data()},
              "judge");
  sys::exclusive_sum(temp_, drop_flag_.data(), drop_rank_.data(), n);
  sys::exclusive_sum(temp_, run_flag_.data(), run_rank_.data(), n);
  sys::launch(stream_, n,
              Compact{d_t, prefix_.data(), rule, drop_flag_.data(), run_flag_.data(), drop_rank_.data(),
                      run_rank_.data(), drop_pos_.data(), drop_w_.data(), run_minute_.data(), run_kept_.data(), kept_.data(),
                      totals_.data(), n},
              "judge_compact");
  // The lists' first entries come back with the totals (an entry past a total is unused).
  Readback& rb = rb_[0];
  const size_t head = std::min<size_t>(n, kJudgeReadback);
  sys::copy_async(rb.totals, totals_.data(), sizeof rb.totals, sys::Copy::DeviceToHost, stream_);
  sys::copy_async(&rb.error, d_error_, sizeof(unsigned), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb.run_minute, run_minute_.data(), head * sizeof(int64_t), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb.run_kept, run_kept_.data(), head * sizeof(uint32_t), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb.drop_pos, drop_pos_.data(), head * sizeof(uint32_t), sys::Copy::DeviceToHost, stream_);
  sys::copy_async(rb.drop_w, drop_w_.data(), head * sizeof(int64_t), sys::Copy::DeviceToHost, stream_);
}

void DeviceJudge::collect(BatchJudgement& out) {
  const size_t n = n_;
  out.begin = 0;
  out.end = n;
  out.verdict = nullptr;
  out.local = nullptr;
  out.minutes.clear();
  out.dropped.clear();
  out.end_max = rule_.start_max;
  if (n == 0) return;
  const Readback& rb = rb_[0];
  const size_t head = std::min<size_t>(n, kJudgeReadback);
  if (rb.error != 0) throw std::runtime_error("GPU engine: a device invariant failed (error word " + std::to_string(rb.error) + ")");

  const auto dropped = static_cast<size_t>(rb.totals[0]);
  const auto runs = static_cast<size_t>(rb.totals[1]);
  out.end_max = static_cast<int64_t>(rb.totals[2]);
  std::vector<uint32_t> pos(rb.drop_pos, rb.drop_pos + std::min(dropped, head));
  std::vector<int64_t> w(rb.drop_w, rb.drop_w + std::min(dropped, head));
  runs_.assign(rb.run_minute, rb.run_minute + std::min(runs, head));
  run_kept_h_.assign(rb.run_kept, rb.run_kept + std::min(runs, head));
  if (dropped > head) {
    pos.resize(dropped);
    w.resize(dropped);
    sys::copy(pos.data() + head, drop_pos_.data() + head, (dropped - head) * sizeof(uint32_t), sys::Copy::DeviceToHost);
    sys::copy(w.data() + head, drop_w_.data() + head, (dropped - head) * sizeof(int64_t), sys::Copy::DeviceToHost);
  }
  if (runs > head) {
    runs_.resize(runs);
    run_kept_h_.resize(runs);
    sys::copy(runs_.data() + head, run_minute_.data() + head, (runs - head) * sizeof(int64_t), sys::Copy::DeviceToHost);
    sys::copy(run_kept_h_.data() + head, run_kept_.data() + head, (runs - head) * sizeof(uint32_t),
              sys::Copy::DeviceToHost);
  }
  out.dropped.resize(dropped);
  for (size_t k = 0; k < dropped; ++k) out.dropped[k] = DroppedEvent{pos[k], w[k]};
  // The kept events between two run starts are all of the first one's minute: a minute's
  // kept events are its runs' lengths added up.
  const size_t kept = n - dropped;
  std::vector<std::pair<int64_t, uint32_t>> run_events(runs);
  for (size_t r = 0; r < runs; ++r)
    run_events[r] = {runs_[r], (r + 1 < runs ? run_kept_h_[r + 1] : static_cast<uint32_t>(kept)) - run_kept_h_[r]};
  std::sort(run_events.begin(), run_events.end());
  runs_.clear();
  minute_events_.clear();
  for (const auto& [minute, events] : run_events) {
    if (!runs_.empty() && runs_.back() == minute) {
      minute_events_.back() += events;
    } else {
      runs_.push_back(minute);
      minute_events_.push_back(events);
    }
  }
  out.minutes = runs_;
}

void DeviceJudge::index(const int64_t* d_t) {
  if (runs_.empty()) return;  // every event dropped (or none)
  const size_t n = n_;
  // The minutes go up from pinned memory; the pinned buffer is reused only after the next
  // call's synchronisation, which follows this upload on the same stream.
  const size_t m = runs_.size();
  minutes_h_.reserve_discard(m);
  std::copy(runs_.begin(), runs_.end(), minutes_h_.data());
  upload_async(minutes_, minutes_h_.data(), m, stream_);
  sys::launch(stream_, n, Local{d_t, verdict_.data(), minutes_.data(), static_cast<uint32_t>(m), local_.data()},
              "judge_local");
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
