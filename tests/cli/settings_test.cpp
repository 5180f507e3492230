// Settings through the real binary: one value given by a flag, the environment, a config file
// and the built-in default, in that precedence, seen both in what the command does (the
// length of the top-N lists it writes) and in --print-config; config files refused for keys
// nobody takes; errors naming where a bad value came from; the checked-in reference and the
// man page being exactly what the binary prints from its settings table.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/cli/command_line_fixture.h"

namespace clickagg {
namespace {

class Settings : public CommandLine {
 protected:
  void SetUp() override {
    CommandLine::SetUp();
    // 40 ads over one minute: every top-N list has more than 3 ads, so its length is N.
    const Result r = clickagg({"gen", "--count", "3000", "--ads", "40", "--seed", "7", "--out", path("in.log")});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(path(name)) << text; }

  // The longest top-N list of `out`/topn.csv (its largest rank).
  int longest_list(const std::string& out) {
    std::istringstream in(read_file(path(out) + "/topn.csv"));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "minute,window,filter_id,rank,ad_id,count");
    int longest = 0;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      std::stringstream ls(line);
      for (std::string x; std::getline(ls, x, ',');) f.push_back(x);
      EXPECT_EQ(f.size(), 6u) << line;
      if (f.size() == 6) longest = std::max(longest, std::stoi(f[3]));
    }
    return longest;
  }
  // The value and source --print-config shows for `key` ("" when absent).
  static std::pair<std::string, std::string> shown(const std::string& printed, const std::string& key) {
    std::istringstream in(printed);
    for (std::string line; std::getline(in, line);) {
      if (!line.starts_with(key + " = ")) continue;
      const size_t hash = line.rfind("  # ");
      return {line.substr(key.size() + 3, hash - key.size() - 3), line.substr(hash + 4)};
    }
    return {};
  }
  std::string aggregate(const std::string& env, const std::string& flags, const std::string& out) {
    return env + " CLICKAGG aggregate --engine cpu --input " + quote(path("in.log")) + " --out " + quote(path(out)) +
           " " + flags;
  }
};

TEST_F(Settings, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  write("c.toml", "top = 3\n");
  const std::string file = "--config " + quote(path("c.toml"));
  Result r = shell(aggregate("", "", "default"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(longest_list("default"), 40);  // the default N (100) is longer than the 40 ads
  r = shell(aggregate("", file, "file"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(longest_list("file"), 3);
  r = shell(aggregate("CLICKAGG_TOP=2", file, "env"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(longest_list("env"), 2);
  r = shell(aggregate("CLICKAGG_TOP=2", file + " --top 1", "flag"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(longest_list("flag"), 1);

  // --print-config names each value's source, and the command does nothing else.
  r = shell(aggregate("CLICKAGG_TOP=2 CLICKAGG_DELAY=20s", file + " --print-config", "printed"));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(fs::exists(path("printed"))) << "--print-config must not run the command";
  EXPECT_EQ(shown(r.out, "top"), std::make_pair(std::string("2"), std::string("environment")));
  EXPECT_EQ(shown(r.out, "delay"), std::make_pair(std::string("\"20s\""), std::string("environment")));
  EXPECT_EQ(shown(r.out, "engine"), std::make_pair(std::string("\"cpu\""), std::string("flag")));
  EXPECT_EQ(shown(r.out, "allowed-lateness"), std::make_pair(std::string("\"10m\""), std::string("default")));
  write("d.toml", "top = 4\n");
  r = shell("CLICKAGG_CONFIG=" + quote(path("d.toml")) + " CLICKAGG aggregate --print-config");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(shown(r.out, "top"), std::make_pair(std::string("4"), std::string("file")));
}

TEST_F(Settings, SectionsListsFlagsAndRequiredSettingsFromEnvironmentOrFile) {
  // A [command] section wins over the top level; keys other commands take are left to them;
  // lists are arrays; flags are true or false; required settings may come from the file.
  const Result g = clickagg({"gen", "--count", "500", "--ads", "40", "--seed", "8", "--out", path("more.log")});
  ASSERT_EQ(g.status, 0) << g.err;
  write("c.toml", "top = 9\nglob = \"/var/log/*.log\"\nmember-id = \"for-the-aggregator\"\n\n[aggregate]\ntop = 5\n"
                  "progress = true\ninput = [\"" + path("in.log") + "\", \"" + path("more.log") + "\"]\nout = \"" +
                  path("fromfile") + "\"\n\n[serve]\nlisten = \"127.0.0.1:1\"\n");
  Result r = clickagg({"aggregate", "--engine", "cpu", "--config", path("c.toml")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(longest_list("fromfile"), 5);
  EXPECT_NE(r.err.find("aggregate: done: 3500 records"), std::string::npos) << r.err;  // progress = true, both inputs

  // The environment's list is comma-separated.
  r = shell("CLICKAGG_INPUT=" + quote(path("in.log") + "," + path("more.log")) + " CLICKAGG_OUT=" +
            quote(path("fromenv")) + " CLICKAGG aggregate --engine cpu --progress");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("aggregate: done: 3500 records"), std::string::npos) << r.err;

  // A flag given as false in the environment stays false; --print-config is never read from it.
  r = shell("CLICKAGG_PROGRESS=false CLICKAGG_PRINT_CONFIG=true CLICKAGG aggregate --engine cpu --input " +
            quote(path("in.log")) + " --out " + quote(path("quiet")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(path("quiet") + "/topn.csv"));
  EXPECT_EQ(r.err.find("done:"), std::string::npos) << r.err;
}

TEST_F(Settings, BadSettingsAreRefusedNamingWhereTheyCameFrom) {
  struct Case {
    std::string file, env, flags, fragment;
  };
  const std::vector<Case> cases{
      {"colour = \"blue\"\n", "", "", "unknown setting 'colour'"},
      {"[aggregate]\nglob = \"x\"\n", "", "", "aggregate takes no setting 'glob'"},
      {"[frobnicate]\ntop = 1\n", "", "", "[frobnicate] is not a command"},
      {"[aggregate]\ntop = 0\n", "", "", "top in " + path("c.toml") + ": --top: must be 1..100000 (got 0)"},
      {"config = \"other.toml\"\n", "", "", "config cannot be set in a config file"},
      {"", "CLICKAGG_TOP=many", "", "CLICKAGG_TOP=many: --top: 'many' is not a number"},
      {"", "CLICKAGG_DELAY=15", "", "CLICKAGG_DELAY=15: --delay: '15': a duration is a whole number"},
      {"", "CLICKAGG_ENGINE=tpu", "", "CLICKAGG_ENGINE=tpu: --engine: 'tpu' is not one of cpu | gpu"},
      {"", "", "--top 100001", "--top: must be 1..100000 (got 100001)"},
  };
  for (const Case& c : cases) {
    write("c.toml", c.file);
    const Result r = shell(c.env + " CLICKAGG aggregate --input " + quote(path("in.log")) + " --out " +
                           quote(path("o")) + " --config " + quote(path("c.toml")) + " " + c.flags);
    EXPECT_EQ(r.status, 2) << c.fragment;
    expect_one_error_line(r, c.fragment);
  }
  Result r = clickagg({"aggregate", "--input", path("in.log"), "--out", path("o"), "--config", path("missing.toml")});
  EXPECT_EQ(r.status, 2);
  expect_one_error_line(r, "cannot read config file " + path("missing.toml"));
  r = clickagg({"watch", "--brokers", "127.0.0.1:1", "--state", path("s")});
  EXPECT_EQ(r.status, 2);
  expect_one_error_line(r, "--glob is required (or CLICKAGG_GLOB, or glob in a --config file)");
  EXPECT_FALSE(fs::exists(path("o"))) << "a refused command must not start";
}

// Each command's --help lists the options its section of the reference lists, and the
// checked-in reference is what the binary prints: the table, the parser and the docs agree.
TEST_F(Settings, ReferenceIsCurrentAndMatchesEveryCommandsOptions) {
  Result r = clickagg({"reference", "--format", "markdown"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, read_file(fs::path(CLICKAGG_SOURCE_DIR) / "docs/configuration.md"))
      << "docs/configuration.md is stale: build/host/cli/clickagg reference > docs/configuration.md";
  std::map<std::string, std::set<std::string>> documented;
  std::string command;
  std::istringstream in(r.out);
  const std::regex option_cell(R"(^\| `--([a-z0-9-]+)`)");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("## clickagg ")) command = line.substr(12);
    std::smatch m;
    if (!command.empty() && std::regex_search(line, m, option_cell)) documented[command].insert(m[1]);
  }
  ASSERT_EQ(documented.size(), 11u);
  const std::regex help_option(R"(^\s+(?:-h,)?--([a-z0-9-]+))");
  for (const auto& [cmd, options] : documented) {
    r = clickagg({cmd, "--help"});
    ASSERT_EQ(r.status, 0) << cmd << ": " << r.err;
    std::set<std::string> listed;
    std::istringstream help(r.out);
    for (std::string line; std::getline(help, line);) {
      std::smatch m;
      if (std::regex_search(line, m, help_option) && m[1] != "help") listed.insert(m[1]);
    }
    EXPECT_EQ(listed, options) << cmd;
  }
}

TEST_F(Settings, ManPageRendersWithoutWarnings) {
  const Result r = shell("CLICKAGG reference --format man | groff -man -ww -z");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
  const Result page = clickagg({"reference", "--format", "man"});
  EXPECT_NE(page.out.find(".SS aggregator"), std::string::npos);
  EXPECT_NE(page.out.find("\\-\\-max\\-in\\-flight"), std::string::npos);
}

}  // namespace
}  // namespace clickagg
