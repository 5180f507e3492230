// clickagg aggregate: the batch command of the spec. Reads input files, runs an engine to the
// end of input and writes counts.csv, topn.csv, summary.json, rejects.txt (and late.csv).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "host/cli/commands.h"
#include "host/common/malloc_tuning.h"
#include "host/cli/engine_options.h"
#include "host/io/batch_input.h"
#include "host/gen/time_text.h"
#include "host/io/final_results.h"

namespace clickagg::cli {

namespace {

struct AggregateArgs {
  std::vector<std::string> inputs;
  std::string format = "auto";
  std::string out_dir;
  size_t batch_size = 1 << 20;
  std::string now;  // processing time for --max-future; empty: the wall clock at the start
  EngineOptions engine;
};

struct FileCloser {
  void operator()(std::FILE* f) const { if (f) std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_out(const std::filesystem::path& p) {
  File f(std::fopen(p.c_str(), "w"));
  if (!f) throw UsageError("cannot write " + p.string());
  std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
  return f;
}

void close_checked(File& f, const std::filesystem::path& p) {
  std::FILE* raw = f.release();
  if (std::ferror(raw) || std::fclose(raw) != 0) throw std::runtime_error("write failed: " + p.string());
}

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
  const EventTimeBound bound(now_ms, config.max_future_ms);
  for (const auto& in : a.inputs)
    if (!std::filesystem::is_regular_file(in)) throw UsageError("cannot read input " + in);

  std::unique_ptr<Engine> engine;
  try {
    engine = make_engine(kind, config);
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }

  const std::filesystem::path dir(a.out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw UsageError("cannot create output directory " + a.out_dir + ": " + ec.message());
  File rejects = open_out(dir / "rejects.txt");
  File late = open_out(dir / "late.csv");

  FinalResults results(late.get());
  const auto t0 = std::chrono::steady_clock::now();
  BatchInputStats in;
  // An unreadable input is bad usage (exit 2); the engine failing (the GPU out of memory, say)
  // is a runtime failure (exit 1), reported as it is.
  try {
    in = read_inputs(a.inputs, *format, a.batch_size, rejects.get(),
                     [&](const EventColumns& batch) { engine->process(0, batch, 0, results); }, bound);
  } catch (const InputError& e) {
    throw UsageError(e.what());
  }
  engine->finish(results);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  File counts = open_out(dir / "counts.csv");
  results.write_counts_csv(counts.get());
  close_checked(counts, dir / "counts.csv");
  File topn = open_out(dir / "topn.csv");
  results.write_topn_csv(topn.get());
  close_checked(topn, dir / "topn.csv");
  close_checked(rejects, dir / "rejects.txt");
  close_checked(late, dir / "late.csv");

  const EngineStats st = engine->stats();
  nlohmann::ordered_json summary = {
      {"events_total", in.records},
      {"rejected", in.rejected},
      {"duplicates", st.duplicates},
      {"dropped_late", st.dropped_late},
      {"counted", st.counted},
      {"late_counted", st.late_counted},
      {"engine", std::string(engine->name())},
      {"windows_closed", st.windows_closed},
      {"corrections", st.corrections},
      {"input_bytes", in.bytes},
      {"seconds", secs},
      {"events_per_second", secs > 0 ? static_cast<double>(in.records) / secs : 0.0},
  };
  File sj = open_out(dir / "summary.json");
  const std::string text = summary.dump(2) + "\n";
  std::fwrite(text.data(), 1, text.size(), sj.get());
  close_checked(sj, dir / "summary.json");
}

}  // namespace

void register_aggregate(CLI::App& app) {
  auto args = std::make_shared<AggregateArgs>();
  CLI::App* cmd = app.add_subcommand("aggregate", "Aggregate click files in batch: counts, top-N, summary");
  cmd->add_option("--input", args->inputs, "Input file (repeatable; read in order as one stream)")->required();
  cmd->add_option("--format", args->format, "log, json, binary or auto")->capture_default_str();
  cmd->add_option("--out", args->out_dir, "Output directory")->required();
  cmd->add_option("--batch-size", args->batch_size, "Events per engine micro-batch")->capture_default_str();
  cmd->add_option("--now", args->now,
                  "Processing time that --max-future counts from (UTC; default: the wall clock at the start)");
  args->engine.add_to(*cmd);
  cmd->callback([args] { run_aggregate(*args); });
}

}  // namespace clickagg::cli
