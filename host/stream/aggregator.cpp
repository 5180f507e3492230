#include "host/stream/aggregator.h"

#include <zmq.hpp>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "host/common/time_util.h"
#include "host/emit/acked_channel.h"
#include "host/emit/publisher.h"
#include "host/stream/batch_log.h"
#include "host/stream/checkpoint.h"
#include "host/stream/kafka_source.h"
#include "host/stream/result_emitter.h"

namespace clickagg::stream {

namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Splits a polled batch into runs of consecutive messages of one partition, in arrival order.
std::vector<PartitionRun> runs_of(const std::vector<KafkaMessage>& msgs) {
  std::vector<PartitionRun> runs;
  for (const auto& m : msgs) {
    if (!runs.empty() && runs.back().partition == m.partition && m.offset >= runs.back().to)
      runs.back().to = m.offset + 1;
    else
      runs.push_back(PartitionRun{m.partition, m.offset, m.offset + 1});
  }
  return runs;
}

class Aggregator {
 public:
  Aggregator(const AggregatorConfig& cfg, const std::atomic<bool>& stop, AggregatorProbe& probe)
      : cfg_(cfg),
        stop_(stop),
        stats_(probe),
        engine_(make_engine(cfg.engine_kind, cfg.engine)),
        channel_(ctx_, cfg.sink_endpoint, cfg.producer_id, cfg.max_in_flight),
        source_(cfg.brokers, cfg.topic, cfg.group) {
    std::filesystem::create_directories(cfg.state_dir);
    channel_.set_stop_flag(&stop_);
    if (!cfg.pub_endpoint.empty()) pub_ = std::make_unique<emit::Publisher>(ctx_, cfg.pub_endpoint);
    uint64_t last_seq = 0;
    if (auto cp = load_checkpoint(cfg.state_dir)) {
      std::istringstream in(cp->engine_state);
      engine_->restore_state(in);
      next_ = cp->next_offset;
      last_seq = cp->out_seq;
      generation_ = cp->log_generation;
      rejected_ = cp->rejected;
      std::fprintf(stderr, "aggregator: resumed from checkpoint (seq %" PRIu64 ", log %" PRIu64 ")\n", last_seq,
                   generation_);
    }
    log_ = std::make_unique<BatchLog>(cfg.state_dir, generation_);
    emitter_ = std::make_unique<ResultEmitter>(cfg.producer_id, last_seq, channel_, pub_.get());
    partitions_ = source_.partitions();
    publish_engine_stats();  // restored counters show before the first batch
  }

  void run() {
    replay(log_->recovered());
    source_.assign(partitions_, next_);
    auto last_cp = std::chrono::steady_clock::now();
    auto last_report = last_cp;
    auto last_input = last_cp;
    auto last_end_check = last_cp - std::chrono::hours(1);
    int64_t last_tick = wall_ms();
    uint64_t reported_msgs = 0;
    while (!stop_.load() && !finished_) {
      MessageBatch batch = source_.poll(cfg_.batch_max, static_cast<int>(cfg_.batch_wait.count()));
      const auto now = std::chrono::steady_clock::now();
      const int64_t now_ms = wall_ms();
      if (!batch.empty()) last_input = now;
      // End of input: quiet for the idle period AND read up to the end of every partition
      // (a broker restart or a slow fetch also makes the input quiet).
      bool idle_end = false;
      if (cfg_.finish_when_idle.count() > 0 && now - last_input >= cfg_.finish_when_idle &&
          now - last_end_check >= std::chrono::seconds(1)) {
        last_end_check = now;
        idle_end = source_.caught_up(partitions_, next_, 2000);
      }
      if (!batch.empty() || idle_end || now_ms - last_tick >= cfg_.tick_interval.count()) {
        LoggedBatch b{now_ms, runs_of(batch.messages()), idle_end};
        log_->append(b);
        // Runs are consecutive slices of the polled batch, in order.
        size_t at = 0;
        execute(b, [&](const PartitionRun& r) {
          std::vector<KafkaMessage> out;
          const auto& msgs = batch.messages();
          while (at < msgs.size() && msgs[at].partition == r.partition && msgs[at].offset < r.to) out.push_back(msgs[at++]);
          return out;
        });
        last_tick = now_ms;
      }
      channel_.service(std::chrono::milliseconds(0));
      if (now - last_cp >= cfg_.checkpoint_interval || finished_) {
        if (checkpoint()) last_cp = now;
      }
      if (now - last_report >= std::chrono::seconds(5)) {
        const double secs = std::chrono::duration<double>(now - last_report).count();
        report((stats_.messages - reported_msgs) / secs);
        reported_msgs = stats_.messages;
        last_report = now;
      }
    }
    // End of input: done only once the sink has everything. Stopped by a signal: a few
    // tries, then leave; a restart replays the batch log, so nothing is lost either way.
    if (finished_) {
      while (!checkpoint() && !stop_.load()) {
      }
    } else {
      for (int i = 0; i < 3 && !checkpoint(); ++i) {
      }
    }
  }

 private:
  // Messages of one partition in offset order, for replay.
  using PartitionMessages = std::map<uint32_t, std::vector<KafkaMessage>>;
  static std::vector<KafkaMessage> slice(const PartitionMessages& by_part, const PartitionRun& r) {
    auto it = by_part.find(r.partition);
    if (it == by_part.end()) return {};
    const auto& v = it->second;
    auto lo = std::lower_bound(v.begin(), v.end(), r.from, [](const KafkaMessage& m, int64_t o) { return m.offset < o; });
    auto hi = std::lower_bound(lo, v.end(), r.to, [](const KafkaMessage& m, int64_t o) { return m.offset < o; });
    return {lo, hi};
  }

  template <class MessagesOf>
  void execute(const LoggedBatch& b, MessagesOf&& messages_of) {
    const auto t0 = std::chrono::steady_clock::now();
    for (const PartitionRun& r : b.runs) {
      const std::vector<KafkaMessage> msgs = messages_of(r);
      events_.clear();
      for (const auto& m : msgs) {
        Event ev;
        if (DecodeStatus err = decode_record(cfg_.format, m.value, ev, arena_)) {
          ++rejected_;
          emitter_->on_reject(emit::RejectRecord{m.partition, static_cast<uint64_t>(m.offset), err, std::string(m.value)});
          continue;
        }
        ev.position = static_cast<uint64_t>(m.offset);
        events_.push_back(ev);
      }
      stats_.messages += msgs.size();
      engine_->process(r.partition, events_, b.now_ms, *emitter_);
      arena_.reset();
      next_[r.partition] = r.to;
    }
    engine_->tick(b.now_ms, *emitter_);
    if (b.finish) {
      engine_->finish(*emitter_);
      finished_ = true;
    }
    send_progress();
    ++stats_.batches;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stats_.last_batch_seconds = secs;
    stats_.batch_seconds.observe(secs);
    publish_engine_stats();
  }

  // One Progress envelope closes every round, sequenced after its results: its counters are
  // exactly those of the engine state the round left (so a replayed round sends the same
  // counters under the same seq), plus the current lag, a level read from librdkafka.
  void send_progress() {
    const EngineStats st = engine_->stats();
    emit::ProgressRecord p;
    p.events = st.events;
    p.counted = st.counted;
    p.late_counted = st.late_counted;
    p.duplicates = st.duplicates;
    p.dropped_late = st.dropped_late;
    p.rejected = rejected_;
    p.windows_closed = st.windows_closed;
    p.corrections = st.corrections;
    // Neither "no event yet" nor "end of input" is a time.
    if (st.watermark_ms != INT64_MIN && st.watermark_ms != INT64_MAX) p.watermark_ms = st.watermark_ms;
    const std::map<uint32_t, int64_t> lags = source_.lag(partitions_, next_);
    int64_t lag = 0;
    for (const auto& [part, l] : lags) lag += l;
    p.consumer_lag = lag;
    stats_.set_lag(lags);
    emitter_->on_progress(p);
  }

  // Re-executes logged batches against the same offsets: same input, same processing times,
  // same results under the same sequence numbers.
  void replay(const std::vector<LoggedBatch>& batches) {
    if (batches.empty()) return;
    std::map<uint32_t, int64_t> target;
    for (const auto& b : batches)
      for (const auto& r : b.runs) target[r.partition] = std::max(target[r.partition], r.to);
    source_.assign(partitions_, next_);
    std::map<uint32_t, int64_t> reached = next_;
    MessageBatch buffered;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    auto done = [&] {
      for (const auto& [p, to] : target)
        if (reached.count(p) == 0 || reached[p] < to) return false;
      return true;
    };
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("aggregator: cannot re-read the logged input offsets from Kafka");
      MessageBatch more = source_.poll(cfg_.batch_max, 200);
      for (const auto& m : more.messages()) reached[m.partition] = std::max(reached[m.partition], m.offset + 1);
      buffered.append(std::move(more));
    }
    PartitionMessages by_part;
    for (const auto& m : buffered.messages()) by_part[m.partition].push_back(m);
    for (auto& [p, v] : by_part)
      std::stable_sort(v.begin(), v.end(), [](const KafkaMessage& a, const KafkaMessage& b) { return a.offset < b.offset; });
    for (const auto& b : batches) execute(b, [&](const PartitionRun& r) { return slice(by_part, r); });
    stats_.replayed_batches += batches.size();
    std::fprintf(stderr, "aggregator: replayed %zu logged batches\n", batches.size());
  }

  bool checkpoint() {
    const auto t0 = std::chrono::steady_clock::now();
    if (!channel_.drain(std::chrono::milliseconds(2000))) {
      ++stats_.checkpoint_failures;
      return false;
    }
    Checkpoint cp;
    cp.log_generation = generation_ + 1;
    cp.out_seq = emitter_->last_seq();
    cp.next_offset = next_;
    std::ostringstream state;
    engine_->save_state(state);
    cp.engine_state = state.str();
    cp.rejected = rejected_;
    save_checkpoint(cfg_.state_dir, cp);
    ++generation_;
    log_ = std::make_unique<BatchLog>(cfg_.state_dir, generation_);
    BatchLog::remove_older(cfg_.state_dir, generation_);
    source_.commit(next_);
    ++stats_.checkpoints;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    stats_.last_checkpoint_seconds = secs;
    stats_.checkpoint_duration.observe(secs);
    return true;
  }

  void publish_engine_stats() {
    const EngineStats st = engine_->stats();
    stats_.events = st.events;
    stats_.rejected = rejected_;
    stats_.windows_closed = st.windows_closed;
    stats_.corrections = st.corrections;
    stats_.counted = st.counted;
    stats_.late_counted = st.late_counted;
    stats_.dropped_late = st.dropped_late;
    stats_.duplicates = st.duplicates;
    stats_.watermark_ms = st.watermark_ms;
    const emit::ChannelStats ch = channel_.stats();
    stats_.in_flight = ch.in_flight;
    stats_.acked_seq = ch.acked;
    stats_.backpressure_ms = ch.blocked_ms;
    stats_.sent_seq = emitter_->last_seq();
    stats_.resent = ch.resent;
    stats_.engine_stages.publish(*engine_);
  }

  void report(double msgs_per_s) {
    const EngineStats st = engine_->stats();
    const auto lags = stats_.lag();  // as of the last round
    publish_engine_stats();
    int64_t lag = 0;
    for (const auto& [p, l] : lags) lag += l;
    const std::string wm = st.watermark_ms == INT64_MIN ? std::string("-") : format_minute(minute_of(st.watermark_ms));
    std::fprintf(stderr,
                 "aggregator: %.0f msg/s, watermark minute %s, lag %" PRId64 ", counted %" PRIu64 ", late %" PRIu64
                 ", dropped late %" PRIu64 ", duplicates %" PRIu64 ", rejected %" PRIu64 ", in flight %zu"
                 ", backpressure %" PRIu64 " ms\n",
                 msgs_per_s, wm.c_str(), lag, st.counted, st.late_counted, st.dropped_late, st.duplicates,
                 rejected_, channel_.in_flight(), channel_.stats().blocked_ms);
  }

  const AggregatorConfig& cfg_;
  const std::atomic<bool>& stop_;
  AggregatorProbe& stats_;
  zmq::context_t ctx_;
  std::unique_ptr<Engine> engine_;
  emit::AckedChannel channel_;
  std::unique_ptr<emit::Publisher> pub_;
  KafkaSource source_;
  std::unique_ptr<BatchLog> log_;
  std::unique_ptr<ResultEmitter> emitter_;
  std::vector<uint32_t> partitions_;
  std::map<uint32_t, int64_t> next_;
  uint64_t generation_ = 1;
  uint64_t rejected_ = 0;  // since the first start: restored from the checkpoint
  bool finished_ = false;
  Arena arena_;
  std::vector<Event> events_;
};

}  // namespace

void run_aggregator(const AggregatorConfig& cfg, const std::atomic<bool>& stop, AggregatorProbe* probe) {
  AggregatorProbe own;
  Aggregator agg(cfg, stop, probe ? *probe : own);
  try {
    agg.run();
  } catch (const emit::ChannelStopped&) {
    // Stopped while the sink held us back: what was not acknowledged is re-derived from the
    // batch log at the next start, so leaving now loses nothing.
    std::fprintf(stderr, "aggregator: stopped while waiting for the sink; the batch log replays on restart\n");
  }
}

}  // namespace clickagg::stream
