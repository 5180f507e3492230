// `clickagg aggregate` run as a real process: the case files' inputs against their
// hand-computed expectations, random streams in every input format against the reference
// model's rendering of counts.csv and topn.csv (byte for byte), summary.json, rejects.txt and
// the usage errors (exit status 2 and a one-line message).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/decode/binary_format.h"
#include "host/decode/decode.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "tests/cases/case_file.h"
#include "tests/property/random_stream.h"
#include "tests/reference/reference_io.h"
#include "tests/reference/reference_model.h"
#include "tests/support/gpu_required.h"
#include "tests/support/source_dir.h"

extern char** environ;

namespace clickagg {
namespace {

namespace fs = std::filesystem;
using cases::CaseFile;

struct ProcessResult {
  int status = -1;  // exit status, or -1 when it did not exit normally
  std::string out;
  std::string err;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// A fresh directory per call, removed by the fixture.
class TempDirs {
 public:
  ~TempDirs() {
    std::error_code ec;
    for (const auto& d : dirs_) fs::remove_all(d, ec);
  }
  fs::path make() {
    static std::atomic<int> counter{0};
    fs::path d = fs::temp_directory_path() /
                 ("clickagg_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(d);
    fs::create_directories(d);
    dirs_.push_back(d);
    return d;
  }

 private:
  std::vector<fs::path> dirs_;
};

ProcessResult run_clickagg(const std::vector<std::string>& args, const fs::path& scratch) {
  std::vector<std::string> argv_s{CLICKAGG_EXE};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const fs::path out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  ProcessResult r;
  if (posix_spawn(&pid, CLICKAGG_EXE, &actions, nullptr, argv.data(), environ) == 0) {
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    if (WIFEXITED(wstatus)) r.status = WEXITSTATUS(wstatus);
  }
  posix_spawn_file_actions_destroy(&actions);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

std::string join_rows(const char* header, const std::vector<std::string>& rows) {
  std::string s = std::string(header) + "\n";
  for (const auto& r : rows) s += r + "\n";
  return s;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void expect_summary(const fs::path& dir, const std::map<std::string, uint64_t>& want) {
  const auto summary = nlohmann::json::parse(read_file(dir / "summary.json"));
  for (const auto& [k, v] : want) {
    ASSERT_TRUE(summary.contains(k)) << "summary.json lacks " << k;
    EXPECT_EQ(summary[k].get<uint64_t>(), v) << "summary.json " << k;
  }
  ASSERT_TRUE(summary.contains("engine"));
  EXPECT_TRUE(summary["engine"].is_string());
  const uint64_t parts = summary["rejected"].get<uint64_t>() + summary["duplicates"].get<uint64_t>() +
                         summary["dropped_late"].get<uint64_t>() + summary["counted"].get<uint64_t>();
  EXPECT_EQ(summary["events_total"].get<uint64_t>(), parts)
      << "events_total = rejected + duplicates + dropped_late + counted";
}

// Each rejects.txt line names its position (the line number as a whole number) and a reason;
// the input file's name, which may hold digits, is taken out first.
void expect_rejects(const fs::path& dir, const std::vector<uint64_t>& positions,
                    const fs::path& input) {
  const auto got = lines(read_file(dir / "rejects.txt"));
  ASSERT_EQ(got.size(), positions.size()) << read_file(dir / "rejects.txt");
  for (size_t i = 0; i < got.size(); ++i) {
    std::string line = got[i];
    for (const std::string& name : {input.string(), input.filename().string()}) {
      for (size_t at; (at = line.find(name)) != std::string::npos;) line.erase(at, name.size());
    }
    const std::regex pos("(^|[^0-9])" + std::to_string(positions[i]) + "([^0-9]|$)");
    EXPECT_TRUE(std::regex_search(line, pos)) << "'" << got[i] << "' should name position "
                                              << positions[i];
    const std::string rest = std::regex_replace(line, std::regex("[0-9]|line|byte|[:,\\s]"), "");
    EXPECT_FALSE(rest.empty()) << "'" << got[i] << "' gives no reason";
  }
}

std::vector<std::string> case_args(const CaseFile& c, const fs::path& dir) {
  std::vector<std::string> args{"aggregate", "--engine", "cpu", "--out", (dir / "out").string()};
  for (const char* key : {"delay", "allowed-lateness", "top", "topn-windows", "now", "max-future"}) {
    const auto it = c.config.find(key);
    if (it != c.config.end()) {
      args.push_back(std::string("--") + key);
      args.push_back(it->second);
    }
  }
  if (!c.filters_yaml.empty()) {
    write_file(dir / "filters.yaml", c.filters_yaml);
    args.insert(args.end(), {"--filters", (dir / "filters.yaml").string()});
  }
  return args;
}

// --- the case files --------------------------------------------------------------------

std::vector<CaseFile> single_stream_cases() {
  std::vector<CaseFile> out;
  for (auto& c : cases::load_cases(testing_support::source_dir() + "/tests/cases")) {
    if (c.single_partition()) out.push_back(std::move(c));  // batch input is one stream
  }
  return out;
}

class CaseFiles : public testing::TestWithParam<CaseFile> {
 protected:
  TempDirs tmp_;
};

TEST_P(CaseFiles, WriteTheHandComputedOutputs) {
  const CaseFile& c = GetParam();
  const fs::path dir = tmp_.make();
  const std::string format = c.config_or("format", "log");
  const fs::path input = dir / ("input." + format);
  write_file(input, c.input_text);
  // One engine call for everything, then one call per record: only emission timing changes.
  for (const char* batch : {"1048576", "1"}) {
    SCOPED_TRACE(std::string("--batch-size ") + batch);
    auto args = case_args(c, dir);
    args.insert(args.end(), {"--input", input.string(), "--format", format, "--batch-size", batch});
    const ProcessResult r = run_clickagg(args, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_file(dir / "out" / "counts.csv"), join_rows(cases::kCountsHeader, c.counts_rows));
    EXPECT_EQ(read_file(dir / "out" / "topn.csv"), join_rows(cases::kTopnHeader, c.topn_rows));
    expect_summary(dir / "out", c.summary);
    expect_rejects(dir / "out", c.reject_lines, input);
  }
}

// The accepted records in the binary format (read as binary and as auto) give the same counts
// and top-N; only the rejected records are missing from the summary.
TEST_P(CaseFiles, BinaryEncodingGivesTheSameOutputs) {
  const CaseFile& c = GetParam();
  const fs::path dir = tmp_.make();
  const auto format = parse_format(c.config_or("format", "log")).value();
  std::string bin;
  Arena arena;
  for (const auto& batch : c.batches) {
    for (const auto& rec : batch.records) {
      Event ev;
      // Every record the case expects to be accepted (a decodable one may still be rejected
      // for its time, by --max-future).
      const bool rejected = std::find(c.reject_lines.begin(), c.reject_lines.end(), rec.line) != c.reject_lines.end();
      if (!rejected && decode_record(format, rec.text, ev, arena) == nullptr) binfmt::encode(ev, bin);
    }
  }
  write_file(dir / "input.bin", bin);
  auto summary = c.summary;
  summary["events_total"] -= summary["rejected"];
  summary["rejected"] = 0;
  for (const char* fmt : {"binary", "auto"}) {
    SCOPED_TRACE(std::string("--format ") + fmt);
    auto args = case_args(c, dir);
    args.insert(args.end(), {"--input", (dir / "input.bin").string(), "--format", fmt});
    const ProcessResult r = run_clickagg(args, dir);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_file(dir / "out" / "counts.csv"), join_rows(cases::kCountsHeader, c.counts_rows));
    EXPECT_EQ(read_file(dir / "out" / "topn.csv"), join_rows(cases::kTopnHeader, c.topn_rows));
    expect_summary(dir / "out", summary);
    EXPECT_EQ(read_file(dir / "out" / "rejects.txt"), "");
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CaseFiles, testing::ValuesIn(single_stream_cases()),
                         [](const testing::TestParamInfo<CaseFile>& p) { return p.param.name; });

// --- random streams against the reference model ----------------------------------------

std::string timestamp_text(int64_t t_ms) {
  const std::string m = ref::format_minute(ref::minute_of(t_ms));  // yyyyMMddHHmm
  const int64_t in_minute = t_ms - ref::minute_of(t_ms) * 60'000;
  char sec[16];
  std::snprintf(sec, sizeof sec, "%02d.%03d", static_cast<int>(in_minute / 1000),
                static_cast<int>(in_minute % 1000));
  return m.substr(0, 4) + "-" + m.substr(4, 2) + "-" + m.substr(6, 2) + " " + m.substr(8, 2) + ":" +
         m.substr(10, 2) + ":" + sec;
}

std::string log_line(const proptest::StreamEvent& e) {
  const auto& c = e.canonical;
  std::string s = "[AdClickEvent] " + c.ad_id + ", " + timestamp_text(c.t_ms) + ", " + c.user_id +
                  ", " + e.ip_text + ", " + e.country_text;
  if (c.click_id) s += ", " + *c.click_id;
  return s;
}

std::string json_line(const proptest::StreamEvent& e, bool epoch) {
  const auto& c = e.canonical;
  nlohmann::ordered_json j{{"ad_id", c.ad_id}};
  if (epoch) j["click_timestamp"] = c.t_ms;
  else j["click_timestamp"] = timestamp_text(c.t_ms);
  j["user_id"] = c.user_id;
  j["ip"] = e.ip_text;
  j["country"] = e.country_text;
  if (c.click_id) j["click_id"] = *c.click_id;
  return j.dump();
}

std::string filters_yaml(const proptest::Scenario& s) {
  std::string y = "filters:\n";
  auto list = [](const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", \"" : "\"") + v[i] + "\"";
    return out + "]";
  };
  for (const auto& f : s.filters) {
    y += "  - id: " + std::to_string(f.id) + "\n";
    if (!f.countries.empty()) y += "    country: " + list(f.countries) + "\n";
    if (!f.blocks.empty()) y += "    ip: " + list(f.blocks) + "\n";
    if (!f.users.empty()) y += "    user_id: " + list(f.users) + "\n";
  }
  return y;
}

std::string join_windows(const std::vector<uint32_t>& w) {
  std::string s;
  for (size_t i = 0; i < w.size(); ++i) s += (i ? "," : "") + std::to_string(w[i]);
  return s;
}

class RandomStreams : public testing::Test {
 protected:
  TempDirs tmp_;
};

TEST_F(RandomStreams, EveryFormatMatchesTheReferenceByteForByte) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    proptest::Scenario s = proptest::make_scenario(
        seed, seed % 2 ? proptest::Shape::Mixed : proptest::Shape::DuplicateHeavy);
    s.partitions = 1;  // batch input is one stream
    for (auto& e : s.events) e.partition = e.canonical.partition = 0;
    const ref::RefResult r = ref::run_reference(s.ref_events(), s.ref_config());
    const std::string want_counts = ref::render_counts_csv(r);
    const std::string want_topn = ref::render_topn_csv(r);

    const fs::path dir = tmp_.make();
    const size_t half = s.events.size() / 2;
    std::string log_a, log_b, json, mixed;
    for (size_t i = 0; i < s.events.size(); ++i) {
      (i < half ? log_a : log_b) += log_line(s.events[i]) + "\n";
      json += json_line(s.events[i], i % 3 == 0) + "\n";
      mixed += (i % 2 ? json_line(s.events[i], false) : log_line(s.events[i])) + "\n";
    }
    write_file(dir / "a.log", log_a);
    write_file(dir / "b.log", log_b);
    write_file(dir / "all.json", json);
    write_file(dir / "mixed.txt", mixed);
    std::vector<std::string> common{"aggregate", "--engine", "cpu", "--out", (dir / "out").string(),
                                    "--delay", std::to_string(s.delay_ms) + "ms",
                                    "--allowed-lateness", std::to_string(s.lateness_ms) + "ms",
                                    "--top", std::to_string(s.top_n),
                                    "--topn-windows", join_windows(s.windows)};
    if (!s.filters.empty()) {
      write_file(dir / "filters.yaml", filters_yaml(s));
      common.insert(common.end(), {"--filters", (dir / "filters.yaml").string()});
    }
    const std::vector<std::vector<std::string>> inputs{
        {"--input", (dir / "a.log").string(), "--input", (dir / "b.log").string(), "--format", "log"},
        {"--input", (dir / "all.json").string(), "--format", "json"},
        {"--input", (dir / "mixed.txt").string(), "--format", "auto"}};
    for (const auto& in : inputs) {
      auto args = common;
      args.insert(args.end(), in.begin(), in.end());
      SCOPED_TRACE(s.describe() + ", " + in.back() + " input");
      const ProcessResult res = run_clickagg(args, dir);
      ASSERT_EQ(res.status, 0) << res.err;
      EXPECT_EQ(read_file(dir / "out" / "counts.csv"), want_counts);
      EXPECT_EQ(read_file(dir / "out" / "topn.csv"), want_topn);
      expect_summary(dir / "out", {{"events_total", r.stats.events_total},
                                   {"rejected", 0},
                                   {"duplicates", r.stats.duplicates},
                                   {"dropped_late", r.stats.dropped_late},
                                   {"counted", r.stats.counted},
                                   {"late_counted", r.stats.late_counted}});
      EXPECT_EQ(read_file(dir / "out" / "rejects.txt"), "");
    }
  }
}

// --- rejects and usage errors ------------------------------------------------------------

TEST_F(RandomStreams, OversizedRecordIsRejectedWithItsPosition) {
  const fs::path dir = tmp_.make();
  const std::string ok = "[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 1.2.3.4, US\n";
  const std::string huge = "[AdClickEvent] ad001, 2021-01-01 00:00:02, " + std::string(5000, 'u') +
                           ", 1.2.3.4, US\n";
  write_file(dir / "in.log", ok + huge + ok);
  const ProcessResult r = run_clickagg(
      {"aggregate", "--input", (dir / "in.log").string(), "--format", "log", "--engine", "cpu",
       "--out", (dir / "out").string()},
      dir);
  ASSERT_EQ(r.status, 0) << r.err;
  expect_summary(dir / "out", {{"events_total", 3}, {"rejected", 1}, {"duplicates", 1}, {"counted", 1}});
  expect_rejects(dir / "out", {2}, dir / "in.log");
  const auto summary = nlohmann::json::parse(read_file(dir / "out" / "summary.json"));
  EXPECT_NE(summary["engine"].get<std::string>().find("cpu"), std::string::npos) << summary.dump();
}

class UsageErrors : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.make();
    write_file(dir_ / "in.log", "[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 1.2.3.4, US\n");
  }
  // Exit status `want` (or any of `also`) and exactly one line on stderr.
  void expect_error(const std::vector<std::string>& args, std::vector<int> statuses = {2}) {
    const ProcessResult r = run_clickagg(args, dir_);
    EXPECT_NE(std::find(statuses.begin(), statuses.end(), r.status), statuses.end())
        << "exit status " << r.status << ", stderr: " << r.err;
    EXPECT_FALSE(r.err.empty());
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
  }
  std::string in() const { return (dir_ / "in.log").string(); }
  std::string out() const { return (dir_ / "out").string(); }

  TempDirs tmp_;
  fs::path dir_;
};

TEST_F(UsageErrors, UnreadableInput) {
  expect_error({"aggregate", "--input", (dir_ / "missing.log").string(), "--format", "log", "--out", out()});
  expect_error({"aggregate", "--input", dir_.string(), "--format", "log", "--out", out()});  // a directory
}

TEST_F(UsageErrors, UnknownFormat) {
  expect_error({"aggregate", "--input", in(), "--format", "xml", "--out", out()});
}

TEST_F(UsageErrors, BadDuration) {
  expect_error({"aggregate", "--input", in(), "--format", "log", "--delay", "15x", "--out", out()});
  expect_error({"aggregate", "--input", in(), "--format", "log", "--allowed-lateness=-1m", "--out", out()});
  expect_error({"aggregate", "--input", in(), "--format", "log", "--delay", "", "--out", out()});
}

TEST_F(UsageErrors, BadEventTimeBound) {
  expect_error({"aggregate", "--input", in(), "--format", "log", "--max-future", "soon", "--out", out()});
  expect_error({"aggregate", "--input", in(), "--format", "log", "--max-future=-5m", "--out", out()});
  expect_error({"aggregate", "--input", in(), "--format", "log", "--now", "yesterday", "--out", out()});
}

TEST_F(UsageErrors, MissingOut) {
  expect_error({"aggregate", "--input", in(), "--format", "log"});
}

TEST_F(UsageErrors, GpuEngineWithoutGpu) {
  std::string why;
  if (gpu_available(&why)) GTEST_SKIP() << "a GPU is present here";
  expect_error({"aggregate", "--input", in(), "--format", "log", "--engine", "gpu", "--out", out()}, {1});
}

// The device running out of memory is a runtime failure, not bad usage: exit status 1, one line
// that says so and names the way out. (The failure is injected at the first chunk.) Checked on
// the CUDA engine where a GPU is, and on the same code path of the portable build everywhere.
void expect_out_of_memory_exit(const char* engine, const std::string& input, const std::string& output,
                               const fs::path& dir) {
  ::setenv("CLICKAGG_GPU_FAIL_AT_CHUNK", "1", 1);
  const ProcessResult r =
      run_clickagg({"aggregate", "--input", input, "--format", "log", "--engine", engine, "--out", output}, dir);
  ::unsetenv("CLICKAGG_GPU_FAIL_AT_CHUNK");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("GPU out of memory"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--engine cpu"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(UsageErrors, GpuOutOfMemoryIsARuntimeFailure) {
  CLICKAGG_NEEDS_GPU();
  expect_out_of_memory_exit("gpu", in(), out(), dir_);
}

TEST_F(UsageErrors, GpuPortableOutOfMemoryIsARuntimeFailure) {
#if !defined(CLICKAGG_HAVE_GPU_PORTABLE)
  GTEST_SKIP() << "built without the portable GPU engine";
#endif
  expect_out_of_memory_exit("gpu-portable", in(), out(), dir_);
}

TEST_F(UsageErrors, SuccessWritesEveryFile) {
  const ProcessResult r = run_clickagg({"aggregate", "--input", in(), "--format", "log", "--out", out()}, dir_);
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* f : {"counts.csv", "topn.csv", "summary.json", "rejects.txt"}) {
    EXPECT_TRUE(fs::is_regular_file(dir_ / "out" / f)) << f;
  }
  EXPECT_EQ(read_file(dir_ / "out" / "counts.csv"), "ad_id,minute,filter_id,count\nad001,202101010000,0,1\n");
  EXPECT_EQ(read_file(dir_ / "out" / "topn.csv"),
            "minute,window,filter_id,rank,ad_id,count\n202101010000,1,0,1,ad001,1\n");
}

}  // namespace
}  // namespace clickagg
