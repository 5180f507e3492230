#include "host/store/store_sink.h"

#include <utility>

namespace clickagg::store {

StoreSink::StoreSink(AggregateStore& store, uint32_t top_n) : store_(store), top_n_(top_n) {}

void StoreSink::on_window(const WindowResult& w) { keep_newest(windows_, key_of(w), w); }

void StoreSink::on_topn(const TopNList& t) { keep_newest(lists_, key_of(t), t); }

void StoreSink::on_late(const LateRecord& r) {
  late_.push_back(r);
  ++late_records_;
}

void StoreSink::add_reject(RejectEntry r) { rejects_.push_back(std::move(r)); }

void StoreSink::flush() {
  if (pending() == 0 && !progress_) return;
  ResultBatch batch;
  batch.top_n = top_n_;
  batch.windows.reserve(windows_.size());
  for (auto& [key, w] : windows_) batch.windows.push_back(std::move(w));
  batch.topn.reserve(lists_.size());
  for (auto& [key, t] : lists_) batch.topn.push_back(std::move(t));
  batch.late = std::move(late_);
  batch.rejects = std::move(rejects_);
  batch.progress = progress_;
  late_.clear();
  rejects_.clear();
  try {
    store_.write(batch);
  } catch (...) {
    // Put the batch back so nothing is lost; the next flush retries it.
    for (auto& w : batch.windows) windows_[key_of(w)] = std::move(w);
    for (auto& t : batch.topn) lists_[key_of(t)] = std::move(t);
    late_.insert(late_.begin(), batch.late.begin(), batch.late.end());
    rejects_.insert(rejects_.begin(), batch.rejects.begin(), batch.rejects.end());
    throw;
  }
  windows_written_ += batch.windows.size();
  lists_written_ += batch.topn.size();
  windows_.clear();
  lists_.clear();
  progress_.reset();
}

}  // namespace clickagg::store
