// A command's options as the settings table declares them (settings_table.h): each option
// gets its name, help, default and range from its row, and before the command runs every
// option the command line left out is taken from the environment (CLICKAGG_<NAME>), then
// from the --config file, then from the row's default. Precedence: flags > environment >
// file > defaults.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "host/cli/settings_table.h"

namespace clickagg::cli {

// Where a setting's value came from, for --print-config and error messages.
enum class SettingSource { Default, File, Environment, Flag };

class CommandSettings {
 public:
  // Adds the subcommand named in the table; --config and --print-config when it takes them.
  CommandSettings(CLI::App& app, Command command);

  CLI::App& app() { return *cmd_; }
  Command command() const { return command_; }
  bool takes(std::string_view name) const { return find_setting(name, command_) != nullptr; }

  // The option of the table's row `name` for this command, bound to `var`, which is set to the
  // row's default now. std::logic_error when the command has no such row.
  template <class V>
  CLI::Option* bind(std::string_view name, V& var) {
    const Setting& s = row(name);
    CLI::Option* opt = s.type == SettingType::Flag ? cmd_->add_flag(option_names(s), var, help_of(s))
                                                   : cmd_->add_option(option_names(s), var, help_of(s));
    return attach(s, opt);
  }
  // bind() for the rows this command has; nothing for the others (shared option groups).
  template <class V>
  void bind_if_taken(std::string_view name, V& var) {
    if (takes(name)) bind(name, var);
  }

  // Runs `body` once the command line is parsed: the environment and the file are applied,
  // required settings checked, then --print-config prints, or `body` runs. std::logic_error
  // (at start-up) when a row of this command was never bound: the table and the command agree.
  void on_run(std::function<void()> body);

  // The source of the value `name` has now (after on_run's body started).
  SettingSource source(std::string_view name) const;

 private:
  struct Bound {
    const Setting* setting;
    CLI::Option* option;
    SettingSource source = SettingSource::Default;
    std::vector<std::string> values;  // as given, for --print-config
  };
  const Setting& row(std::string_view name) const;
  static std::string option_names(const Setting& s);
  static std::string help_of(const Setting& s);
  CLI::Option* attach(const Setting& s, CLI::Option* opt);
  void apply_sources();
  void print_config() const;

  CLI::App* cmd_;
  Command command_;
  std::vector<Bound> bound_;
  std::string config_path_;
  bool print_config_ = false;
};

// The rows a config file holds for `command`: top-level keys the command takes, and every key
// of its [command] section. Throws UsageError for an unreadable file, a key no command takes,
// or a [command] key this command does not take.
std::map<std::string, std::vector<std::string>> read_config_file(const std::string& path, Command command);

}  // namespace clickagg::cli
