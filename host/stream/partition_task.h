// One input partition's share of the aggregator: its own engine (window state, watermark,
// dedup sets), checkpoint, write-ahead batch log, output sequence and channel to the sink, all
// under state_dir/partitions/<p>. Because nothing is shared between partitions, a partition
// can be revoked from one aggregator and assigned to another (or the same one after a
// restart): the new owner takes the partition lock, restores the checkpoint, re-executes the
// logged batches and continues the same output sequence, so the sink sees one producer per
// partition that never forks.
//
// The watermark that judges an event is its own partition's (the engine of a task sees one
// partition). Results then depend only on each partition's record order, not on how fetches
// of different partitions interleave or which aggregator owns which partition.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "host/decode/decode.h"
#include "host/decode/record_decoder.h"
#include "host/emit/acked_channel.h"
#include "host/emit/curve.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "host/stream/batch_log.h"
#include "host/stream/kafka_source.h"
#include "host/stream/partition_lock.h"

namespace zmq {
class context_t;
}

namespace clickagg::emit {
class Publisher;
}

namespace clickagg::stream {

class ResultEmitter;

struct TaskConfig {
  std::string state_dir;        // the shared store's root; a task lives in partitions/<p>
  std::string producer_prefix;  // a task's producer id on the channel: <prefix>/<partition>
  std::string sink_endpoint;
  std::optional<emit::CurveClient> sink_curve;  // the channel to the sink over CURVE
  size_t max_in_flight = emit::kDefaultMaxInFlight;
  Format format = Format::Auto;
  EngineKind engine_kind = EngineKind::Auto;
  EngineConfig engine;
  std::chrono::milliseconds lock_wait{60'000};
  std::chrono::milliseconds recovery_limit{120'000};  // to re-read the logged input
};

// What one round of a task did, for the aggregator's probe.
struct RoundStats {
  uint64_t messages = 0;
  double seconds = 0;
};

class PartitionTask {
 public:
  // The records of the partition not yet read, given the next offset to read (nullopt:
  // unknown); the source's answer, for the Progress record.
  using LagOf = std::function<std::optional<int64_t>(std::optional<int64_t> next_offset)>;

  // Takes the partition lock and restores the checkpoint (if any). Throws on a corrupt
  // checkpoint or a lock that stays held.
  PartitionTask(zmq::context_t& ctx, const TaskConfig& cfg, uint32_t partition, LagOf lag_of,
                emit::Publisher* pub, const std::atomic<bool>* stop);
  ~PartitionTask();

  static std::string dir_of(const std::string& state_dir, uint32_t partition);

  uint32_t partition() const { return partition_; }
  const std::string& producer() const { return producer_; }
  // The next offset to read: where Kafka resumes this partition. nullopt: from the beginning.
  std::optional<int64_t> next_offset() const { return next_; }
  // Logged batches are still waiting for their input to be re-read.
  bool recovering() const { return !pending_replay_.empty(); }

  // This partition's messages, in offset order. While recovering they are kept until the
  // logged batches can be re-executed; then (and otherwise) they form one logged round.
  // Offsets already processed are skipped (a batch fetched before a rebalance may repeat).
  RoundStats offer(std::span<const KafkaMessage> msgs, int64_t now_ms);
  // A round without input: idleness, the Progress record, and with `finish` end of input.
  RoundStats tick(int64_t now_ms, bool finish);
  int64_t last_round_ms() const { return last_round_ms_; }
  bool finished() const { return finished_; }

  void service();
  // Waits for the sink's acknowledgement of everything sent, then writes the checkpoint and
  // starts a new batch log. False when the sink did not acknowledge in time.
  bool checkpoint(std::chrono::milliseconds wait = std::chrono::milliseconds(2000));
  uint64_t checkpoints() const { return checkpoints_; }

  EngineStats engine_stats() const { return engine_->stats(); }
  std::string engine_name() const { return std::string(engine_->name()); }
  uint64_t rejected() const { return rejected_; }
  uint64_t replayed_batches() const { return replayed_; }
  uint64_t last_seq() const;
  emit::ChannelStats channel_stats() const { return channel_->stats(); }
  std::vector<std::pair<std::string, double>> stage_seconds() const { return engine_->stage_seconds(); }
  std::optional<int64_t> lag() const { return lag_; }

 private:
  struct Owned {
    int64_t offset;
    std::string value;
  };
  RoundStats execute(const LoggedBatch& b, std::span<const KafkaMessage> msgs);
  void check_recovery_deadline() const;
  void replay_logged();
  void send_progress();

  TaskConfig cfg_;
  uint32_t partition_;
  std::string dir_;
  std::string producer_;
  LagOf lag_of_;
  PartitionLock lock_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<emit::AckedChannel> channel_;
  std::unique_ptr<ResultEmitter> emitter_;
  std::unique_ptr<BatchLog> log_;
  uint64_t generation_ = 1;
  std::optional<int64_t> next_;
  uint64_t rejected_ = 0;
  bool finished_ = false;
  bool dirty_ = false;  // rounds since the last checkpoint
  uint64_t checkpoints_ = 0;
  uint64_t replayed_ = 0;
  int64_t last_round_ms_ = 0;
  std::optional<int64_t> lag_;

  // Recovery: logged batches to re-execute and the input re-read for them so far.
  std::vector<LoggedBatch> pending_replay_;
  int64_t replay_target_ = 0;
  std::vector<Owned> replay_input_;
  std::chrono::steady_clock::time_point opened_at_;

  RecordDecoder decoder_;
  EventColumns events_;
};

}  // namespace clickagg::stream
