// The command line: one binary, one subcommand per job. Exit status, for every command:
// 0 success; 1 runtime failure (a port in use, no usable GPU, no broker answering, a database
// error); 2 bad usage or unreadable input (unknown command or option, a bad value, an input or
// database that cannot be read). The error is one log line on stderr naming the cause.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "host/cli/build_info.h"
#include "host/cli/commands.h"
#include "host/cli/settings_table.h"
#include "host/common/log.h"
#include "host/metrics/metrics_registry.h"

namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The first word that is neither an option nor a global option's value names the command;
// CLI11 would report a mistyped one only as "A subcommand is required".
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--log-format") {
      // Its error is logged before CLI11 has read the option: apply it here.
      if (i + 1 < argc && std::string_view(argv[i + 1]) == "json") clickagg::log::set_format(clickagg::log::Format::Json);
      ++i;
      continue;
    }
    if (arg == "--log-format=json") clickagg::log::set_format(clickagg::log::Format::Json);
    if (arg.starts_with("-")) continue;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
      if (sub->get_name() == arg) return std::nullopt;
    std::string best;
    size_t best_distance = SIZE_MAX;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      const size_t d = edit_distance(arg, sub->get_name());
      if (d < best_distance) best_distance = d, best = sub->get_name();
    }
    std::string message = "unknown command '" + arg + "'";
    if (best_distance <= std::max<size_t>(2, arg.size() / 3)) message += "; did you mean '" + best + "'?";
    return message + " (clickagg --help lists the commands)";
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  namespace log = clickagg::log;
  clickagg::metrics::MetricsRegistry::set_build_info({{"version", clickagg::cli::build_version()},
                                                    {"commit", clickagg::cli::build_commit()},
                                                    {"cuda", clickagg::cli::build_with_cuda() ? "true" : "false"}});
  CLI::App app{"clickagg: exact ad click aggregation on GPU and CPU"};
  app.require_subcommand(1);
  app.fallthrough();  // --log-format is taken before or after the command
  app.set_version_flag("--version", clickagg::cli::version_line(), "Print the version, commit and CUDA support");
  const clickagg::cli::Setting& log_format = clickagg::cli::global_setting("log-format");
  app.add_option_function<std::string>(
         "--" + log_format.name,
         [](const std::string& f) { log::set_format(f == "json" ? log::Format::Json : log::Format::Text); },
         log_format.help)
      ->check(CLI::IsMember(log_format.choices))
      ->envname(clickagg::cli::env_name(log_format.name));
  clickagg::cli::register_aggregate(app);
  clickagg::cli::register_gen(app);
  clickagg::cli::register_run(app);
  clickagg::cli::register_serve(app);
  clickagg::cli::register_sink(app);
  clickagg::cli::register_aggregator(app);
  clickagg::cli::register_archive(app);
  clickagg::cli::register_replay(app);
  clickagg::cli::register_reconcile(app);
  clickagg::cli::register_watch(app);
  clickagg::cli::register_keygen(app);
  clickagg::cli::register_reference(app);
  if (const char* env = std::getenv("CLICKAGG_LOG_FORMAT"); env && std::string_view(env) == "json")
    log::set_format(log::Format::Json);
  if (const auto unknown = unknown_command(app, argc, argv)) {
    log::error("clickagg", "%s", unknown->c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    // Without a command CLI11 says "A subcommand is required"; name the way to the list.
    const std::string what = app.get_subcommands().empty() ? "a command is required (clickagg --help lists them)" : e.what();
    log::error("clickagg", "%s", what.c_str());
    return 2;
  } catch (const CLI::ParseError& e) {
    log::error("clickagg", "%s", e.what());
    return 2;
  } catch (const clickagg::cli::ExitStatus& e) {
    return e.status;
  } catch (const clickagg::cli::UsageError& e) {
    log::error("clickagg", "%s", e.what());
    return 2;
  } catch (const std::exception& e) {
    log::error("clickagg", "%s", e.what());
    return 1;
  }
  return 0;
}
