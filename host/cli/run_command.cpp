// clickagg run: the whole pipeline in one process on embedded defaults, for a demo or a
// single node: a generated click stream whose event time follows the wall clock, aggregated
// on the streaming machinery (host/run/run_pipeline.h) into SQLite, and the query API and
// dashboard over it on 127.0.0.1:8080. Killed at any moment and started again, it loses
// nothing and counts nothing twice; this file only turns the options into a RunConfig.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "host/cli/commands.h"
#include "host/cli/curve_options.h"
#include "host/cli/duration_arg.h"
#include "host/cli/engine_options.h"
#include "host/cli/settings.h"
#include "host/cli/stop_flag.h"
#include "host/common/log.h"
#include "host/common/malloc_tuning.h"
#include "host/common/time_util.h"
#include "host/decode/decode.h"
#include "host/emit/curve.h"
#include "host/engine/engine.h"
#include "host/gen/time_text.h"
#include "host/run/run_pipeline.h"
#include "host/http/listen_address.h"

namespace clickagg::cli {

namespace {

// The example filter table used when --filters is not given.
constexpr const char* kDefaultFiltersYaml = R"yaml(
filters:
  - id: 1
    name: us
    country: US
  - id: 2
    name: europe
    country: [GB, DE, FR, NL, ES, IT, SE, PL]
  - id: 3
    name: asia-pacific
    country: [IN, CN, JP, KR, AU, SG, ID]
  - id: 4
    name: ipv6
    ip: [2000::/3]
)yaml";

struct RunArgs {
  // Defaults, the generator's included: the settings table's.
  EngineOptions engine;
  std::string db;
  std::string listen;
  std::string port_file;
  std::string state_dir;  // default: DB + ".state"
  std::string start;
  bool start_given = false;
  std::string duration;
  std::string batch_interval;
  std::string checkpoint_interval;
  std::string progress_interval;
  std::string format;
  double rate = 0;
  double events_per_second = 0;  // 0: the same as --rate, so event time keeps wall-clock pace
  uint64_t seed = 0;
  bool seed_given = false;
  std::string pub;
  std::string curve_secret;
  bool pub_curve = false;
  std::vector<std::string> pub_allow;
  bool insecure = false;
  gen::GenConfig gen;
};

// "now", "now-3m" (any duration), or a UTC time as the generator's --start takes it.
int64_t start_arg(const std::string& text, int64_t now) {
  if (auto t = gen::parse_start_text(text, now)) return *t;
  throw UsageError("bad --start '" + text + "' (now, now-3m, or e.g. 2021-01-01T00:00:00Z)");
}

Format format_arg(const std::string& name) {
  const auto f = parse_format(name);
  if (!f || *f == Format::Auto) throw UsageError("bad --format '" + name + "' (log, json or binary)");
  return *f;
}

// Beside the database file; in the working directory for a server database.
std::string default_state_dir(const std::string& db) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (db.find("://") != std::string::npos) return "clickagg-run.state";
  return (db.starts_with(kSqlite) ? db.substr(kSqlite.size()) : db) + ".state";
}

run::RunConfig configure(RunArgs& a) {
  run::RunConfig c;
  c.engine = a.engine.config();
  if (a.engine.filters_path.empty()) {
#if defined(CLICKAGG_HAVE_YAML)
    c.engine.filters = parse_filters_yaml(kDefaultFiltersYaml);
#endif
  }
  c.engine_kind = a.engine.kind();
  try {
    c.listen = http::parse_listen_address(a.listen);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (!(a.rate > 0)) throw UsageError("--rate must be above 0");
  c.db = a.db;
  c.state_dir = a.state_dir.empty() ? default_state_dir(a.db) : a.state_dir;
  c.port_file = a.port_file;
  c.duration = duration_arg("--duration", a.duration);
  c.batch_interval = std::max(std::chrono::milliseconds(1), duration_arg("--batch-interval", a.batch_interval));
  c.checkpoint_interval = duration_arg("--checkpoint-interval", a.checkpoint_interval);
  c.progress_interval = duration_arg("--progress-interval", a.progress_interval);
  c.pub_endpoint = a.pub;
  c.insecure = a.insecure;
  c.pub_curve = pub_curve(c.pub_endpoint, a.curve_secret, a.pub_curve, a.pub_allow, c.insecure);

  // The stream this run produces; a restart continues the one its state directory holds.
  const int64_t now = wall_ms();
  run::RunIdentity wanted;
  wanted.gen = a.gen;
  wanted.gen.start_ms = start_arg(a.start, now);
  wanted.gen.events_per_second = a.events_per_second > 0 ? a.events_per_second : a.rate;
  // A new seed per new run: event keys (click ids, user/ip tuples) differ from other runs'.
  wanted.gen.seed = a.seed_given ? a.seed : static_cast<uint64_t>(now);
  wanted.format = format_arg(a.format);
  wanted.rate = a.rate;
  wanted.first_start_ms = now;
  if (const std::string why = gen::validate(wanted.gen); !why.empty()) throw UsageError(why);
  std::optional<run::RunIdentity> saved;
  try {
    saved = run::load_identity(c.state_dir);
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
  if (saved) {
    const bool absolute_start = a.start_given && !a.start.starts_with("now");
    const std::string diff = run::differences(*saved, wanted, a.seed_given, absolute_start);
    if (!diff.empty())
      throw UsageError("the run in " + c.state_dir + " was started with other settings: " + diff +
                       "; start with those, or with another --state-dir");
    c.identity = *saved;
  } else {
    c.identity = wanted;
    run::save_identity(c.state_dir, wanted);
  }
  // Event time that runs ahead of the wall clock on purpose (fewer events per second of event
  // time than per second of wall time) would soon be rejected by the bound on event time:
  // the generator is this job's own input, so the bound is left out unless asked for.
  if (a.engine.max_future.empty() && c.identity.gen.events_per_second < c.identity.rate) {
    c.engine.max_future_ms = std::nullopt;
    log::info("run", "event time runs %.0fx the wall clock; no bound on event time (--max-future)",
              c.identity.rate / c.identity.gen.events_per_second);
  }
  return c;
}

}  // namespace

void register_run(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kRun);
  CommandSettings& s = *settings;
  args->engine.add_to(s);
  s.bind("db", args->db);
  s.bind("listen", args->listen);
  s.bind("port-file", args->port_file);
  s.bind("state-dir", args->state_dir);
  s.bind("checkpoint-interval", args->checkpoint_interval);
  s.bind("count", args->gen.count);
  s.bind("pub", args->pub);
  s.bind("curve-secret", args->curve_secret);
  s.bind("pub-curve", args->pub_curve);
  s.bind("pub-allow", args->pub_allow);
  s.bind("insecure", args->insecure);
  s.bind("rate", args->rate);
  s.bind("events-per-second", args->events_per_second);
  s.bind("start", args->start);
  s.bind("seed", args->seed);
  s.bind("duration", args->duration);
  s.bind("batch-interval", args->batch_interval);
  s.bind("progress-interval", args->progress_interval);
  s.bind("format", args->format);
  gen::GenConfig& g = args->gen;
  s.bind("ads", g.ads);
  s.bind("zipf", g.zipf);
  s.bind("users", g.users);
  s.bind("out-of-order", g.out_of_order);
  s.bind("late", g.late);
  s.bind("very-late", g.very_late);
  s.bind("duplicates", g.duplicate);
  s.bind("malformed", g.malformed);
  s.on_run([args, settings] {
    args->start_given = settings->source("start") != SettingSource::Default;
    args->seed_given = settings->source("seed") != SettingSource::Default;
    tune_malloc_for_streaming();
    const run::RunConfig config = configure(*args);
    run::run_pipeline(config, install_stop_flag());
  });
}

}  // namespace clickagg::cli
