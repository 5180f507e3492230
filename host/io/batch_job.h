// The batch command as a function: every input decoded and aggregated to its end, then the
// output directory written (counts.csv, topn.csv, summary.json, rejects.txt, late.csv). The
// command line and the Python bindings both run this, so their outputs are the same bytes.
#pragma once
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "host/decode/decode.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "host/io/batch_input.h"
#include "host/io/final_results.h"

namespace clickagg {

struct BatchJob {
  std::vector<std::string> inputs;  // files, or kStdinPath; read in order as one stream
  Format format = Format::Auto;
  size_t batch_size = 1 << 20;
  EngineKind engine = EngineKind::Auto;
  EngineConfig config;
  int64_t now_ms = 0;               // processing time the event-time bound counts from
  InputProgress progress;           // called after each batch when set
};

struct BatchOutcome {
  std::unique_ptr<FinalResults> results;  // the last emission of each minute and list
  BatchInputStats input;
  EngineStats stats;
  std::string engine;                     // the engine's name
  double seconds = 0;                     // decoding and aggregating, output excluded
};

// Runs the job. Rejects go to `rejects` as "FILE:line N: reason" lines and dropped-late
// events to `late` as CSV (either may be null). Throws InputError when an input cannot be
// read (before anything is aggregated); what the engine throws passes through.
BatchOutcome run_batch_job(const BatchJob& job, std::FILE* rejects, std::FILE* late);

// summary.json's text (with its final newline).
std::string summary_json(const BatchOutcome& outcome);

// The batch command's output directory, created when missing. Throws std::runtime_error when
// a file cannot be written.
BatchOutcome run_batch_job_into(const BatchJob& job, const std::filesystem::path& dir);

}  // namespace clickagg
