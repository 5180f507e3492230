// The Python module `clickagg._native`: each file registers one part of it.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "host/common/event_counters.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"

namespace clickagg::py {

namespace pb = pybind11;

void register_batch(pb::module_& m);    // Batch (the engine's columns as NumPy views), decode()
void register_results(pb::module_& m);  // the NumPy dtypes of result tables
void register_engine(pb::module_& m);   // Engine
void register_jobs(pb::module_& m);     // aggregate(), generate(), decode_envelope()

// A batch from Python columns (Batch.from_columns).
std::unique_ptr<EventColumns> batch_from_columns(const pb::dict& columns);

// The counters by name (host/common/event_counters.h), from anything that carries them
// (EngineStats, a wire Progress): one list for every dict the package returns.
inline pb::dict counters_dict(const EventCounters& c) {
  pb::dict d;
  for (const CounterField& f : kCounterFields) d[f.name] = c.*f.member;
  return d;
}

// A duration as every command reads it ("15s", "10m", "250ms", "0"); ValueError naming `what`.
int64_t duration_ms(const std::string& text, const char* what);
// "cpu", "gpu", "gpu-portable", "auto"; ValueError otherwise.
EngineKind engine_kind(const std::string& name);
// The engine options every entry point shares, as the command line's defaults.
EngineConfig engine_config(const pb::object& filters, const std::string& delay, const std::string& allowed_lateness,
                           uint32_t top, const pb::object& topn_windows, unsigned threads,
                           const pb::object& max_future);

}  // namespace clickagg::py
