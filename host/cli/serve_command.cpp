// clickagg serve: the query API, dashboard and metrics over an aggregate store that another
// process (clickagg run, clickagg sink) writes. Runs until SIGINT/SIGTERM, then exits 0.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "host/cli/commands.h"
#include "host/cli/settings.h"
#include "host/cli/listen_arg.h"
#include "host/cli/stop_flag.h"
#include "host/common/log.h"
#include "host/engine/filters.h"
#include "host/serve/http_server.h"
#include "host/http/listen_address.h"
#include "host/serve/store_probe.h"
#include "host/store/aggregate_store.h"
#include "host/store/store_pool.h"

namespace clickagg::cli {

namespace {

struct ServeArgs {
  std::string db;  // defaults: the settings table's
  std::string listen;
  std::string filters_path;
  std::string port_file;
  bool create = false;
};

// The filter ids the API accepts: from the YAML file when given, else those the writer
// recorded in the store.
std::set<uint16_t> known_filters(const ServeArgs& a, store::AggregateStore& store) {
  std::set<uint16_t> ids;
  if (!a.filters_path.empty()) {
#if defined(CLICKAGG_HAVE_YAML)
    try {
      const FilterSet filters = load_filters_yaml(a.filters_path);
      for (const FilterDef& f : filters.defs()) ids.insert(f.id);
    } catch (const std::exception& e) {
      throw UsageError(e.what());
    }
#else
    throw UsageError("this build cannot read YAML filter files");
#endif
    return ids;
  }
  for (const store::FilterInfo& f : store.filters()) ids.insert(f.id);
  return ids;
}

void run_serve(const ServeArgs& a) {
  const http::ListenAddress addr = listen_arg("--listen", a.listen);
  const std::atomic<bool>& stop = install_stop_flag();

  serve::ServerOptions opts;
  opts.host = addr.host;
  opts.port = addr.port;
  // A mistyped path would otherwise become a new empty database served as zeros.
  if (const auto path = store::sqlite_path(a.db); path && !a.create && !std::filesystem::exists(*path))
    throw UsageError("database " + *path + " does not exist (clickagg run or sink writes it; --create starts an "
                     "empty one)");
  {
    // Opened once as the writer would: creates the schema (or migrates an old one) so the API
    // can come up before the first results are written.
    auto store = store::open_store(a.db, store::OpenMode::Writer);
    opts.filter_ids = known_filters(a, *store);
  }
  auto pool = std::make_shared<store::StorePool>(
      [db = a.db] { return store::open_store(db, store::OpenMode::Reader); });
  opts.metrics = std::make_shared<metrics::MetricsRegistry>();
  serve::register_store_metrics(*opts.metrics, pool);

  serve::HttpServer server(opts, pool);
  const uint16_t port = server.start();
  if (!a.port_file.empty()) {
    const std::string tmp = a.port_file + ".tmp";
    std::ofstream(tmp) << port << '\n';
    std::filesystem::rename(tmp, a.port_file);
  }
  log::info("serve", "http://%s:%u/ over %s", addr.host.c_str(), port,
            a.db.c_str());
  while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.stop();
  log::info("serve", "stopped");
}

}  // namespace

void register_serve(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kServe);
  CommandSettings& s = *settings;
  s.bind("db", args->db);
  s.bind("listen", args->listen);
  s.bind("filters", args->filters_path);
  s.bind("port-file", args->port_file);
  s.bind("create", args->create);
  s.on_run([args, settings] { run_serve(*args); });
}

}  // namespace clickagg::cli
