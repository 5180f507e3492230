#include "host/engines/engines.h"
#include "host/stream/partition_task.h"

#include <zmq.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "host/common/log.h"
#include "host/decode/decode_columns.h"
#include "host/stream/checkpoint.h"
#include "host/stream/result_emitter.h"

namespace clickagg::stream {

namespace {

// Offset ranges of a partition's messages, split where the offsets go backwards (never, in
// practice); gaps (compaction, transaction markers) stay inside one run.
std::vector<PartitionRun> runs_of(uint32_t partition, std::span<const KafkaMessage> msgs) {
  std::vector<PartitionRun> runs;
  for (const auto& m : msgs) {
    if (!runs.empty() && m.offset >= runs.back().to)
      runs.back().to = m.offset + 1;
    else
      runs.push_back(PartitionRun{partition, m.offset, m.offset + 1});
  }
  return runs;
}

}  // namespace

std::string PartitionTask::dir_of(const std::string& state_dir, uint32_t partition) {
  return state_dir + "/partitions/" + std::to_string(partition);
}

PartitionTask::PartitionTask(zmq::context_t& ctx, const TaskConfig& cfg, uint32_t partition, LagOf lag_of,
                             emit::Publisher* pub, const std::atomic<bool>* stop)
    : cfg_(cfg),
      partition_(partition),
      dir_(dir_of(cfg.state_dir, partition)),
      producer_(cfg.producer_prefix + "/" + std::to_string(partition)),
      lag_of_(std::move(lag_of)),
      opened_at_(std::chrono::steady_clock::now()),
      decoder_(cfg.format) {
  std::filesystem::create_directories(dir_);
  lock_ = PartitionLock(dir_, cfg.lock_wait);
  engine_ = make_engine(cfg.engine_kind, cfg.engine);
  events_ = EventColumns(engine_->batch_memory());
  uint64_t last_seq = 0;
  const std::optional<Checkpoint> cp = load_checkpoint(dir_);
  if (cp) {
    std::istringstream in(cp->engine_state);
    engine_->restore_state(in);
    if (auto it = cp->next_offset.find(partition); it != cp->next_offset.end()) next_ = it->second;
    last_seq = cp->out_seq;
    generation_ = cp->log_generation;
    rejected_ = cp->rejected;
  }
  channel_ = std::make_unique<emit::AckedChannel>(ctx, cfg.sink_endpoint, producer_, cfg.max_in_flight,
                                                  std::chrono::milliseconds(2000),
                                                  cfg.sink_curve ? &*cfg.sink_curve : nullptr);
  channel_->set_stop_flag(stop);
  emitter_ = std::make_unique<ResultEmitter>(producer_, last_seq, *channel_, pub, partition, cfg.engine.top_n);
  log_ = std::make_unique<BatchLog>(dir_, generation_);
  pending_replay_ = log_->recovered();
  for (const auto& b : pending_replay_)
    for (const auto& r : b.runs) replay_target_ = std::max(replay_target_, r.to);
  log::info("aggregator", "partition %u: %s at offset %s (seq %" PRIu64 ", %zu logged batches to replay)",
            partition, cp ? "resumed from checkpoint" : "new", next_ ? std::to_string(*next_).c_str() : "start",
            last_seq, pending_replay_.size());
  // A log of rounds without input (ticks) needs nothing from Kafka.
  if (!pending_replay_.empty() && replay_target_ <= next_.value_or(0)) replay_logged();
}

PartitionTask::~PartitionTask() = default;

uint64_t PartitionTask::last_seq() const { return emitter_->last_seq(); }

void PartitionTask::check_recovery_deadline() const {
  if (std::chrono::steady_clock::now() - opened_at_ > cfg_.recovery_limit)
    throw std::runtime_error("aggregator: partition " + std::to_string(partition_) +
                             ": cannot re-read the logged input offsets from Kafka");
}

RoundStats PartitionTask::offer(std::span<const KafkaMessage> msgs, int64_t now_ms) {
  // Skip what this task has processed (or, recovering, already holds).
  int64_t from = next_.value_or(INT64_MIN);
  if (recovering() && !replay_input_.empty()) from = std::max(from, replay_input_.back().offset + 1);
  size_t skip = 0;
  while (skip < msgs.size() && msgs[skip].offset < from) ++skip;
  msgs = msgs.subspan(skip);
  if (recovering()) {
    check_recovery_deadline();
    for (const auto& m : msgs) replay_input_.push_back(Owned{m.offset, std::string(m.value)});
    if (replay_input_.empty() || replay_input_.back().offset + 1 < replay_target_) return {};
    replay_logged();
    // What came beyond the logged input is a new round.
    std::vector<KafkaMessage> rest;
    for (const auto& m : replay_input_)
      if (m.offset >= next_.value_or(INT64_MIN)) rest.push_back(KafkaMessage{partition_, m.offset, m.value});
    RoundStats st;
    if (!rest.empty()) {
      LoggedBatch b{now_ms, runs_of(partition_, rest), false};
      log_->append(b);
      st = execute(b, rest);
    }
    replay_input_.clear();
    replay_input_.shrink_to_fit();
    return st;
  }
  if (msgs.empty()) return {};
  LoggedBatch b{now_ms, runs_of(partition_, msgs), false};
  log_->append(b);
  return execute(b, msgs);
}

RoundStats PartitionTask::tick(int64_t now_ms, bool finish) {
  if (recovering()) {
    check_recovery_deadline();
    return {};
  }
  LoggedBatch b{now_ms, {}, finish};
  log_->append(b);
  return execute(b, {});
}

// Re-executes the logged batches against the same offsets: the same input and processing
// times give the same results under the same sequence numbers.
void PartitionTask::replay_logged() {
  std::vector<LoggedBatch> batches = std::move(pending_replay_);
  pending_replay_.clear();
  std::vector<KafkaMessage> view;
  view.reserve(replay_input_.size());
  for (const auto& m : replay_input_) view.push_back(KafkaMessage{partition_, m.offset, m.value});
  for (const auto& b : batches) {
    std::vector<KafkaMessage> msgs;
    for (const auto& r : b.runs) {
      auto lo = std::lower_bound(view.begin(), view.end(), r.from,
                                 [](const KafkaMessage& m, int64_t o) { return m.offset < o; });
      auto hi = std::lower_bound(lo, view.end(), r.to, [](const KafkaMessage& m, int64_t o) { return m.offset < o; });
      msgs.insert(msgs.end(), lo, hi);
    }
    execute(b, msgs);
  }
  replayed_ += batches.size();
  log::info("aggregator", "partition %u: replayed %zu logged batches", partition_, batches.size());
}

RoundStats PartitionTask::execute(const LoggedBatch& b, std::span<const KafkaMessage> msgs) {
  const auto t0 = std::chrono::steady_clock::now();
  events_.clear();
  events_.reserve(msgs.size(), msgs.size() * 24);
  // Against the round's logged processing time, so a replay rejects exactly the same events.
  const EventTimeBound bound(b.now_ms, cfg_.engine.max_future_ms);
  for (const auto& m : msgs) {
    if (const DecodeStatus err = decoder_.into(events_, m.value, static_cast<uint64_t>(m.offset), bound)) {
      ++rejected_;
      emitter_->on_reject(emit::RejectRecord{partition_, static_cast<uint64_t>(m.offset), err, std::string(m.value)});
    }
  }
  if (!msgs.empty()) engine_->process(partition_, events_, b.now_ms, *emitter_);
  for (const auto& r : b.runs) next_ = std::max(next_.value_or(INT64_MIN), r.to);
  engine_->tick(b.now_ms, *emitter_);
  if (b.finish) {
    engine_->finish(*emitter_);
    finished_ = true;
  }
  send_progress();
  dirty_ = true;
  last_round_ms_ = b.now_ms;
  return RoundStats{msgs.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
}

// One Progress record closes every round, sequenced after its results: the counters of the
// state the round left (a replayed round sends the same ones under the same seq) and the
// partition's lag, a level read from the source.
void PartitionTask::send_progress() {
  const EngineStats st = engine_->stats();
  emit::ProgressRecord p;
  static_cast<EventCounters&>(p) = st;
  p.rejected = rejected_;
  // Neither "no event yet" nor "end of input" is a time.
  if (st.watermark_ms != INT64_MIN && st.watermark_ms != INT64_MAX) p.watermark_ms = st.watermark_ms;
  // Unknown now (no broker answers, or nothing fetched yet) is reported as unknown, never as
  // the last figure known.
  if (lag_of_) lag_ = lag_of_(next_);
  if (lag_) p.consumer_lag = *lag_;
  emitter_->on_progress(p);
}

void PartitionTask::service() { channel_->service(std::chrono::milliseconds(0)); }

bool PartitionTask::checkpoint(std::chrono::milliseconds wait) {
  if (recovering()) return false;  // the logged rounds are not in the engine yet
  if (!channel_->drain(wait)) return false;
  if (!dirty_) return true;
  Checkpoint cp;
  cp.log_generation = generation_ + 1;
  cp.out_seq = emitter_->last_seq();
  if (next_) cp.next_offset[partition_] = *next_;
  cp.rejected = rejected_;
  save_checkpoint(dir_, cp, [&](std::ostream& out) { engine_->save_state(out); });
  ++generation_;
  log_ = std::make_unique<BatchLog>(dir_, generation_);
  BatchLog::remove_older(dir_, generation_);
  dirty_ = false;
  ++checkpoints_;
  return true;
}

}  // namespace clickagg::stream
