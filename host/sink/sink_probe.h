// What an operator watches on a sink: the series it keeps in a metrics registry, updated by
// the sink's loop and read at scrape time.
#pragma once
#include <cstdint>
#include <string>

#include "host/metrics/metrics_registry.h"
#include "host/store/aggregate_store.h"

namespace clickagg::sink {

class SinkProbe {
 public:
  explicit SinkProbe(metrics::MetricsRegistry& metrics);

  // A committed batch: rows per table, and whether it carried progress counters.
  void written(const store::ResultBatch& batch);
  // A producer's committed seq after a commit.
  void committed(const std::string& producer, uint64_t seq);

  metrics::Counter& received;    // MSG frames
  metrics::Counter& applied;     // messages committed
  metrics::Counter& duplicates;  // already committed: skipped
  metrics::Counter& beyond_gap;  // dropped after a missing seq
  metrics::Counter& malformed;   // not a version-1 envelope
  metrics::Counter& hellos;
  metrics::Counter& rounds;      // rounds that had messages to apply
  metrics::Counter& commits;
  metrics::Counter& failed_commits;
  metrics::Counter& acks;        // ACK messages sent
  metrics::Histogram& commit_seconds;
  metrics::Gauge& pending;       // received in the round in progress, not yet committed

 private:
  metrics::MetricsRegistry& metrics_;
  metrics::Counter& count_rows_;
  metrics::Counter& topn_entries_;
  metrics::Counter& late_rows_;
  metrics::Counter& reject_rows_;
  metrics::Counter& progress_writes_;
};

}  // namespace clickagg::sink
