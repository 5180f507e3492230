// Writer -> reader round trips against hand-written expectations: field values, hour
// partitioning, time ranges, rotation at the size cap, codecs, dead letters.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "host/archive/archive_layout.h"
#include "host/archive/archive_writer.h"
#include "tests/unit/archive/archive_test_util.h"

namespace clickagg::archive {
namespace {

using testing::log_record;
using testing::read_rows;
using testing::Row;
using testing::TempDir;
namespace fs = std::filesystem;

constexpr int64_t kJan1 = 1609459200000;  // 2021-01-01 00:00:00 UTC

ArchiveConfig config(const TempDir& dir, std::string codec = "deflate") {
  ArchiveConfig c;
  c.dir = dir.path().string();
  c.topic = "clicks";
  c.codec = std::move(codec);
  return c;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> data_files(const TempDir& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    if (e.is_regular_file() && parse_data_file_name(e.path().filename().string()))
      out.push_back(fs::relative(e.path(), dir.path()).string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ArchiveRoundTrip, FieldsComeBackNormalised) {
  TempDir dir;
  {
    ArchiveWriter w(config(dir));
    w.add(0, 0, log_record("ad001", "2021-01-01 00:00:01", "user 1", "207.148.22.22", "USA"));
    w.add(0, 1,
          R"({"ad_id":"ad002","click_timestamp":1609459202500,"user_id":"user \"two\"","ip":"2001:db8::1",)"
          R"("country":"gbr","click_id":"c-9"})");
    w.add(1, 7, log_record("ad003", "2021-01-01 00:59:59.999", "u3", "10.0.0.1", "de", "click-7"));
    w.add(0, 2, "garbage");
    w.add(1, 8, log_record("ad004", "2021-01-01 01:00:00", "u4", "not-an-ip", "DE"));
    w.commit();
  }
  const std::vector<Row> want = {
      {0, 0, "ad001", kJan1 + 1000, "user 1", "207.148.22.22", "US", ""},
      {0, 1, "ad002", kJan1 + 2500, "user \"two\"", "2001:db8::1", "GB", "c-9"},
      {1, 7, "ad003", kJan1 + 3'599'999, "u3", "10.0.0.1", "DE", "click-7"},
  };
  EXPECT_EQ(read_rows(dir.path().string()), want);  // one hour, files in name order
  EXPECT_EQ(data_files(dir), (std::vector<std::string>{"dt=2021-01-01/hour=00/" + data_file_name(0, 0),
                                                       "dt=2021-01-01/hour=00/" + data_file_name(1, 7)}));
  EXPECT_EQ(slurp(dead_letter_path(dir.path().string())),
            "partition 0 offset 2: unknown format\npartition 1 offset 8: bad ip\n");
  // Events keep their Kafka offset as their position.
  read_archive(dir.path().string(), INT64_MIN, INT64_MAX,
               [](const ArchivedEvent& e) { EXPECT_EQ(e.event.position, e.offset); });
}

TEST(ArchiveRoundTrip, PartitionsByEventHourAndReadsHalfOpenRanges) {
  TempDir dir;
  {
    ArchiveWriter w(config(dir));
    w.add(0, 10, log_record("a", "2021-01-01 00:59:59.999", "u", "1.2.3.4", "US"));
    w.add(0, 11, log_record("b", "2021-01-01 01:00:00", "u", "1.2.3.4", "US"));
    w.add(0, 12, log_record("c", "2021-01-01 03:30:00", "u", "1.2.3.4", "US"));
    w.add(0, 13, log_record("d", "2021-01-01 00:10:00", "u", "1.2.3.4", "US"));  // late: back to hour 0
    w.add(0, 14, log_record("e", "2020-12-31 23:00:00", "u", "1.2.3.4", "US"));  // the day before
    w.commit();
  }
  EXPECT_EQ(data_files(dir), (std::vector<std::string>{
                                 "dt=2020-12-31/hour=23/" + data_file_name(0, 14),
                                 "dt=2021-01-01/hour=00/" + data_file_name(0, 10),
                                 "dt=2021-01-01/hour=01/" + data_file_name(0, 11),
                                 "dt=2021-01-01/hour=03/" + data_file_name(0, 12),
                             }));
  auto ads = [&](int64_t from, int64_t to) {
    std::string s;
    for (const Row& r : read_rows(dir.path().string(), from, to)) s += r.ad_id;
    return s;
  };
  EXPECT_EQ(ads(INT64_MIN, INT64_MAX), "eadbc");  // hour by hour, file order within
  EXPECT_EQ(ads(kJan1, kJan1 + kMsPerHour), "ad");
  EXPECT_EQ(ads(kJan1 + 3'599'999, kJan1 + 3'600'001), "ab");
  EXPECT_EQ(ads(kJan1 + kMsPerHour, kJan1 + kMsPerHour), "");
  EXPECT_EQ(ads(kJan1 + 600'000, kJan1 + 600'001), "d");
  EXPECT_EQ(ads(kJan1 + 2 * kMsPerHour, kJan1 + 3 * kMsPerHour), "");

  // Only the hours a range can hold are read: a broken file elsewhere goes unnoticed...
  const std::string hour3 = (dir.path() / "dt=2021-01-01/hour=03" / data_file_name(0, 12)).string();
  fs::resize_file(hour3, fs::file_size(hour3) - 5);
  EXPECT_EQ(ads(kJan1, kJan1 + 2 * kMsPerHour), "adb");
  // ...and is named when it is read (it is still open: shorter than its committed length).
  try {
    read_rows(dir.path().string(), kJan1, kJan1 + 4 * kMsPerHour);
    FAIL() << "no error for a truncated file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(hour3), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("shorter"), std::string::npos) << e.what();
  }
}

TEST(ArchiveRoundTrip, RotatesAtTheSizeCap) {
  TempDir dir;
  ArchiveConfig c = config(dir, "null");  // uncompressed: sizes the test can predict
  c.max_file_bytes = 4096;
  c.block_bytes = 1024;
  std::vector<Row> want;
  {
    ArchiveWriter w(c);
    for (int i = 0; i < 400; ++i) {
      const std::string user = "user-" + std::to_string(i * 7919 % 1000);
      w.add(2, 100 + i, log_record("ad" + std::to_string(i % 13), "2021-01-01 05:00:00", user, "192.0.2.1", "FR"));
      want.push_back({2, static_cast<uint64_t>(100 + i), "ad" + std::to_string(i % 13), kJan1 + 5 * kMsPerHour, user,
                      "192.0.2.1", "FR", ""});
      if (i % 50 == 49) w.commit();
    }
    w.commit();
  }
  const auto files = data_files(dir);
  ASSERT_GE(files.size(), 3u);
  uint64_t prev_first = 0;
  for (const std::string& f : files) {
    const uint64_t size = fs::file_size(dir.path() / f);
    // A file closes once it reaches the cap: past it by at most one compressed block.
    EXPECT_LE(size, c.max_file_bytes + c.block_bytes) << f;
    const uint64_t first = parse_data_file_name(fs::path(f).filename().string())->first_offset;
    EXPECT_GT(first, prev_first);
    prev_first = first;
  }
  EXPECT_EQ(read_rows(dir.path().string()), want);  // offsets ascending across the files
}

TEST(ArchiveRoundTrip, EveryCodecReadsBack) {
  for (const char* codec : {"deflate", "snappy", "null"}) {
    TempDir dir;
    std::vector<Row> want;
    {
      ArchiveWriter w(config(dir, codec));
      for (int i = 0; i < 300; ++i) {
        w.add(0, i, log_record("ad" + std::to_string(i), "2021-01-01 00:00:00", "u", "::1", "XX", "k" + std::to_string(i)));
        want.push_back({0, static_cast<uint64_t>(i), "ad" + std::to_string(i), kJan1, "u", "::1", "XX",
                        "k" + std::to_string(i)});
      }
      w.commit();
    }
    const std::string bytes = slurp((dir.path() / "dt=2021-01-01/hour=00" / data_file_name(0, 0)).string());
    EXPECT_NE(bytes.find(std::string("avro.codec") + char(2 * std::string(codec).size()) + codec), std::string::npos)
        << codec;
    EXPECT_EQ(read_rows(dir.path().string()), want) << codec;
  }
  TempDir dir;
  EXPECT_THROW(ArchiveWriter(config(dir, "lzma")), std::invalid_argument);
}

TEST(ArchiveRoundTrip, ReadsWithoutStateFileAsWholeFiles) {
  TempDir dir, copy;
  {
    ArchiveWriter w(config(dir));
    w.add(0, 0, log_record("a", "2021-01-01 00:00:00", "u", "1.2.3.4", "US"));
    w.add(0, 1, log_record("b", "2021-01-01 02:00:00", "u", "1.2.3.4", "US"));
    w.commit();
  }
  fs::copy(dir.path() / "dt=2021-01-01", copy.path() / "dt=2021-01-01", fs::copy_options::recursive);
  EXPECT_EQ(read_rows(copy.path().string()), read_rows(dir.path().string()));
  EXPECT_EQ(read_rows(copy.path().string()).size(), 2u);
  EXPECT_THROW(read_rows((copy.path() / "missing").string()), std::runtime_error);
}

}  // namespace
}  // namespace clickagg::archive
