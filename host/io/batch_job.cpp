#include "host/engines/engines.h"
#include "host/io/batch_job.h"

#include <chrono>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "host/common/event_counters.h"

namespace clickagg {

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_out(const std::filesystem::path& p) {
  File f(std::fopen(p.c_str(), "w"));
  if (!f) throw std::runtime_error("cannot write " + p.string());
  std::setvbuf(f.get(), nullptr, _IOFBF, 1 << 20);
  return f;
}

void close_checked(File& f, const std::filesystem::path& p) {
  std::FILE* raw = f.release();
  const bool failed = std::ferror(raw) != 0;
  if (std::fclose(raw) != 0 || failed) throw std::runtime_error("write failed: " + p.string());
}

}  // namespace

BatchOutcome run_batch_job(const BatchJob& job, std::FILE* rejects, std::FILE* late) {
  const EventTimeBound bound(job.now_ms, job.config.max_future_ms);
  std::unique_ptr<Engine> engine = make_engine(job.engine, job.config);
  BatchOutcome out;
  out.results = std::make_unique<FinalResults>(late);
  const auto t0 = std::chrono::steady_clock::now();
  out.input = read_inputs(
      job.inputs, job.format, job.batch_size, rejects,
      [&](const EventColumns& batch) { engine->process(0, batch, 0, *out.results); }, bound, job.progress,
      engine->batch_memory());
  engine->finish(*out.results);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.stats = engine->stats();
  out.engine = std::string(engine->name());
  return out;
}

std::string summary_json(const BatchOutcome& o) {
  EventCounters counters = o.stats;
  counters.rejected = o.input.rejected;
  // events_total is the spec's: every record read, the rejected ones too.
  nlohmann::ordered_json summary = {{"events_total", o.input.records}};
  for (const CounterField& f : kCounterFields)
    if (f.member != &EventCounters::events) summary[f.name] = counters.*f.member;
  summary["engine"] = o.engine;
  summary["input_bytes"] = o.input.bytes;
  summary["seconds"] = o.seconds;
  summary["events_per_second"] = o.seconds > 0 ? static_cast<double>(o.input.records) / o.seconds : 0.0;
  return summary.dump(2) + "\n";
}

BatchOutcome run_batch_job_into(const BatchJob& job, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create output directory " + dir.string() + ": " + ec.message());
  File rejects = open_out(dir / "rejects.txt");
  File late = open_out(dir / "late.csv");
  BatchOutcome o = run_batch_job(job, rejects.get(), late.get());

  File counts = open_out(dir / "counts.csv");
  o.results->write_counts_csv(counts.get());
  close_checked(counts, dir / "counts.csv");
  File topn = open_out(dir / "topn.csv");
  o.results->write_topn_csv(topn.get());
  close_checked(topn, dir / "topn.csv");
  close_checked(rejects, dir / "rejects.txt");
  close_checked(late, dir / "late.csv");
  File sj = open_out(dir / "summary.json");
  const std::string text = summary_json(o);
  std::fwrite(text.data(), 1, text.size(), sj.get());
  close_checked(sj, dir / "summary.json");
  return o;
}

}  // namespace clickagg
