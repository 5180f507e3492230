#include "host/sink/batch_builder.h"

#include <type_traits>

#include "host/common/time_util.h"

namespace clickagg::sink {

void BatchBuilder::add(const emit::Body& body) {
  std::visit(
      [this](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, WindowResult>)
          keep_newest(windows_, std::make_pair(b.minute, b.partition), b);
        else if constexpr (std::is_same_v<T, TopNList>)
          keep_newest(lists_, std::make_tuple(b.minute, b.window, b.filter_id, b.partition), b);
        else if constexpr (std::is_same_v<T, LateRecord>)
          late_.push_back(b);
        else if constexpr (std::is_same_v<T, emit::RejectRecord>)
          rejects_.push_back(store::RejectEntry{b.partition, b.offset, b.reason, b.record});
        else if (b.partition)
          partition_progress_[*b.partition] = to_store_progress(b);
        else
          progress_ = to_store_progress(b);
      },
      body);
}

void BatchBuilder::move_into(store::ResultBatch& batch) {
  for (auto& [key, w] : windows_) batch.windows.push_back(std::move(w));
  for (auto& [key, t] : lists_) batch.topn.push_back(std::move(t));
  for (auto& r : late_) batch.late.push_back(std::move(r));
  for (auto& r : rejects_) batch.rejects.push_back(std::move(r));
  if (progress_) batch.progress = progress_;
  for (auto& [part, p] : partition_progress_) batch.partition_progress[part] = p;
  progress_.reset();
  partition_progress_.clear();
  windows_.clear();
  lists_.clear();
  late_.clear();
  rejects_.clear();
}

store::Progress to_store_progress(const emit::ProgressRecord& p) {
  store::Progress out;
  static_cast<EventCounters&>(out) = p;
  out.consumer_lag = p.consumer_lag;
  if (p.watermark_ms) out.last_closed_minute = minute_of(*p.watermark_ms) - 1;
  return out;
}

}  // namespace clickagg::sink
