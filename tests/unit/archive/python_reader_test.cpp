// The archive read back by Apache Avro's own Python implementation (Debian's python3-avro,
// through tests/integration/archive/avro_dump.py): the files are standard Avro, for every
// codec, and the state file means to it what it means to the C++ reader.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "host/archive/archive_writer.h"
#include "tests/unit/archive/archive_test_util.h"

namespace clickagg::archive {
namespace {

using testing::log_record;
using testing::read_rows;
using testing::Row;
using testing::TempDir;

// Debian's python3-avro is installed for Debian's interpreter, whatever else is on PATH.
constexpr const char* kPython = "/usr/bin/python3";

std::vector<Row> python_rows(const std::string& dir) {
  const std::string cmd = std::string(kPython) + " " CLICKAGG_SOURCE_DIR "/tests/integration/archive/avro_dump.py " + dir;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  if (::pclose(p) != 0) throw std::runtime_error("failed: " + cmd);
  std::vector<Row> rows;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const auto j = nlohmann::json::parse(line);
    rows.push_back(Row{j.at("kafka_partition").get<uint32_t>(), j.at("kafka_offset").get<uint64_t>(),
                       j.at("ad_id").get<std::string>(), j.at("event_time_ms").get<int64_t>(),
                       j.at("user_id").get<std::string>(), j.at("ip").get<std::string>(),
                       j.at("country").get<std::string>(),
                       j.at("click_id").is_null() ? std::string() : j.at("click_id").get<std::string>()});
  }
  return rows;
}

TEST(PythonAvroReader, ReadsWhatTheArchiveCommitted) {
  for (const char* codec : {"deflate", "snappy", "null"}) {
    SCOPED_TRACE(codec);
    TempDir dir;
    ArchiveConfig c;
    c.dir = dir.path().string();
    c.topic = "clicks";
    c.codec = codec;
    c.max_file_bytes = 2048;
    {
      ArchiveWriter w(c);
      for (int i = 0; i < 200; ++i) {
        const std::string ts = "2021-03-0" + std::to_string(1 + i % 3) + " 1" + std::to_string(i % 10) + ":00:00.25" +
                               std::to_string(i % 10);
        const std::string ip = i % 2 ? "2001:db8::" + std::to_string(i) : "198.51.100." + std::to_string(i);
        w.add(static_cast<uint32_t>(i % 2), 1000 + i / 2,
              log_record("ad-" + std::to_string(i % 7), ts, "üser " + std::to_string(i), ip, i % 3 ? "deu" : "ZZZ",
                         i % 4 ? "" : "click " + std::to_string(i)));
      }
      w.commit();
      // Never committed: the Python reader must leave these out too.
      for (int i = 0; i < 20; ++i)
        w.add(0, 2000 + i, log_record("late", "2021-03-01 10:00:00", "u", "1.1.1.1", "US"));
    }
    const std::vector<Row> cpp = read_rows(c.dir);
    ASSERT_EQ(cpp.size(), 200u);
    std::vector<Row> py = python_rows(c.dir);
    std::sort(py.begin(), py.end());
    std::vector<Row> sorted = cpp;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(py, sorted);
    EXPECT_EQ(sorted[0].country, "ZZZ");  // i = 0: unknown, kept
    EXPECT_EQ(sorted[1].country, "DE");   // i = 2: "deu" normalised
  }
}

}  // namespace
}  // namespace clickagg::archive
