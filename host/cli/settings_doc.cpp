#include "host/cli/settings_doc.h"

#include "host/cli/settings_table.h"

namespace clickagg::cli {

namespace {

constexpr const char* kPrecedence =
    "A setting is taken from the first of these that gives it: the command line (`--NAME VALUE`), "
    "the environment (`CLICKAGG_NAME`: upper case, `_` for `-`), the file given by `--config` (or "
    "`CLICKAGG_CONFIG`), the built-in default. A config file is TOML: top-level keys apply to every "
    "command that takes them (other commands ignore them), a `[COMMAND]` section to that command "
    "only and wins over the top level; a key no command takes, or a section key its command does "
    "not take, is refused. Lists are TOML arrays in a file and comma-separated in the environment; "
    "flags are `true` or `false`. `--print-config` prints the settings in effect, each with its "
    "source, as a config file, and exits.";

std::string md_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string default_cell(const Setting& s) {
  if (s.type == SettingType::Flag) return "false";
  return s.default_text.empty() ? "" : "`" + md_escape(s.default_text) + "`";
}

std::string env_cell(const Setting& s) { return s.from_env ? "`" + env_name(s.name) + "`" : "(command line only)"; }

std::string range_cell(const Setting& s) {
  std::string r = range_text(s);
  if (!s.unit.empty()) r += (r.empty() ? "" : " ") + s.unit;
  return md_escape(r);
}

// roff: `code` becomes bold, a backslash escapes itself, '-' must be \- to stay a hyphen-minus in options, and a
// line must not start with '.' or '\''.
std::string roff(const std::string& s) {
  std::string out;
  bool code = false;
  for (char c : s) {
    if (c == '`') {  // markdown's code spans become bold
      out += code ? "\\fR" : "\\fB";
      code = !code;
    } else if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  for (const auto& [utf8, glyph] : {std::pair<std::string, std::string>{"≥", "\\(>="}, {"≤", "\\(<="}})
    for (size_t at; (at = out.find(utf8)) != std::string::npos;) out.replace(at, utf8.size(), glyph);
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

}  // namespace

std::string settings_markdown() {
  std::string md =
      "# Configuration reference\n\n"
      "Generated from the settings table (`host/cli/settings_table.cpp`) by `clickagg reference --format "
      "markdown`; a test fails when this file is not what the binary prints.\n\n";
  md += std::string(kPrecedence) + "\n\n";
  md += "Durations are whole numbers with their unit (`250ms`, `15s`, `10m`, `2h`); `0` alone needs none.\n\n";
  md += "## Every command\n\n| setting | environment | type | default | accepted | description |\n"
        "| --- | --- | --- | --- | --- | --- |\n";
  for (const Setting& s : settings())
    if (s.commands == 0)
      md += "| `--" + s.name + "` | " + env_cell(s) + " | " + std::string(type_name(s.type)) + " | " +
            default_cell(s) + " | " + range_cell(s) + " | " + md_escape(s.help) + " |\n";
  for (const CommandInfo& c : commands()) {
    md += "\n## clickagg " + std::string(c.name) + "\n\n" + std::string(c.summary) + ".\n\n";
    md += "| setting | environment | type | default | accepted | description |\n"
          "| --- | --- | --- | --- | --- | --- |\n";
    for (const Setting& s : settings()) {
      if (!(s.commands & c.id)) continue;
      std::string name = "`--" + s.name + "`";
      if (!s.alias.empty()) name += " (or `--" + s.alias + "`)";
      if (s.required) name += " **required**";
      md += "| " + name + " | " + env_cell(s) + " | " + std::string(type_name(s.type)) + " | " +
            default_cell(s) + " | " + range_cell(s) + " | " + md_escape(s.help) + " |\n";
    }
  }
  return md;
}

std::string settings_man_page(const std::string& version) {
  std::string m = ".TH CLICKAGG 1 \"\" \"clickagg " + roff(version) + "\" \"User Commands\"\n";
  m += ".SH NAME\nclickagg \\- exact ad click aggregation on GPU and CPU\n";
  m += ".SH SYNOPSIS\n.B clickagg\n[\\fB\\-\\-log\\-format\\fR \\fItext\\fR|\\fIjson\\fR] \\fICOMMAND\\fR "
       "[\\fIOPTION\\fR]...\n.br\n.B clickagg \\-\\-version\n";
  m += ".SH DESCRIPTION\nClicks arrive through Kafka or files; an engine counts them per ad, minute and filter "
       "under event-time windows with a watermark, deduplicates them, corrects closed windows for late clicks "
       "and selects the top\\-N ads every minute. Results go to a sink that keeps them in SQLite or PostgreSQL "
       "behind a query API.\n";
  m += ".SH CONFIGURATION\n" + roff(std::string(kPrecedence)) + "\n";
  m += ".SH COMMANDS\n";
  for (const CommandInfo& c : commands()) {
    m += ".SS " + roff(std::string(c.name)) + "\n" + roff(std::string(c.summary)) + ".\n";
    for (const Setting& s : settings()) {
      if (!(s.commands & c.id)) continue;
      m += ".TP\n.B \\-\\-" + roff(s.name);
      if (s.type != SettingType::Flag) m += " \\fI" + roff(std::string(type_name(s.type))) + "\\fR";
      m += "\n" + roff(s.help) + ".";
      if (s.required) m += " Required.";
      if (!s.default_text.empty()) m += " Default: " + roff(s.default_text) + ".";
      const std::string range = range_text(s);
      if (!range.empty() && (s.min || s.max || !s.choices.empty()))
        m += " Accepted: " + roff(range + (s.unit.empty() ? "" : " " + s.unit)) + ".";
      if (s.from_env) m += " Environment: " + roff(env_name(s.name)) + ".";
      m += "\n";
    }
  }
  m += ".SH ENVIRONMENT\nEvery option NAME of a command can be set as \\fBCLICKAGG_NAME\\fR (upper case, "
       "\\(lq_\\(rq for \\(lq\\-\\(rq); \\fBCLICKAGG_LOG_FORMAT\\fR=json writes diagnostics as JSON lines.\n";
  m += ".SH EXIT STATUS\n.TP\n0\nSuccess.\n.TP\n1\nRuntime failure: a port in use, no usable GPU, no broker "
       "answering, a database error; reconcile also when groups differ.\n.TP\n2\nBad usage or unreadable input.\n";
  m += ".SH SEE ALSO\nThe configuration reference, docs/configuration.md, written from the same table.\n";
  return m;
}

}  // namespace clickagg::cli
