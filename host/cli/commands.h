// Each subcommand lives in its own file and registers itself on the top-level app.
#pragma once
#include <CLI/CLI.hpp>

namespace clickagg::cli {

// Thrown by a command for bad usage or unreadable input: one line on stderr, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown by a command that finished and printed its outcome but must exit with `status`
// (a reconciliation that found mismatches); no error line is printed.
struct ExitStatus {
  int status;
};

void register_aggregate(CLI::App& app);
void register_gen(CLI::App& app);
void register_run(CLI::App& app);
void register_serve(CLI::App& app);
void register_sink(CLI::App& app);
void register_aggregator(CLI::App& app);
void register_archive(CLI::App& app);
void register_replay(CLI::App& app);
void register_reconcile(CLI::App& app);
void register_watch(CLI::App& app);
void register_keygen(CLI::App& app);
// Hidden: the configuration reference or the man page, generated from the settings table.
void register_reference(CLI::App& app);

}  // namespace clickagg::cli
