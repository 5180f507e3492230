// Turns engine results into sequenced Envelopes: each one goes to the acknowledged channel
// (the sink) and to the PUB socket (subscribers). A partition task's emitter marks every window,
// list and progress record with its partition: they cover that partition's ads only, and the
// sink (or a subscriber) combines the partitions' shares.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "host/emit/acked_channel.h"
#include "host/emit/envelope_codec.h"
#include "host/emit/publisher.h"
#include "host/engine/results.h"

namespace clickagg::stream {

class ResultEmitter final : public ResultSink {
 public:
  ResultEmitter(std::string producer, uint64_t last_seq, emit::AckedChannel& channel, emit::Publisher* pub,
                std::optional<uint32_t> partition = std::nullopt, uint32_t top_n = 0)
      : producer_(std::move(producer)), seq_(last_seq), channel_(channel), pub_(pub), partition_(partition),
        top_n_(top_n) {}

  void on_window(const WindowResult& w) override {
    emit::Body body = w;
    std::get<WindowResult>(body).partition = partition_;
    send(std::move(body));
  }
  void on_topn(const TopNList& t) override {
    emit::Body body = t;
    std::get<TopNList>(body).partition = partition_;
    std::get<TopNList>(body).top_n = top_n_;
    send(std::move(body));
  }
  void on_late(const LateRecord& r) override { send(r); }
  void on_reject(emit::RejectRecord r) { send(std::move(r)); }
  void on_progress(emit::ProgressRecord p) {
    p.partition = partition_;
    send(std::move(p));
  }

  uint64_t last_seq() const { return seq_; }

 private:
  void send(emit::Body body) {
    emit::Envelope env{producer_, ++seq_, std::move(body)};
    std::string bytes = emit::encode(env);
    if (pub_) pub_->publish(emit::topic_of(env.body), bytes);
    channel_.send(env.seq, std::move(bytes));
  }

  std::string producer_;
  uint64_t seq_;
  emit::AckedChannel& channel_;
  emit::Publisher* pub_;
  std::optional<uint32_t> partition_;
  uint32_t top_n_;
};

}  // namespace clickagg::stream
