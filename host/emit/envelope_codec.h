// Engine results <-> wire Envelopes (host/emit/wire/clickagg_results.proto).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "host/common/event_counters.h"
#include "host/engine/results.h"

namespace clickagg::emit {

struct RejectRecord {
  uint32_t partition = 0;
  uint64_t offset = 0;
  std::string reason;
  std::string record;
};

// The aggregator's cumulative counters after a round (engine statistics plus rejects), and
// where its input stands. Absolute values: applying the latest one is all a reader needs.
struct ProgressRecord : EventCounters {
  std::optional<int64_t> consumer_lag;  // records not yet read, summed over partitions
  std::optional<int64_t> watermark_ms;  // none before the first event
  // Set: the counters of one input partition's task (the pipeline's are the sum over
  // partitions). Unset: the whole pipeline's.
  std::optional<uint32_t> partition = std::nullopt;
  bool operator==(const ProgressRecord&) const = default;
};

using Body = std::variant<WindowResult, TopNList, LateRecord, RejectRecord, ProgressRecord>;

struct Envelope {
  std::string producer;
  uint64_t seq = 0;
  Body body;
};

// Serialized Envelope (version 1).
std::string encode(const Envelope& env);
// nullopt (and `error` set) on bytes that are not a version-1 Envelope.
std::optional<Envelope> decode(std::string_view bytes, std::string* error = nullptr);

// The PUB topic of a body: "counts.<yyyyMMddHHmm>", "topn.<window>.<filter>", "late.<p>",
// "reject.<p>", "progress".
std::string topic_of(const Body& body);

}  // namespace clickagg::emit
