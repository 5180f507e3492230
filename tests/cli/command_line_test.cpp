// The command line as a user meets it, through the real binary: one exit-status table for every
// command (0 success, 1 runtime failure, 2 bad usage or unreadable input), errors that name
// their cause, --version, a mistyped command, durations read one way, log lines with a UTC
// timestamp and a level (or JSON), standard input for aggregate, and commands that talk to
// Kafka failing within --kafka-timeout when no broker answers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "tests/cli/command_line_fixture.h"

namespace clickagg {
namespace {


// A TCP port bound (and listened on) by this process for as long as it lives.
class BusyPort {
 public:
  BusyPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~BusyPort() { ::close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A loopback port nothing listens on: connections are refused, as by a host whose broker is down.
uint16_t dead_port() {
  BusyPort p;
  return p.port();  // closed again when `p` goes
}

TEST_F(CommandLine, VersionNamesReleaseCommitAndCuda) {
  const Result r = clickagg({"--version"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(^clickagg \d+\.\d+\.\d+ \(commit [0-9a-z.-]+, CUDA engine (built in|not built in)\)\n$)")))
      << r.out;
}

TEST_F(CommandLine, MistypedCommandIsNamedWithTheNearestOne) {
  Result r = clickagg({"agregate", "--input", "x"});
  EXPECT_EQ(r.status, 2);
  expect_one_error_line(r, "unknown command 'agregate'; did you mean 'aggregate'?");
  r = clickagg({"--log-format", "text", "sevre"});
  EXPECT_EQ(r.status, 2);
  expect_one_error_line(r, "did you mean 'serve'?");
  r = clickagg({"frobnicate"});
  EXPECT_EQ(r.status, 2);
  expect_one_error_line(r, "unknown command 'frobnicate'");
  EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << r.err;
  r = clickagg({});
  EXPECT_EQ(r.status, 2);
  expect_one_error_line(r, "a command is required");
  // Logged in the format asked for, although the command line was never parsed.
  r = clickagg({"--log-format", "json", "agregate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(nlohmann::json::parse(r.err)["level"], "error") << r.err;
}

TEST_F(CommandLine, DurationsNeedTheirUnitEverywhere) {
  // The same rule and the same message on every command: a bare number other than 0 is refused.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"run", "--duration", "15", "--db", path("x.db")},
        std::vector<std::string>{"run", "--delay", "15", "--db", path("x.db")},
        std::vector<std::string>{"aggregate", "--input", path("in.log"), "--out", path("out"), "--delay", "15"},
        std::vector<std::string>{"aggregator", "--batch-wait", "100"},
        std::vector<std::string>{"watch", "--glob", "x", "--brokers", "h:1", "--state", "s", "--poll-interval", "5"}}) {
    const Result r = clickagg(args);
    EXPECT_EQ(r.status, 2) << args[0] << ": " << r.err;
    expect_one_error_line(r, "a duration is a whole number with its unit");
  }
  EXPECT_FALSE(fs::exists(path("x.db")));
}

TEST_F(CommandLine, ZeroProgressIntervalIsAccepted) {
  const Result r = clickagg({"run", "--engine", "cpu", "--count", "2000", "--progress-interval", "0",
                             "--start", "2021-01-01T00:00:00Z", "--rate", "100000", "--db", path("run.db"),
                             "--state-dir", path("state"), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("events/s, last closed"), std::string::npos) << "a progress line with interval 0: " << r.err;
}

TEST_F(CommandLine, ServeRefusesADatabaseThatDoesNotExist) {
  Result r = clickagg({"serve", "--db", path("typo.db"), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(r.status, 2);
  expect_one_error_line(r, "typo.db does not exist");
  EXPECT_FALSE(fs::exists(path("typo.db"))) << "serve created the database it refused";
}

TEST_F(CommandLine, PortInUseIsARuntimeFailureWithItsReason) {
  const BusyPort busy;
  const std::string where = "127.0.0.1:" + std::to_string(busy.port());
  Result r = clickagg({"serve", "--db", path("new.db"), "--create", "--listen", where});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "cannot listen on " + where);
  EXPECT_NE(r.err.find("in use"), std::string::npos) << "no reason given: " << r.err;

  r = clickagg({"sink", "--listen", "tcp://" + where, "--db", path("sink.db")});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "cannot listen on tcp://" + where);
  EXPECT_NE(r.err.find("in use"), std::string::npos) << "no reason given: " << r.err;
}

TEST_F(CommandLine, NoUsableGpuIsARuntimeFailureOnEveryCommand) {
  std::string why;
  if (gpu_available(&why)) GTEST_SKIP() << "a GPU is present here";
  std::ofstream(path("in.log")) << "[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 1.2.3.4, US\n";
  Result r = clickagg({"aggregate", "--input", path("in.log"), "--out", path("out"), "--engine", "gpu"});
  EXPECT_EQ(r.status, 1);
  expect_one_error_line(r, "no usable GPU");
  r = clickagg({"run", "--engine", "gpu", "--db", path("run.db"), "--state-dir", path("state"), "--listen",
                "127.0.0.1:0", "--count", "10"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no usable GPU"), std::string::npos) << r.err;
}

// --kafka-option on every command that talks to Kafka, checked by librdkafka before anything
// starts: an unknown key or a bad value is bad usage that names it.
TEST_F(CommandLine, KafkaOptionsAreCheckedOnEveryKafkaCommand) {
  const std::string brokers = "127.0.0.1:" + std::to_string(dead_port());
  const std::vector<std::vector<std::string>> commands = {
      {"gen", "--count", "5", "--kafka", brokers},
      {"aggregator", "--brokers", brokers, "--state-dir", path("agg")},
      {"archive", "--brokers", brokers, "--topic", "t", "--dir", path("archive")},
      {"replay", "--source", "kafka", "--brokers", brokers, "--topic", "t", "--db", path("r.db"), "--from",
       "202101010000", "--to", "202101010100"},
      {"watch", "--glob", path("*.log"), "--brokers", brokers, "--state", path("w.state")}};
  for (const auto& command : commands) {
    for (const char* bad : {"no.such.setting=1", "socket.timeout.ms=soon", "novalue"}) {
      std::vector<std::string> args = command;
      args.insert(args.end(), {"--kafka-option", bad, "--kafka-timeout", "1s"});
      const Result r = clickagg(args);
      EXPECT_EQ(r.status, 2) << command[0] << " " << bad << ": " << r.err;
      expect_one_error_line(r, std::string(bad).substr(0, std::string(bad).find('=')));
    }
  }
}

// A stop signal ends a command still waiting for its first broker, however long the timeout.
TEST_F(CommandLine, StopWhileWaitingForABrokerEndsAtOnce) {
  const std::string brokers = "127.0.0.1:" + std::to_string(dead_port());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"archive", "--brokers", brokers, "--topic", "t", "--dir", path("a")},
        std::vector<std::string>{"watch", "--glob", path("*.log"), "--brokers", brokers, "--state", path("s")}}) {
    std::string cmd = "CLICKAGG";
    for (const auto& a : args) cmd += " " + quote(a);
    const Result r = shell(cmd + " --kafka-timeout 0 & p=$!; sleep 2; kill -TERM $p; wait $p");
    EXPECT_EQ(r.status, 0) << args[0] << " did not exit 0 on SIGTERM: " << r.err;
    EXPECT_LT(r.seconds, 6.0) << args[0];
  }
}

TEST_F(CommandLine, LogLinesCarryTimestampAndLevelOrAreJson) {
  Result r = clickagg({"serve", "--db", path("typo.db")});
  ASSERT_EQ(r.status, 2);
  EXPECT_TRUE(std::regex_search(r.err.substr(0, r.err.find('\n')), kTextLine)) << r.err;

  r = clickagg({"serve", "--db", path("typo.db"), "--log-format", "json"});
  ASSERT_EQ(r.status, 2);
  const auto line = nlohmann::json::parse(r.err);  // exactly one JSON document
  EXPECT_EQ(line["level"], "error");
  EXPECT_EQ(line["component"], "clickagg");
  EXPECT_NE(line["msg"].get<std::string>().find("does not exist"), std::string::npos);
  EXPECT_TRUE(std::regex_match(line["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << line.dump();

  // A long-running command's informational lines too, one JSON object per line.
  r = clickagg({"--log-format", "json", "run", "--engine", "cpu", "--count", "2000", "--progress-interval", "0",
                "--start", "2021-01-01T00:00:00Z", "--rate", "100000", "--db", path("run.db"), "--state-dir",
                path("state"), "--listen", "127.0.0.1:0"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::istringstream lines(r.err);
  int n = 0;
  for (std::string l; std::getline(lines, l); ++n) {
    const auto j = nlohmann::json::parse(l);
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("component") && j.contains("msg")) << l;
  }
  EXPECT_GE(n, 2) << r.err;
}

TEST_F(CommandLine, AggregateReadsStandardInputAndShowsProgress) {
  const std::string gen = "CLICKAGG gen --seed 3 --count 20000 --ads 40 --malformed 0.01";
  ASSERT_EQ(shell(gen + " --out " + quote(path("clicks.log"))).status, 0);
  const Result file = clickagg({"aggregate", "--input", path("clicks.log"), "--out", path("from-file"),
                                "--max-future", "off"});
  ASSERT_EQ(file.status, 0) << file.err;
  const Result piped = shell(gen + " --out - | CLICKAGG aggregate --input - --progress --max-future off --out " +
                             quote(path("from-stdin")));
  ASSERT_EQ(piped.status, 0) << piped.err;
  for (const char* f : {"counts.csv", "topn.csv", "late.csv"})
    EXPECT_EQ(read_file(dir_ / "from-stdin" / f), read_file(dir_ / "from-file" / f)) << f;
  // Rejects name standard input instead of a file, at the same lines.
  std::string from_file = read_file(dir_ / "from-file" / "rejects.txt");
  for (size_t at; (at = from_file.find(path("clicks.log"))) != std::string::npos;)
    from_file.replace(at, path("clicks.log").size(), "stdin");
  EXPECT_FALSE(from_file.empty());
  EXPECT_EQ(read_file(dir_ / "from-stdin" / "rejects.txt"), from_file);
  EXPECT_NE(piped.err.find("aggregate: done: 20000 records"), std::string::npos) << piped.err;
  // Without --progress and with stderr not a terminal: silent on success.
  EXPECT_TRUE(file.err.empty()) << file.err;

  const Result twice = clickagg({"aggregate", "--input", "-", "--input", "-", "--out", path("x")});
  EXPECT_EQ(twice.status, 2);
  expect_one_error_line(twice, "standard input (-) can be given once");
}

// Each command that talks to Kafka, against a port where no broker answers: exit 1 within the
// timeout (plus start-up and teardown), naming the cause.
TEST_F(CommandLine, KafkaCommandsFailWithinTheTimeoutWhenNoBrokerAnswers) {
  const std::string brokers = "127.0.0.1:" + std::to_string(dead_port());
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{"gen", "--count", "50", "--kafka", brokers, "--topic", "clicks"}, "no broker acknowledged"},
      {{"aggregator", "--brokers", brokers, "--topic", "clicks", "--state-dir", path("agg"), "--sink",
        "tcp://127.0.0.1:1"},
       "has answered for"},
      {{"archive", "--brokers", brokers, "--topic", "clicks", "--dir", path("archive")}, "answered within 3 s"},
      {{"replay", "--source", "kafka", "--brokers", brokers, "--topic", "clicks", "--db", path("replay.db"),
        "--from", "202101010000", "--to", "202101010100"},
       "kafka metadata"},
      {{"watch", "--glob", path("*.log"), "--brokers", brokers, "--state", path("watch.state")},
       "answered within"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    // A valid librdkafka setting is taken by every command (and changes nothing here).
    args.insert(args.end(), {"--kafka-timeout", "3s", "--kafka-option", "socket.keepalive.enable=true"});
    const Result r = clickagg(args);
    EXPECT_EQ(r.status, 1) << c.args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(c.says), std::string::npos) << c.args[0] << ": " << r.err;
    EXPECT_LT(r.seconds, 20.0) << c.args[0] << " took " << r.seconds << " s";
  }
}

}  // namespace
}  // namespace clickagg
