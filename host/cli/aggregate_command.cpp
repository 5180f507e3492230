// clickagg aggregate: the batch command of the spec. Reads input files, runs an engine to the
// end of input and writes counts.csv, topn.csv, summary.json, rejects.txt (and late.csv).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>

#include "host/cli/commands.h"
#include "host/cli/settings.h"
#include "host/cli/engine_options.h"
#include "host/common/log.h"
#include "host/common/malloc_tuning.h"
#include "host/engines/engines.h"
#include "host/gen/time_text.h"
#include "host/io/batch_input.h"
#include "host/io/batch_job.h"

namespace clickagg::cli {

namespace {

struct AggregateArgs {
  std::vector<std::string> inputs;
  std::string format;  // defaults: the settings table's
  std::string out_dir;
  size_t batch_size = 0;
  std::string now;  // processing time for --max-future; empty: the wall clock at the start
  bool progress = false;
  EngineOptions engine;
};

// A progress line on stderr about once a second: where a long run is, and how fast it goes.
class ProgressReporter {
 public:
  using Clock = std::chrono::steady_clock;
  void operator()(const BatchInputStats& s, uint64_t total_bytes) {
    const auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - t0_).count();
    log::info("aggregate", "%.0f%% of %.1f MB, %" PRIu64 " records (%.2f M/s), %" PRIu64 " rejected",
              total_bytes ? 100.0 * static_cast<double>(s.bytes) / static_cast<double>(total_bytes) : 100.0,
              static_cast<double>(total_bytes) / 1e6, s.records, static_cast<double>(s.records) / secs / 1e6,
              s.rejected);
  }

 private:
  Clock::time_point t0_ = Clock::now(), last_ = Clock::now();
};

void run_aggregate(const AggregateArgs& a) {
  // A run holds minutes of tables and batches that come and go: keep freed memory for reuse
  // rather than faulting it in again (malloc_tuning.h).
  tune_malloc_for_streaming();
  const auto format = parse_format(a.format);
  if (!format) throw UsageError("bad --format '" + a.format + "' (log, json, binary or auto)");
  EngineConfig config = a.engine.config();
  const EngineKind kind = a.engine.kind();
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  if (!a.now.empty()) {
    const auto t = gen::parse_time_text(a.now);
    if (!t) throw UsageError("bad --now '" + a.now + "' (ISO-8601 or 'yyyy-mm-dd hh:mm:ss', UTC)");
    now_ms = *t;
  }
  if (std::count(a.inputs.begin(), a.inputs.end(), kStdinPath) > 1)
    throw UsageError("standard input (-) can be given once");
  for (const auto& in : a.inputs)
    if (in != kStdinPath && !std::filesystem::is_regular_file(in)) throw UsageError("cannot read input " + in);
  std::error_code ec;
  std::filesystem::create_directories(a.out_dir, ec);
  if (ec) throw UsageError("cannot create output directory " + a.out_dir + ": " + ec.message());

  BatchJob job;
  job.inputs = a.inputs;
  job.format = *format;
  job.batch_size = a.batch_size;
  job.engine = kind;
  job.config = config;
  job.now_ms = now_ms;
  const bool show_progress = a.progress || ::isatty(STDERR_FILENO);
  ProgressReporter reporter;
  if (show_progress) job.progress = std::ref(reporter);
  // An unreadable input is bad usage (exit 2); no usable GPU for --engine gpu, the GPU out of
  // memory or an output that cannot be written are runtime failures (exit 1), as they are.
  BatchOutcome o;
  try {
    o = run_batch_job_into(job, a.out_dir);
  } catch (const InputError& e) {
    throw UsageError(e.what());
  }
  if (show_progress)
    log::info("aggregate", "done: %" PRIu64 " records, %" PRIu64 " rejected, %" PRIu64 " counted in %.1f s",
              o.input.records, o.input.rejected, o.stats.counted, o.seconds);
}

}  // namespace

void register_aggregate(CLI::App& app) {
  auto args = std::make_shared<AggregateArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kAggregate);
  CommandSettings& s = *settings;
  s.bind("input", args->inputs);
  s.bind("format", args->format);
  s.bind("out", args->out_dir);
  s.bind("batch-size", args->batch_size);
  s.bind("now", args->now);
  s.bind("progress", args->progress);
  args->engine.add_to(s);
  s.on_run([args, settings] { run_aggregate(*args); });
}

}  // namespace clickagg::cli
