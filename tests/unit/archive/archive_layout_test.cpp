#include "host/archive/archive_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "tests/unit/store/temp_dir.h"

namespace clickagg::archive {
namespace {

constexpr int64_t kJan1 = 1609459200000;  // 2021-01-01 00:00:00 UTC

TEST(ArchiveLayout, HourOfFloors) {
  EXPECT_EQ(hour_of(0), 0);
  EXPECT_EQ(hour_of(3'599'999), 0);
  EXPECT_EQ(hour_of(3'600'000), 1);
  EXPECT_EQ(hour_of(-1), -1);
  EXPECT_EQ(hour_of(-3'600'000), -1);
  EXPECT_EQ(hour_of(-3'600'001), -2);
}

TEST(ArchiveLayout, HourDirectoryNames) {
  EXPECT_EQ(hour_dir_name(hour_of(kJan1)), "dt=2021-01-01/hour=00");
  EXPECT_EQ(hour_dir_name(hour_of(kJan1 + 7 * kMsPerHour + 59 * 60'000)), "dt=2021-01-01/hour=07");
  EXPECT_EQ(hour_dir_name(hour_of(kJan1 - 1)), "dt=2020-12-31/hour=23");
  EXPECT_EQ(hour_dir_name(-1), "dt=1969-12-31/hour=23");
  EXPECT_EQ(hour_dir_name(hour_of(951782400000)), "dt=2000-02-29/hour=00");  // leap day
}

TEST(ArchiveLayout, FileNamesRoundTrip) {
  EXPECT_EQ(data_file_name(3, 12345), "part-00003-00000000000000012345.avro");
  const auto n = parse_data_file_name("part-00003-00000000000000012345.avro");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->partition, 3u);
  EXPECT_EQ(n->first_offset, 12345u);
  const auto big = parse_data_file_name(data_file_name(99999, UINT64_MAX));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->first_offset, UINT64_MAX);
  for (const char* bad : {"part-3-12345.avro", "part-00003-0000000000000001234x.avro",
                          "part-00003-00000000000000012345.avro.tmp", "part-00003_00000000000000012345.avro",
                          "_archive_state.json", "part-00003-00000000000000012345.avr"})
    EXPECT_FALSE(parse_data_file_name(bad)) << bad;
}

TEST(ArchiveLayout, NameOrderIsPartitionThenOffsetOrder) {
  std::mt19937_64 rng(5);
  std::vector<std::pair<uint32_t, uint64_t>> keys;
  for (int i = 0; i < 500; ++i) keys.emplace_back(rng() % 300, rng() >> (rng() % 64));
  std::vector<std::string> names;
  for (const auto& [p, o] : keys) names.push_back(data_file_name(p, o));
  std::sort(keys.begin(), keys.end());
  std::sort(names.begin(), names.end());
  for (size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(names[i], data_file_name(keys[i].first, keys[i].second));
}

TEST(ArchiveLayout, ListsOnlyHourDirectoriesInRange) {
  testing::TempDir dir;
  const int64_t h0 = hour_of(kJan1);
  for (int64_t h : {h0 - 1, h0, h0 + 1, h0 + 25}) std::filesystem::create_directories(dir.path() / hour_dir_name(h));
  for (const char* junk : {"dt=2021-01-01/hour=24", "dt=2021-02-30/hour=01", "dt=2021-01-01/hours=02", "other/hour=01"})
    std::filesystem::create_directories(dir.path() / junk);
  const auto all = list_hour_dirs(dir.path().string(), INT64_MIN, INT64_MAX);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].hour, h0 - 1);
  EXPECT_EQ(all[0].rel_path, "dt=2020-12-31/hour=23");
  EXPECT_EQ(all[3].hour, h0 + 25);
  const auto some = list_hour_dirs(dir.path().string(), h0, h0 + 1);
  ASSERT_EQ(some.size(), 2u);
  EXPECT_EQ(some[0].rel_path, "dt=2021-01-01/hour=00");
  EXPECT_EQ(some[1].rel_path, "dt=2021-01-01/hour=01");
  EXPECT_TRUE(list_hour_dirs(dir.path().string(), h0 + 2, h0 + 24).empty());
}

TEST(ArchiveLayout, ListsDataFilesSorted) {
  testing::TempDir dir;
  for (const std::string& n : {data_file_name(1, 20), data_file_name(0, 100), data_file_name(1, 3), std::string("x.avro"),
                              data_file_name(0, 5) + ".tmp"})
    std::ofstream(dir.file(n)) << "x";
  const auto files = list_data_files(dir.path().string());
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0], data_file_name(0, 100));
  EXPECT_EQ(files[1], data_file_name(1, 3));
  EXPECT_EQ(files[2], data_file_name(1, 20));
}

}  // namespace
}  // namespace clickagg::archive
