// The aggregator's write-ahead batch log. Before a micro-batch is processed, the exact input
// ranges it covers (per partition, in processing order) and its processing time are logged
// and synced. After a crash the aggregator restores the last checkpoint and re-executes the
// logged batches against the same Kafka offsets: the engine is deterministic, so it
// regenerates the same results under the same sequence numbers, and the sink recognises what
// it already committed. Nothing is lost and nothing counts twice.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "host/io/durable_file.h"

namespace clickagg::stream {

struct PartitionRun {
  uint32_t partition = 0;
  int64_t from = 0;  // first offset
  int64_t to = 0;    // one past the last offset
  bool operator==(const PartitionRun&) const = default;
};

struct LoggedBatch {
  int64_t now_ms = 0;
  std::vector<PartitionRun> runs;  // may be empty: a tick
  bool finish = false;             // end of input: every window closed after the runs
  bool operator==(const LoggedBatch&) const = default;
};

class BatchLog {
 public:
  // Opens dir/batches-<generation>.log; reads its valid entries and cuts off a torn tail.
  BatchLog(const std::string& dir, uint64_t generation);
  const std::vector<LoggedBatch>& recovered() const { return recovered_; }
  // Appends one entry durably.
  void append(const LoggedBatch& batch);
  uint64_t generation() const { return generation_; }
  // Removes logs of generations before `generation`.
  static void remove_older(const std::string& dir, uint64_t generation);
  static std::string path_of(const std::string& dir, uint64_t generation);

 private:
  uint64_t generation_;
  std::vector<LoggedBatch> recovered_;
  io::DurableAppender out_;
};

}  // namespace clickagg::stream
