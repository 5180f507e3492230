// The aggregator's checkpoint: engine state, the next offset of every partition, the last
// output sequence number, the batch-log generation that follows it and the counters kept
// outside the engine (rejects), so cumulative counters continue across restarts. Written atomically
// only when every output before it has been acknowledged by the sink, so a restore needs no
// outbox: whatever came later is re-derived from the batch log.
#pragma once
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>

namespace clickagg::stream {

struct Checkpoint {
  uint64_t log_generation = 0;              // batch log to replay after this checkpoint
  uint64_t out_seq = 0;                     // last output sequence number used
  std::map<uint32_t, int64_t> next_offset;  // per partition
  uint64_t rejected = 0;                    // records that failed to decode, ever
  std::string engine_state;                 // Engine::save_state bytes
};

std::string checkpoint_path(const std::string& dir);
// Writes the checkpoint atomically with the engine state streamed by `write_state` straight
// into the file (cp.engine_state is ignored): a state of many megabytes is never built in
// memory, copied or grown, which kept the aggregator's main thread busy at every interval.
void save_checkpoint(const std::string& dir, const Checkpoint& cp, const std::function<void(std::ostream&)>& write_state);
// The same with the state taken from cp.engine_state.
void save_checkpoint(const std::string& dir, const Checkpoint& cp);
// nullopt when there is none yet; throws on a corrupt file (never silently starts over).
std::optional<Checkpoint> load_checkpoint(const std::string& dir);

}  // namespace clickagg::stream
