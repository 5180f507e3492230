// Batch input: files decoded record by record into micro-batches for an engine. All inputs
// form one stream (partition 0) in the order given; rejected records go to a reject writer
// with their position and reason, never silently dropped.
#pragma once
#include <cstdio>
#include <functional>
#include <memory_resource>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/decode/decode.h"
#include "host/decode/event_columns.h"
#include "host/decode/event_time_bound.h"
#include "host/engine/engine.h"

namespace clickagg {

// An input file that cannot be read (bad usage: exit status 2). What `consume` throws is the
// caller's own failure and passes through as it is.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct BatchInputStats {
  uint64_t records = 0;   // every record read, rejected ones included
  uint64_t rejected = 0;
  uint64_t bytes = 0;
};

// Called after each batch: what was read so far (`bytes` counts the bytes behind the records
// read) and the size of every input together.
using InputProgress = std::function<void(const BatchInputStats& so_far, uint64_t total_bytes)>;

// Decodes `paths` in order and calls `consume` with batches of at most `batch_size` events
// (the batch is reused after the call). The path "-" is standard input (kStdinPath). Rejects
// (malformed, or dated beyond `bound`) are written as "FILE:line N: reason", standard input's
// as "stdin:line N: reason". Throws InputError when an input cannot be read (before any event
// is consumed). The batch's buffers come from `batch_memory` (an engine's batch_memory()).
BatchInputStats read_inputs(const std::vector<std::string>& paths, Format format, size_t batch_size,
                            std::FILE* rejects, const std::function<void(const EventColumns&)>& consume,
                            const EventTimeBound& bound = {}, const InputProgress& progress = {},
                            std::pmr::memory_resource* batch_memory = std::pmr::new_delete_resource());

inline constexpr const char* kStdinPath = "-";

}  // namespace clickagg
