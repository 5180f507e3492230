#include "host/sink/sink_probe.h"

namespace clickagg::sink {

namespace {
constexpr const char* kRowsName = "clickagg_sink_rows_written_total";
constexpr const char* kRowsHelp = "Rows committed to the store, by table (top-N: list entries)";
}  // namespace

SinkProbe::SinkProbe(metrics::MetricsRegistry& m)
    : received(m.counter("clickagg_sink_received_total", "Result messages received")),
      applied(m.counter("clickagg_sink_applied_total", "Result messages committed to the store")),
      duplicates(m.counter("clickagg_sink_duplicates_total",
                           "Messages already committed (resends, replays after a restart): skipped")),
      beyond_gap(m.counter("clickagg_sink_beyond_gap_total",
                           "Messages dropped behind a missing sequence number (the producer resends them)")),
      malformed(m.counter("clickagg_sink_malformed_total", "Messages that are not a version-1 envelope")),
      hellos(m.counter("clickagg_sink_hellos_total", "Producer (re)connections")),
      rounds(m.counter("clickagg_sink_rounds_total", "Rounds of received messages applied together")),
      commits(m.counter("clickagg_sink_commits_total", "Store transactions committed")),
      failed_commits(m.counter("clickagg_sink_failed_commits_total", "Store transactions that failed (retried)")),
      acks(m.counter("clickagg_sink_acks_sent_total", "Acknowledgements sent to producers")),
      commit_seconds(m.histogram("clickagg_sink_commit_duration_seconds", "Time to write and commit one round",
                                 metrics::latency_buckets_seconds())),
      pending(m.gauge("clickagg_sink_pending_messages", "Messages of the round in progress, not yet committed")),
      metrics_(m),
      count_rows_(m.counter(kRowsName, kRowsHelp, {{"table", "counts"}})),
      topn_entries_(m.counter(kRowsName, kRowsHelp, {{"table", "topn"}})),
      late_rows_(m.counter(kRowsName, kRowsHelp, {{"table", "late_events"}})),
      reject_rows_(m.counter(kRowsName, kRowsHelp, {{"table", "rejects"}})),
      progress_writes_(m.counter("clickagg_sink_progress_writes_total",
                                 "Commits that recorded an aggregator's progress counters")) {}

void SinkProbe::written(const store::ResultBatch& batch) {
  uint64_t rows = 0, entries = 0;
  for (const WindowResult& w : batch.windows)
    for (const CountRow& r : w.rows) rows += r.count != 0;  // the store keeps non-zero groups
  for (const TopNList& t : batch.topn) entries += t.entries.size();
  count_rows_.inc(rows);
  topn_entries_.inc(entries);
  late_rows_.inc(batch.late.size());
  reject_rows_.inc(batch.rejects.size());
  if (batch.progress || !batch.partition_progress.empty()) progress_writes_.inc();
}

void SinkProbe::committed(const std::string& producer, uint64_t seq) {
  metrics_
      .gauge("clickagg_sink_committed_seq", "Highest sequence number committed, per producer",
             {{"producer", producer}})
      .set(static_cast<double>(seq));
}

}  // namespace clickagg::sink
