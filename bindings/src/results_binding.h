// Engine results as NumPy structured arrays: a ResultSink that collects one call's emissions
// as fixed-size records, turned into arrays without a per-row Python object.
#pragma once
#include <cstdint>
#include <vector>

#include "bindings/src/bindings.h"
#include "host/engine/results.h"

namespace clickagg::py {

struct CountRecord {
  int64_t minute;
  char ad_id[kMaxAdIdLen];  // NUL-padded bytes (NumPy 'S64')
  uint16_t filter_id;
  uint64_t count;
  bool correction;
};
struct TopNRecord {
  int64_t minute;
  uint32_t window;
  uint16_t filter_id;
  uint32_t rank;  // 1-based
  char ad_id[kMaxAdIdLen];
  uint64_t count;
  bool correction;
};
struct LateEventRecord {
  uint32_t partition;
  uint64_t position;
  char ad_id[kMaxAdIdLen];
  int64_t t_ms;
  int64_t watermark_ms;
};

class CollectingSink final : public ResultSink {
 public:
  void on_window(const WindowResult& w) override;
  void on_topn(const TopNList& t) override;
  void on_late(const LateRecord& r) override;
  // {"counts": ..., "topn": ..., "late": ...}; the collected rows are moved out.
  pb::dict take();

 private:
  std::vector<CountRecord> counts_;
  std::vector<TopNRecord> topn_;
  std::vector<LateEventRecord> late_;
};

}  // namespace clickagg::py
