#include "host/stream/aggregator.h"

#include <zmq.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/common/log.h"
#include "host/common/time_util.h"
#include "host/emit/publisher.h"
#include "host/stream/kafka_source.h"
#include "host/stream/partition_task.h"

namespace clickagg::stream {

namespace {

std::string list_of(const std::vector<uint32_t>& parts) {
  std::string s;
  for (uint32_t p : parts) s += (s.empty() ? "" : ",") + std::to_string(p);
  return s.empty() ? "none" : s;
}

std::map<std::string, std::string> kafka_options(const AggregatorConfig& cfg) {
  std::map<std::string, std::string> o{{"client.id", cfg.member_id}};
  for (const auto& [k, v] : cfg.kafka_options) o[k] = v;
  return o;
}

class Aggregator final : public RebalanceListener {
 public:
  Aggregator(const AggregatorConfig& cfg, const std::atomic<bool>& stop, AggregatorProbe& probe)
      : cfg_(cfg), stop_(stop), stats_(probe),
        source_(cfg.brokers, cfg.topic, cfg.group, kafka_options(cfg), cfg.kafka_timeout) {
    const std::string old = cfg.state_dir + "/checkpoint.bin";
    if (std::filesystem::exists(old))
      throw std::runtime_error(old + " is a whole-topic checkpoint of an earlier clickagg; per-partition state cannot "
                               "be derived from it. Let that version finish (the sink caught up), then start with "
                               "an empty --state-dir");
    std::filesystem::create_directories(cfg.state_dir + "/partitions");
    task_cfg_.state_dir = cfg.state_dir;
    task_cfg_.producer_prefix = cfg.group + "/" + cfg.topic;
    task_cfg_.sink_endpoint = cfg.sink_endpoint;
    task_cfg_.sink_curve = cfg.sink_curve;
    task_cfg_.max_in_flight = cfg.max_in_flight;
    task_cfg_.format = cfg.format;
    task_cfg_.engine_kind = cfg.engine_kind;
    task_cfg_.engine = cfg.engine;
    if (!cfg.pub_endpoint.empty())
      pub_ = std::make_unique<emit::Publisher>(ctx_, cfg.pub_endpoint, cfg.pub_curve ? &*cfg.pub_curve : nullptr,
                                               cfg.insecure);
  }

  ~Aggregator() override {
    try {
      source_.close();  // revokes through on_revoked while the tasks still exist
    } catch (const std::exception& e) {
      log::warn("aggregator", "leaving the group: %s", e.what());
    }
  }

  void run() {
    source_.subscribe(*this);
    auto last_cp = std::chrono::steady_clock::now();
    auto last_report = last_cp;
    auto last_input = last_cp;
    auto last_end_check = last_cp - std::chrono::hours(1);
    uint64_t reported_msgs = 0;
    while (!stop_.load() && !finished_) {
      MessageBatch batch = source_.poll(cfg_.batch_max, static_cast<int>(cfg_.batch_wait.count()));
      stats_.broker_up_at_ms = AggregatorProbe::steady_ms() - source_.broker_silent_ms();
      const auto now = std::chrono::steady_clock::now();
      const int64_t now_ms = wall_ms();
      if (!batch.empty()) last_input = now;
      route(batch, now_ms);
      for (auto& [p, task] : tasks_)
        if (now_ms - task->last_round_ms() >= cfg_.tick_interval.count()) account(task->tick(now_ms, false));
      // End of input: quiet for the idle period AND read up to the end of every assigned
      // partition (a broker restart or a slow fetch also makes the input quiet).
      if (cfg_.finish_when_idle.count() > 0 && assigned_once_ && now - last_input >= cfg_.finish_when_idle &&
          now - last_end_check >= std::chrono::seconds(1)) {
        last_end_check = now;
        if (input_ended()) {
          for (auto& [p, task] : tasks_) account(task->tick(now_ms, true));
          finished_ = true;
        }
      }
      for (auto& [p, task] : tasks_) task->service();
      publish();
      if (now - last_cp >= cfg_.checkpoint_interval || finished_) {
        if (checkpoint_all()) last_cp = now;
      }
      if (now - last_report >= std::chrono::seconds(5)) {
        const double secs = std::chrono::duration<double>(now - last_report).count();
        report((stats_.messages - reported_msgs) / secs);
        reported_msgs = stats_.messages;
        last_report = now;
      }
    }
    // End of input: done only once the sink has everything. Stopped by a signal: a few
    // tries, then leave; a restart replays the batch logs, so nothing is lost either way.
    if (finished_) {
      const auto since = std::chrono::steady_clock::now();
      auto last_note = since;
      while (!checkpoint_all() && !stop_.load()) {
        const auto now = std::chrono::steady_clock::now();
        if (now - since >= cfg_.finish_drain_limit)
          throw std::runtime_error("aggregator: input ended, but the sink has not acknowledged " + unacknowledged() +
                                   " within " + std::to_string(cfg_.finish_drain_limit.count() / 1000) +
                                   " s; the batch logs keep them for the next start");
        if (now - last_note >= std::chrono::seconds(5)) {
          log::warn("aggregator", "%s: input ended; waiting for the sink to acknowledge %s",
                    cfg_.member_id.c_str(), unacknowledged().c_str());
          last_note = now;
        }
      }
    } else {
      for (int i = 0; i < 3 && !checkpoint_all(); ++i) {
      }
    }
    source_.close();
    publish();
  }

  std::map<uint32_t, int64_t> on_assigned(const std::vector<uint32_t>& parts) override {
    log::info("aggregator", "%s: assigned partitions %s", cfg_.member_id.c_str(), list_of(parts).c_str());
    assigned_once_ = true;
    std::map<uint32_t, int64_t> start;
    for (uint32_t p : parts) {
      auto lag_of = [this, p](std::optional<int64_t> next) -> std::optional<int64_t> {
        if (!source_.broker_up()) return std::nullopt;  // cached watermarks of a dead broker
        std::map<uint32_t, int64_t> at;
        if (next) at[p] = *next;
        const auto lags = source_.lag({p}, at);
        const auto it = lags.find(p);
        return it == lags.end() ? std::nullopt : std::optional<int64_t>(it->second);
      };
      auto task = std::make_unique<PartitionTask>(ctx_, task_cfg_, p, lag_of, pub_.get(), &stop_);
      if (auto next = task->next_offset()) start[p] = *next;
      stats_.replayed_batches += task->replayed_batches();
      tasks_[p] = std::move(task);
    }
    stats_.assignments += 1;
    return start;
  }

  void on_revoked(const std::vector<uint32_t>& parts, bool lost) override {
    log::info("aggregator", "%s: %s partitions %s", cfg_.member_id.c_str(), lost ? "lost" : "revoked",
              list_of(parts).c_str());
    std::map<uint32_t, int64_t> commit;
    for (uint32_t p : parts) {
      auto it = tasks_.find(p);
      if (it == tasks_.end()) continue;
      PartitionTask& task = *it->second;
      // Handing over a checkpoint spares the next owner the replay; without the sink's
      // acknowledgement the batch log carries everything instead.
      if (task.checkpoint(std::chrono::milliseconds(lost ? 500 : 3000))) {
        if (task.next_offset()) commit[p] = *task.next_offset();
      } else {
        log::info("aggregator", "partition %u let go without a checkpoint; its batch log replays", p);
      }
      blocked_base_ += task.channel_stats().blocked_ms;  // time this process waited stays counted
      tasks_.erase(it);
    }
    if (!lost) source_.commit(commit);
    stats_.revocations += 1;
  }

 private:
  // Hands each task its partition's messages (in offset order within the batch); messages of
  // partitions revoked during the poll are dropped, the next owner reads them again.
  void route(const MessageBatch& batch, int64_t now_ms) {
    if (batch.empty()) return;
    stats_.messages += batch.size();
    by_part_.clear();
    for (const auto& m : batch.messages()) by_part_[m.partition].push_back(m);
    for (auto& [p, msgs] : by_part_) {
      auto it = tasks_.find(p);
      if (it == tasks_.end()) continue;
      // A partition re-fetched after a rebalance inside the poll repeats offsets.
      std::stable_sort(msgs.begin(), msgs.end(), [](const KafkaMessage& a, const KafkaMessage& b) { return a.offset < b.offset; });
      msgs.erase(std::unique(msgs.begin(), msgs.end(), [](const KafkaMessage& a, const KafkaMessage& b) { return a.offset == b.offset; }),
                 msgs.end());
      account(it->second->offer(msgs, now_ms));
    }
  }

  void account(const RoundStats& r) {
    ++stats_.batches;
    stats_.last_batch_seconds = r.seconds;
    if (r.messages > 0) stats_.batch_seconds.observe(r.seconds);
  }

  // "partition P: N results" for each partition whose results the sink has not all acknowledged.
  std::string unacknowledged() const {
    std::string out;
    for (const auto& [p, task] : tasks_) {
      const size_t n = task->channel_stats().in_flight;
      if (task->recovering()) out += (out.empty() ? "" : ", ") + ("partition " + std::to_string(p) + ": replaying its log");
      else if (n > 0) out += (out.empty() ? "" : ", ") + ("partition " + std::to_string(p) + ": " + std::to_string(n) + " results");
    }
    return out.empty() ? "its last results" : out;
  }

  // A member without partitions is a standby, not at the end of anything: it stays.
  bool input_ended() {
    if (tasks_.empty()) return false;
    std::vector<uint32_t> parts;
    std::map<uint32_t, int64_t> next;
    for (const auto& [p, task] : tasks_) {
      if (task->recovering()) return false;
      parts.push_back(p);
      if (task->next_offset()) next[p] = *task->next_offset();
    }
    return source_.caught_up(parts, next, 2000);
  }

  bool checkpoint_all() {
    const auto t0 = std::chrono::steady_clock::now();
    bool ok = true;
    std::map<uint32_t, int64_t> commit;
    for (auto& [p, task] : tasks_) {
      if (!task->checkpoint()) {
        ok = false;
        continue;
      }
      if (task->next_offset()) commit[p] = *task->next_offset();
    }
    source_.commit(commit);
    if (!ok) {
      ++stats_.checkpoint_failures;
      return false;
    }
    ++stats_.checkpoints;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stats_.last_checkpoint_seconds = secs;
    stats_.checkpoint_duration.observe(secs);
    return true;
  }

  // The probe shows the partitions this process owns now: their counters are cumulative since
  // each partition's first start (restored from its checkpoint), whoever ran it before.
  void publish() {
    EngineStats sum;
    sum.watermark_ms = INT64_MIN;
    uint64_t in_flight = 0, acked = 0, sent = 0, resent = 0, blocked = 0;
    std::map<uint32_t, int64_t> lag;
    std::map<std::string, double> stages;
    bool first = true;
    for (const auto& [p, task] : tasks_) {
      const EngineStats st = task->engine_stats();
      sum += st;
      sum.rejected += task->rejected();
      // The pipeline's watermark: the least advanced partition's.
      if (st.watermark_ms != INT64_MIN) sum.watermark_ms = first ? st.watermark_ms : std::min(sum.watermark_ms, st.watermark_ms);
      if (st.watermark_ms != INT64_MIN) first = false;
      const emit::ChannelStats ch = task->channel_stats();
      in_flight += ch.in_flight;
      acked += ch.acked;
      sent += task->last_seq();
      resent += ch.resent;
      blocked += ch.blocked_ms;
      if (auto l = task->lag()) lag[p] = *l;
      for (const auto& [stage, secs] : task->stage_seconds()) stages[stage] += secs;
    }
    stats_.set_counters(sum);
    stats_.watermark_ms = sum.watermark_ms;
    stats_.in_flight = in_flight;
    stats_.acked_seq = acked;
    stats_.sent_seq = sent;
    stats_.resent = resent;
    stats_.backpressure_ms = blocked_base_ + blocked;
    stats_.partitions = tasks_.size();
    if (!tasks_.empty()) stats_.unassigned_since_ms = -1;
    else if (stats_.unassigned_since_ms < 0) stats_.unassigned_since_ms = AggregatorProbe::steady_ms();
    const bool known = source_.broker_up() && !tasks_.empty() && lag.size() == tasks_.size();
    stats_.set_lag(known ? lag : std::map<uint32_t, int64_t>{}, known);
    stats_.engine_stages.publish(std::vector<std::pair<std::string, double>>(stages.begin(), stages.end()));
  }

  void report(double msgs_per_s) {
    const std::optional<int64_t> total = stats_.total_lag();
    const std::string lag = total ? std::to_string(*total) : std::string("unknown");
    const int64_t w = stats_.watermark_ms;
    const EventCounters c = stats_.counter_values();
    const std::string wm = w == INT64_MIN || w == INT64_MAX ? std::string("-") : format_minute(minute_of(w));
    log::info("aggregator", "%s: %.0f msg/s, partitions %zu, watermark minute %s, lag %s, counted %" PRIu64
              ", late %" PRIu64 ", dropped late %" PRIu64 ", duplicates %" PRIu64 ", rejected %" PRIu64
              ", in flight %" PRIu64 ", backpressure %" PRIu64 " ms",
              cfg_.member_id.c_str(), msgs_per_s, tasks_.size(), wm.c_str(), lag.c_str(), c.counted,
              c.late_counted, c.dropped_late, c.duplicates, c.rejected, stats_.in_flight.load(), stats_.backpressure_ms.load());
  }

  const AggregatorConfig& cfg_;
  const std::atomic<bool>& stop_;
  AggregatorProbe& stats_;
  zmq::context_t ctx_;
  std::unique_ptr<emit::Publisher> pub_;
  TaskConfig task_cfg_;
  std::map<uint32_t, std::unique_ptr<PartitionTask>> tasks_;
  KafkaSource source_;  // closed (revoking every task) before members go
  std::map<uint32_t, std::vector<KafkaMessage>> by_part_;
  bool assigned_once_ = false;
  bool finished_ = false;
  uint64_t blocked_base_ = 0;  // backpressure waited for partitions let go
};

}  // namespace

void run_aggregator(const AggregatorConfig& cfg, const std::atomic<bool>& stop, AggregatorProbe* probe) {
  AggregatorProbe own;
  Aggregator agg(cfg, stop, probe ? *probe : own);
  try {
    agg.run();
  } catch (const emit::ChannelStopped&) {
    // Stopped while the sink held us back: what was not acknowledged is re-derived from the
    // batch logs at the next start, so leaving now loses nothing.
    log::warn("aggregator", "stopped while waiting for the sink; the batch logs replay on restart");
  }
}

}  // namespace clickagg::stream
