// A batch's judgement against the watermark (the rule: judge_rule.h), and the host's way of
// computing it: the events' exclusive running maximum in parallel ranges (each range's
// maximum, a prefix over the ranges, then each range on its own). A backend with a device
// judges there instead (EngineBackend::judge); both fill the same BatchJudgement.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "host/engine/judge_rule.h"
#include "host/engine/thread_pool.h"

namespace clickagg {

struct DroppedEvent {
  size_t event = 0;       // batch position
  int64_t watermark = 0;  // the watermark it was judged with
};

// Per event its verdict and its minute as an index into `minutes` (the distinct minutes of the
// events not dropped, ascending); the events dropped late in batch order; the partition's
// largest event time once the batch is in.
struct BatchJudgement {
  size_t begin = 0, end = 0;
  const Verdict* verdict = nullptr;  // indexed by event (batch position), host memory
  const uint32_t* local = nullptr;   // indexed by event; unspecified for dropped events
  std::vector<int64_t> minutes;
  std::vector<DroppedEvent> dropped;
  int64_t end_max = kNoTime;
};

class HostJudge {
 public:
  // Judges t[0, n) under `rule` into `out`, whose verdict and local arrays then point into
  // this object (valid until the next call).
  void judge(const int64_t* t, size_t n, const JudgeRule& rule, ThreadPool& pool, BatchJudgement& out);

 private:
  std::vector<Verdict> verdict_;
  std::vector<uint32_t> local_;
};

}  // namespace clickagg
