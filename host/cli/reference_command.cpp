// clickagg reference: prints docs/configuration.md or the man page from the settings table.
// Hidden from the command list: the build and a test run it, operators read its output.
#include <cstdio>
#include <memory>
#include <string>

#include "host/cli/build_info.h"
#include "host/cli/commands.h"
#include "host/cli/settings_doc.h"

namespace clickagg::cli {

void register_reference(CLI::App& app) {
  auto format = std::make_shared<std::string>("markdown");
  CLI::App* cmd = app.add_subcommand("reference", "Print the configuration reference (markdown) or the man page");
  cmd->group("");  // not in `clickagg --help`
  cmd->add_option("--format", *format, "markdown or man")->check(CLI::IsMember({"markdown", "man"}));
  cmd->callback([format] {
    const std::string text = *format == "man" ? settings_man_page(build_version()) : settings_markdown();
    std::fwrite(text.data(), 1, text.size(), stdout);
  });
}

}  // namespace clickagg::cli
