// Orders what producers sent into what one transaction may commit. Per producer, messages
// apply strictly in seq order from the committed seq + 1: an older seq is a duplicate (a
// resend or a replay after a restart, identical content) and is skipped; a missing seq stops
// that producer for the round, and what came after it is dropped (the producer resends from
// the acknowledged seq). The committed seqs go in the same transaction as the results.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "host/emit/envelope_codec.h"
#include "host/store/aggregate_store.h"

namespace clickagg::sink {

struct Round {
  store::ResultBatch batch;                   // results, late events, rejects, producer_seqs
  std::map<std::string, uint64_t> committed;  // every producer heard from: its seq after the round
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t beyond_gap = 0;  // dropped because an earlier seq is missing
};

class Sequencer {
 public:
  // Reads a producer's committed seq from the store the first time it is needed.
  using LoadCommitted = std::function<uint64_t(const std::string& producer)>;
  explicit Sequencer(LoadCommitted load);

  // What is durably committed for `producer` (as of the last commit()).
  uint64_t committed(const std::string& producer);
  // Every producer seen so far, with its committed seq.
  const std::map<std::string, uint64_t>& committed_all() const { return committed_; }

  // A received message: any order, duplicates allowed.
  void add(emit::Envelope env);
  bool has_pending() const { return !pending_.empty(); }
  // Takes everything received into one round.
  Round plan(uint32_t top_n);
  // The round's transaction committed: its seqs become the committed ones.
  void commit(const Round& round);

 private:
  LoadCommitted load_;
  std::map<std::string, uint64_t> committed_;
  std::map<std::string, std::map<uint64_t, emit::Envelope>> pending_;
};

}  // namespace clickagg::sink
