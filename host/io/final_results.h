// Collects an engine's emissions and keeps the final state: the last emission of each minute
// and of each (minute, window, filter) list, which is what the batch command writes.
#pragma once
#include <cstdio>
#include <map>
#include <string>
#include <tuple>

#include "host/engine/results.h"

namespace clickagg {

class FinalResults final : public ResultSink {
 public:
  // Dropped-late events go to `late_out` (a CSV with header) when given.
  explicit FinalResults(std::FILE* late_out = nullptr);

  void on_window(const WindowResult& w) override { windows_[w.minute] = w; }
  void on_topn(const TopNList& t) override { lists_[{t.minute, t.window, t.filter_id}] = t; }
  void on_late(const LateRecord& r) override;

  // counts.csv: ad_id,minute,filter_id,count sorted by minute, filter_id, ad_id.
  void write_counts_csv(std::FILE* out) const;
  // topn.csv: minute,window,filter_id,rank,ad_id,count sorted by minute, window, filter_id, rank.
  void write_topn_csv(std::FILE* out) const;

  const std::map<int64_t, WindowResult>& windows() const { return windows_; }
  const std::map<std::tuple<int64_t, uint32_t, uint16_t>, TopNList>& lists() const { return lists_; }

 private:
  std::FILE* late_out_;
  std::map<int64_t, WindowResult> windows_;
  std::map<std::tuple<int64_t, uint32_t, uint16_t>, TopNList> lists_;
};

}  // namespace clickagg
