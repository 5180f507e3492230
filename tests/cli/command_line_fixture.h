// The real binary run as a user runs it: a command line (or a shell pipeline) in a scratch
// folder of its own, stdout and stderr captured, and the check that a failure is one log line.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace clickagg {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

struct Result {
  int status = -1;
  std::string out, err;
  double seconds = 0;
};

class CommandLine : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("clickagg-cmdline-" + std::to_string(::getpid()) + "-" +
                                        testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // `clickagg ARGS...` with stdout and stderr captured.
  Result clickagg(const std::vector<std::string>& args) {
    std::string cmd = quote(CLICKAGG_EXE);
    for (const auto& a : args) cmd += " " + quote(a);
    return shell(cmd);
  }
  // A shell command line (pipelines, environment); CLICKAGG stands for the binary.
  Result shell(std::string cmd) {
    // CLICKAGG alone, not the CLICKAGG_ of an environment variable.
    const std::string exe = quote(CLICKAGG_EXE);
    for (size_t at = 0; (at = cmd.find("CLICKAGG", at)) != std::string::npos;) {
      if (at + 8 < cmd.size() && cmd[at + 8] == '_') {
        at += 8;
        continue;
      }
      cmd.replace(at, 8, exe);
      at += exe.size();
    }
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const auto t0 = Clock::now();
    const int rc = std::system(("(" + cmd + ") >" + quote(out) + " 2>" + quote(err) + " </dev/null").c_str());
    Result r;
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

inline const std::regex kTextLine(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) [a-z-]+: .+$)");

inline void expect_one_error_line(const Result& r, const std::string& fragment) {
  EXPECT_NE(r.err.find(fragment), std::string::npos) << "stderr: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "stderr: " << r.err;
  EXPECT_TRUE(std::regex_search(r.err.substr(0, r.err.find('\n')), kTextLine)) << "stderr: " << r.err;
  EXPECT_NE(r.err.find(" ERROR "), std::string::npos) << r.err;
}

}  // namespace clickagg
