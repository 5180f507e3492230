// What an operator watches on a sink: the series it keeps in a metrics registry, updated by
// the sink's loop and read at scrape time.
#pragma once
#include <cstdint>
#include <string>

#include "host/serve/metrics_registry.h"
#include "host/store/aggregate_store.h"

namespace clickagg::sink {

class SinkProbe {
 public:
  explicit SinkProbe(serve::MetricsRegistry& metrics);

  // A committed batch: rows per table, and whether it carried progress counters.
  void written(const store::ResultBatch& batch);
  // A producer's committed seq after a commit.
  void committed(const std::string& producer, uint64_t seq);

  serve::Counter& received;    // MSG frames
  serve::Counter& applied;     // messages committed
  serve::Counter& duplicates;  // already committed: skipped
  serve::Counter& beyond_gap;  // dropped after a missing seq
  serve::Counter& malformed;   // not a version-1 envelope
  serve::Counter& hellos;
  serve::Counter& rounds;      // rounds that had messages to apply
  serve::Counter& commits;
  serve::Counter& failed_commits;
  serve::Counter& acks;        // ACK messages sent
  serve::Histogram& commit_seconds;
  serve::Gauge& pending;       // received in the round in progress, not yet committed

 private:
  serve::MetricsRegistry& metrics_;
  serve::Counter& count_rows_;
  serve::Counter& topn_entries_;
  serve::Counter& late_rows_;
  serve::Counter& reject_rows_;
  serve::Counter& progress_writes_;
};

}  // namespace clickagg::sink
