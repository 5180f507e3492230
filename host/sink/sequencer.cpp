#include "host/sink/sequencer.h"

#include "host/sink/batch_builder.h"

namespace clickagg::sink {

Sequencer::Sequencer(LoadCommitted load) : load_(std::move(load)) {}

uint64_t Sequencer::committed(const std::string& producer) {
  auto it = committed_.find(producer);
  if (it == committed_.end()) it = committed_.emplace(producer, load_(producer)).first;
  return it->second;
}

void Sequencer::add(emit::Envelope env) {
  auto& queue = pending_[env.producer];
  const uint64_t seq = env.seq;
  queue.try_emplace(seq, std::move(env));  // a second copy of a seq is identical: keep one
}

Round Sequencer::plan(uint32_t top_n) {
  Round round;
  round.batch.top_n = top_n;
  BatchBuilder builder;
  for (auto& [producer, queue] : pending_) {
    const uint64_t before = committed(producer);
    uint64_t seq = before;
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      if (it->first <= seq) {
        ++round.duplicates;
      } else if (it->first == seq + 1) {
        builder.add(it->second.body);
        seq = it->first;
        ++round.applied;
      } else {
        round.beyond_gap += static_cast<uint64_t>(std::distance(it, queue.end()));
        break;
      }
    }
    round.committed[producer] = seq;
    if (seq > before) round.batch.producer_seqs.emplace_back(producer, seq);
  }
  pending_.clear();
  builder.move_into(round.batch);
  return round;
}

void Sequencer::commit(const Round& round) {
  for (const auto& [producer, seq] : round.committed) {
    uint64_t& c = committed_[producer];
    if (seq > c) c = seq;
  }
}

}  // namespace clickagg::sink
