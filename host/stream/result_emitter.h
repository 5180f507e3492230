// Turns engine results into sequenced Envelopes: each one goes to the acknowledged channel
// (the sink) and to the PUB socket (subscribers).
#pragma once
#include <string>

#include "host/emit/acked_channel.h"
#include "host/emit/envelope_codec.h"
#include "host/emit/publisher.h"
#include "host/engine/results.h"

namespace clickagg::stream {

class ResultEmitter final : public ResultSink {
 public:
  ResultEmitter(std::string producer, uint64_t last_seq, emit::AckedChannel& channel, emit::Publisher* pub)
      : producer_(std::move(producer)), seq_(last_seq), channel_(channel), pub_(pub) {}

  void on_window(const WindowResult& w) override { send(w); }
  void on_topn(const TopNList& t) override { send(t); }
  void on_late(const LateRecord& r) override { send(r); }
  void on_reject(emit::RejectRecord r) { send(std::move(r)); }
  void on_progress(const emit::ProgressRecord& p) { send(p); }

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
};

}  // namespace clickagg::stream
