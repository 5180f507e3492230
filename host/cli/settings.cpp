#include "host/cli/settings.h"

#include <cstdio>
#include <cstdlib>
#include <set>
#include <stdexcept>

#include "host/cli/commands.h"
#include "host/cli/duration_arg.h"
#include "host/common/time_util.h"

namespace clickagg::cli {

namespace {

std::string quoted(const std::string& v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string_view source_name(SettingSource s) {
  switch (s) {
    case SettingSource::Default: return "default";
    case SettingSource::File: return "file";
    case SettingSource::Environment: return "environment";
    case SettingSource::Flag: return "flag";
  }
  return "default";
}

// The row's range as a CLI11 check, so a bad value from any source is refused the same way.
// CLI11 puts the option's name in front of the message.
void add_checks(const Setting& s, CLI::Option* opt) {
  if (s.type == SettingType::Duration) {
    opt->check([allows_off = s.allows_off](const std::string& v) -> std::string {
      if ((allows_off && v == "off") || parse_duration_ms(v)) return {};
      return "'" + v + "': " + kDurationForms + (allows_off ? ", or off" : "");
    });
  }
  if (!s.choices.empty()) {
    opt->check([choices = s.choices, range = range_text(s)](const std::string& v) -> std::string {
      for (const std::string& c : choices)
        if (v == c) return {};
      return "'" + v + "' is not one of " + range;
    });
  }
  if (s.min || s.max) {
    opt->check([min = s.min, max = s.max, range = range_text(s)](const std::string& v) -> std::string {
      char* end = nullptr;
      const double x = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0') return "'" + v + "' is not a number (" + range + ")";
      if ((min && !(x >= *min)) || (max && !(x <= *max))) return "must be " + range + " (got " + v + ")";
      return {};
    });
  }
}

}  // namespace

CommandSettings::CommandSettings(CLI::App& app, Command command)
    : cmd_(app.add_subcommand(std::string(command_info(command).name), std::string(command_info(command).summary))),
      command_(command) {
  if (takes_config(command)) {
    bind("config", config_path_);
    bind("print-config", print_config_);
  }
}

const Setting& CommandSettings::row(std::string_view name) const {
  const Setting* s = find_setting(name, command_);
  if (!s)
    throw std::logic_error("settings table: " + std::string(command_info(command_).name) + " has no --" +
                           std::string(name));
  return *s;
}

std::string CommandSettings::option_names(const Setting& s) {
  return "--" + s.name + (s.alias.empty() ? "" : ",--" + s.alias);
}

std::string CommandSettings::help_of(const Setting& s) {
  std::string help = s.help;
  const std::string range = s.choices.empty() && !s.min && !s.max ? "" : range_text(s);
  if (!range.empty()) help += " [" + range + (s.unit.empty() ? "" : " " + s.unit) + "]";
  if (!s.from_env) return help;
  return help + " (env " + env_name(s.name) + ")";
}

CLI::Option* CommandSettings::attach(const Setting& s, CLI::Option* opt) {
  add_checks(s, opt);
  if (!s.default_text.empty()) {
    // The row's default goes into the variable now, through the same conversion a typed value
    // takes; the option stays unset so the environment and the file may still fill it.
    opt->add_result(s.default_text);
    opt->run_callback();
    opt->clear();
    opt->default_str(s.default_text);
  }
  bound_.push_back({&s, opt, SettingSource::Default, {}});
  return opt;
}

void CommandSettings::on_run(std::function<void()> body) {
  std::set<std::string> names;
  for (const Bound& b : bound_) names.insert(b.setting->name);
  for (const Setting& s : settings())
    if ((s.commands & command_) && !names.count(s.name))
      throw std::logic_error("settings table: " + std::string(command_info(command_).name) + " never binds --" + s.name);
  cmd_->callback([this, body = std::move(body)] {
    apply_sources();
    if (print_config_) {
      print_config();
      return;
    }
    body();
  });
}

void CommandSettings::apply_sources() {
  auto give = [](Bound& b, std::vector<std::string> values, SettingSource source, const std::string& origin) {
    try {
      for (const std::string& v : values) b.option->add_result(v);
      b.option->run_callback();
    } catch (const CLI::Error& e) {
      throw UsageError(origin + ": " + e.what());
    }
    b.values = std::move(values);
    b.source = source;
  };
  auto from_env = [&](Bound& b) {
    const std::string name = env_name(b.setting->name);
    const char* env = std::getenv(name.c_str());
    if (!env) return false;
    std::vector<std::string> values =
        b.setting->type == SettingType::List ? split_list(env) : std::vector<std::string>{env};
    give(b, std::move(values), SettingSource::Environment, name + "=" + env);
    return true;
  };
  // The file's path itself comes from the command line or the environment.
  for (Bound& b : bound_) {
    if (b.option->count() > 0) {
      b.source = SettingSource::Flag;
      b.values = b.option->results();
    }
  }
  for (Bound& b : bound_)
    if (b.setting->name == "config" && b.source == SettingSource::Default) from_env(b);
  std::map<std::string, std::vector<std::string>> file;
  if (!config_path_.empty()) file = read_config_file(config_path_, command_);
  for (Bound& b : bound_) {
    if (b.source != SettingSource::Default || b.setting->name == "config") continue;
    if (b.setting->from_env && from_env(b)) continue;
    if (const auto it = file.find(b.setting->name); it != file.end())
      give(b, it->second, SettingSource::File, b.setting->name + " in " + config_path_);
    else if (!b.setting->default_text.empty())
      b.values = {b.setting->default_text};
  }
  if (print_config_) return;  // shows what is missing as "(not set)"
  for (const Bound& b : bound_)
    if (b.setting->required && b.values.empty())
      throw UsageError("--" + b.setting->name + " is required (or " + env_name(b.setting->name) + ", or " +
                       b.setting->name + " in a --config file)");
}

SettingSource CommandSettings::source(std::string_view name) const {
  for (const Bound& b : bound_)
    if (b.setting->name == name) return b.source;
  throw std::logic_error("settings: --" + std::string(name) + " is not bound");
}

void CommandSettings::print_config() const {
  std::printf("# clickagg %s: the settings in effect (flags > environment > file > defaults)\n",
              std::string(command_info(command_).name).c_str());
  for (const Bound& b : bound_) {
    const Setting& s = *b.setting;
    if (s.name == "config" || s.name == "print-config") continue;
    std::string value;
    const bool set = !b.values.empty() || s.type == SettingType::Flag;
    if (s.type == SettingType::Flag) {
      const std::string& v = b.values.empty() ? std::string("false") : b.values.back();
      value = v == "false" || v == "0" || v == "off" || v == "no" ? "false" : "true";
    } else if (s.type == SettingType::List) {
      for (const std::string& v : b.values) value += (value.empty() ? "" : ", ") + quoted(v);
      value = "[" + value + "]";
    } else if (s.type == SettingType::Integer || s.type == SettingType::Number) {
      value = b.values.empty() ? "" : b.values.back();
    } else {
      value = b.values.empty() ? "\"\"" : quoted(b.values.back());
    }
    if (!set && s.type != SettingType::List)
      std::printf("# %s = (not set)\n", s.name.c_str());
    else
      std::printf("%s = %s  # %s\n", s.name.c_str(), value.c_str(), std::string(source_name(b.source)).c_str());
  }
}

std::map<std::string, std::vector<std::string>> read_config_file(const std::string& path, Command command) {
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_file(path);
  } catch (const CLI::FileError&) {
    throw UsageError("cannot read config file " + path);
  } catch (const CLI::Error& e) {
    throw UsageError("config file " + path + ": " + e.what());
  }
  auto known_anywhere = [](const std::string& name) {
    for (const Setting& s : settings())
      if (s.name == name) return true;
    return false;
  };
  std::map<std::string, std::vector<std::string>> top, section;
  const std::string own(command_info(command).name);
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // the reader's section markers
    if (item.parents.size() > 1) throw UsageError(path + ": no setting " + item.fullname());
    if (item.name == "config" || item.name == "print-config")
      throw UsageError(path + ": " + item.name + " cannot be set in a config file");
    if (item.parents.empty()) {
      if (!known_anywhere(item.name)) throw UsageError(path + ": unknown setting '" + item.name + "'");
      if (find_setting(item.name, command)) top[item.name] = item.inputs;  // others are for other commands
      continue;
    }
    const std::string& sec = item.parents.front();
    const CommandInfo* info = nullptr;
    for (const CommandInfo& c : commands())
      if (c.name == sec) info = &c;
    if (!info) throw UsageError(path + ": [" + sec + "] is not a command");
    if (!find_setting(item.name, info->id))
      throw UsageError(path + ": " + sec + " takes no setting '" + item.name + "'");
    if (sec == own) section[item.name] = item.inputs;
  }
  for (auto& [k, v] : section) top[k] = std::move(v);  // the command's own section wins
  return top;
}

}  // namespace clickagg::cli
