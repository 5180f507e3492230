// clickagg reconcile: end-of-day (or -hour) reconciliation. Recounts every (ad, minute,
// filter) group of the period from the raw-event archive, with no watermark (every event
// counts once, however late it arrived), compares with the stored counts in both directions,
// prints a summary and every mismatch, and records the outcome in the store for the
// dashboard and /metrics. Exit status: 0 when everything matches, 1 on a mismatch (or a
// failure, with an error line), 2 on bad usage.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "host/cli/commands.h"
#include "host/cli/settings.h"
#include "host/cli/duration_arg.h"
#include "host/cli/engine_options.h"
#include "host/common/time_util.h"
#include "host/engines/engines.h"
#include "host/ops/archive_source.h"
#include "host/ops/filter_check.h"
#include "host/ops/reconcile.h"
#include "host/ops/time_range.h"

namespace clickagg::cli {

namespace {

struct ReconcileArgs {
  std::string day, hour;
  std::string db;
  std::string archive_dir;
  std::optional<size_t> max_shown;
  std::string chunk;  // the settings table's default
  EngineOptions engine;
};

ops::MinuteRange period_of(const ReconcileArgs& a) {
  if (a.day.empty() == a.hour.empty()) throw UsageError("give exactly one of --day and --hour");
  if (!a.day.empty()) {
    const auto r = ops::parse_day(a.day);
    if (!r) throw UsageError("bad --day '" + a.day + "' (YYYY-MM-DD, UTC)");
    return *r;
  }
  const auto r = ops::parse_hour(a.hour);
  if (!r) throw UsageError("bad --hour '" + a.hour + "' (YYYY-MM-DDTHH, UTC)");
  return *r;
}

void print_report(const ops::ReconcileReport& r, const std::optional<size_t>& max_shown) {
  std::printf("events recounted: %" PRIu64 " (duplicates %" PRIu64 ", counted %" PRIu64 ")\n", r.recount.events,
              r.recount.duplicates, r.recount.counted);
  std::printf("groups checked: %" PRIu64 "\nmatched: %" PRIu64 "\nmismatched: %zu\n", r.groups_checked, r.matched,
              r.mismatches.size());
  if (r.mismatches.empty()) return;
  // The order of counts.csv: minute, filter_id, ad_id; 0 stands for "no row".
  std::printf("ad_id,minute,filter_id,stored,recounted\n");
  const size_t shown = max_shown ? std::min(*max_shown, r.mismatches.size()) : r.mismatches.size();
  for (size_t i = 0; i < shown; ++i) {
    const ops::Mismatch& m = r.mismatches[i];
    std::printf("%s,%s,%u,%" PRIu64 ",%" PRIu64 "\n", m.ad_id.c_str(), format_minute(m.minute).c_str(),
                static_cast<unsigned>(m.filter_id), m.stored, m.recounted);
  }
  if (shown < r.mismatches.size()) std::printf("(%zu more not shown)\n", r.mismatches.size() - shown);
}

void run_reconcile(const ReconcileArgs& a) {
  ops::ReconcileOptions opt;
  opt.range = period_of(a);
  const int64_t chunk_ms = duration_arg("--chunk", a.chunk).count();
  if (chunk_ms < kMsPerMinute || chunk_ms % kMsPerMinute != 0)
    throw UsageError("bad --chunk '" + a.chunk + "' (whole minutes, e.g. 60m)");
  opt.chunk_minutes = chunk_ms / kMsPerMinute;
  const EngineConfig ec = a.engine.config();
  opt.recount.filters = ec.filters;
  opt.recount.engine = a.engine.kind();
  opt.recount.threads = ec.threads;
  if (opt.recount.engine == EngineKind::Gpu) {
    std::string why;
    if (!gpu_available(&why)) throw std::runtime_error("--engine gpu: no usable GPU (" + why + ")");
  }
  if (!std::filesystem::is_directory(a.archive_dir)) throw UsageError("no archive at " + a.archive_dir);
  ops::ArchiveSource source(a.archive_dir);

  auto db = store::open_store(a.db, store::OpenMode::Writer);
  if (const std::string bad = ops::filter_table_mismatch(opt.recount.filters, db->filters()); !bad.empty())
    throw UsageError(bad);

  std::printf("reconcile %s: archive %s against %s\n", ops::describe(opt.range).c_str(), a.archive_dir.c_str(),
              a.db.c_str());
  const ops::ReconcileReport report = ops::reconcile(source, *db, opt);
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  db->record_reconcile(ops::status_of(report, now_ms));
  print_report(report, a.max_shown);
  std::fflush(stdout);
  if (!report.clean()) throw ExitStatus{1};
}

}  // namespace

void register_reconcile(CLI::App& app) {
  auto args = std::make_shared<ReconcileArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kReconcile);
  CommandSettings& s = *settings;
  s.bind("day", args->day)->excludes(s.bind("hour", args->hour));
  s.bind("db", args->db);
  s.bind("archive-dir", args->archive_dir);
  s.bind("max-mismatches-shown", args->max_shown);
  s.bind("chunk", args->chunk);
  args->engine.add_to(s);
  s.on_run([args, settings] { run_reconcile(*args); });
}

}  // namespace clickagg::cli
