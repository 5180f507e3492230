// Engine results <-> wire Envelopes (host/emit/wire/clickagg_results.proto).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "host/engine/results.h"

namespace clickagg::emit {

struct RejectRecord {
  uint32_t partition = 0;
  uint64_t offset = 0;
  std::string reason;
  std::string record;
};

using Body = std::variant<WindowResult, TopNList, LateRecord, RejectRecord>;

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
// "reject.<p>".
std::string topic_of(const Body& body);

}  // namespace clickagg::emit
