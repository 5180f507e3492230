#include <cstdio>
#include <exception>

#include "host/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"clickagg: exact ad click aggregation on GPU and CPU"};
  app.require_subcommand(1);
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
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "clickagg: %s\n", e.what());
    return 2;
  } catch (const clickagg::cli::ExitStatus& e) {
    return e.status;
  } catch (const clickagg::cli::UsageError& e) {
    std::fprintf(stderr, "clickagg: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "clickagg: %s\n", e.what());
    return 1;
  }
  return 0;
}
