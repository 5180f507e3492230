// Every option of every command, declared once: name, type, default, unit, range, help and
// the commands that take it. The command line (settings.h), the environment (CLICKAGG_<NAME>),
// the --config file and the reference (docs/configuration.md, the man page) all come from
// this table, so none of them can drift from the others.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clickagg::cli {

// One bit per command; a setting names the commands that take it as a mask.
enum Command : uint32_t {
  kAggregate = 1u << 0,
  kGen = 1u << 1,
  kRun = 1u << 2,
  kServe = 1u << 3,
  kSink = 1u << 4,
  kAggregator = 1u << 5,
  kArchive = 1u << 6,
  kReplay = 1u << 7,
  kReconcile = 1u << 8,
  kWatch = 1u << 9,
  kKeygen = 1u << 10,
};

struct CommandInfo {
  Command id;
  std::string_view name;
  std::string_view summary;
};
// In the order `clickagg --help` lists them.
const std::vector<CommandInfo>& commands();
const CommandInfo& command_info(Command c);

enum class SettingType { Text, Path, Address, Duration, Integer, Number, Choice, Flag, List };
std::string_view type_name(SettingType t);

struct Setting {
  std::string name;        // --NAME on the command line, NAME in a config file, CLICKAGG_NAME (upper case, _ for -)
  uint32_t commands = 0;   // Command bits
  SettingType type = SettingType::Text;
  std::string default_text;  // as typed on the command line; empty: none (the help says what happens)
  std::string unit;          // what a number counts, when it is not obvious
  std::string help;
  bool required = false;
  std::vector<std::string> choices;  // Choice: the accepted values
  std::optional<double> min, max;    // Integer, Number: the accepted range, inclusive
  std::string alias;                 // an older name still accepted on the command line
  bool allows_off = false;           // Duration: "off" means no bound
  bool from_env = true;              // false: the command line only (--print-config)
};

// The table, in the order the reference lists it. The same name may appear in several rows
// when commands give it a different default or meaning (gen's --format writes, aggregate's
// reads); no two rows share a command.
const std::vector<Setting>& settings();
// The row of `name` for `command`; nullptr when the command does not take it.
const Setting* find_setting(std::string_view name, Command command);
// CLICKAGG_ followed by the name in upper case with '_' for '-'.
std::string env_name(std::string_view name);
// "1..100000", "cpu | gpu | auto", "≥ 1": the accepted values as the reference shows them.
std::string range_text(const Setting& s);
// A row every command takes (commands == 0), such as --log-format.
const Setting& global_setting(std::string_view name);
// Whether the command reads --config files and so takes --config and --print-config.
bool takes_config(Command c);

}  // namespace clickagg::cli
