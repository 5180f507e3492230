// Crash recovery of the archive writer: what the last commit covers survives, everything
// after it (torn tails, files created since, dead letters) is undone and redone once.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "host/archive/archive_layout.h"
#include "host/archive/archive_state.h"
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

ArchiveConfig config(const TempDir& dir) {
  ArchiveConfig c;
  c.dir = dir.path().string();
  c.topic = "clicks";
  return c;
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void append_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

std::string record(int i, int hour = 0) {
  char ts[32];
  std::snprintf(ts, sizeof ts, "2021-01-01 %02d:%02d:%02d", hour, i / 60 % 60, i % 60);
  return log_record("ad" + std::to_string(i), ts, "user " + std::to_string(i), "10.1.2.3", "NL");
}

TEST(ArchiveRecovery, TornTailAndUncommittedFilesAreUndone) {
  TempDir dir;
  const fs::path hour0 = dir.path() / "dt=2021-01-01/hour=00";
  const fs::path file0 = hour0 / data_file_name(0, 0);
  uint64_t committed_len = 0;
  {
    ArchiveWriter w(config(dir));
    for (int i = 0; i < 50; ++i) w.add(0, i, record(i));
    w.add(0, 50, "bad record");
    w.commit();
    committed_len = fs::file_size(file0);
    for (int i = 51; i < 80; ++i) w.add(0, i, record(i));
    w.add(0, 80, record(80, 2));  // a new file, never committed
    w.add(0, 81, "another bad one");
    // "Crash": the writer goes away without a commit, its buffered blocks reach the file.
  }
  append_bytes(file0, "\x02\x10garbage after a torn write");
  append_bytes(dead_letter_path(dir.path().string()), "partition 0 offset 8");
  ASSERT_GT(fs::file_size(file0), committed_len);
  ASSERT_TRUE(fs::exists(dir.path() / "dt=2021-01-01/hour=02" / data_file_name(0, 80)));

  // Readers see exactly the committed part meanwhile.
  std::vector<Row> rows = read_rows(dir.path().string());
  ASSERT_EQ(rows.size(), 50u);
  EXPECT_EQ(rows.back().offset, 49u);

  {
    ArchiveWriter w(config(dir));
    EXPECT_EQ(w.committed_offsets(), (std::map<uint32_t, int64_t>{{0, 51}}));
    EXPECT_EQ(fs::file_size(file0), committed_len);  // cut back and sealed
    EXPECT_FALSE(fs::exists(dir.path() / "dt=2021-01-01/hour=02" / data_file_name(0, 80)));
    EXPECT_EQ(slurp(dead_letter_path(dir.path().string())), "partition 0 offset 50: unknown format\n");
    for (int i = 51; i < 80; ++i) w.add(0, i, record(i));
    w.add(0, 80, record(80, 2));
    w.add(0, 81, "another bad one");
    w.commit();
  }
  rows = read_rows(dir.path().string());
  ASSERT_EQ(rows.size(), 80u);
  for (size_t i = 0; i < rows.size(); ++i) {  // offsets 0..49 and 51..80 (50 was bad)
    const size_t offset = i < 50 ? i : i + 1;
    EXPECT_EQ(rows[i].offset, offset);
    EXPECT_EQ(rows[i].user_id, "user " + std::to_string(offset));
  }
  // The sealed file stays as it was; the events after it went to a new file.
  EXPECT_TRUE(fs::exists(hour0 / data_file_name(0, 51)));
  EXPECT_EQ(fs::file_size(file0), committed_len);
  EXPECT_EQ(slurp(dead_letter_path(dir.path().string())),
            "partition 0 offset 50: unknown format\npartition 0 offset 81: unknown format\n");
}

TEST(ArchiveRecovery, SkipsRecordsAlreadyArchived) {
  TempDir dir;
  {
    ArchiveWriter w(config(dir));
    for (int i = 0; i < 10; ++i) w.add(0, i, record(i));
    w.commit();
    w.add(0, 5, record(5));  // redelivered
    w.add(0, 10, record(10));
    w.commit();
  }
  EXPECT_EQ(read_rows(dir.path().string()).size(), 11u);
}

TEST(ArchiveRecovery, EventsBeyondTheBoundOnEventTimeGoToTheDeadLetters) {
  TempDir dir;
  {
    ArchiveWriter w(config(dir));
    const EventTimeBound bound(kJan1, 60'000);  // processing time 00:00:00, at most 1 min ahead
    w.add(0, 0, record(60), bound);             // 00:01:00: on the bound
    w.add(0, 1, record(61), bound);             // 00:01:01
    w.add(0, 2, record(61));                    // no bound
    w.commit();
  }
  EXPECT_EQ(read_rows(dir.path().string()).size(), 2u);
  EXPECT_EQ(slurp(dead_letter_path(dir.path().string())),
            std::string("partition 0 offset 1: ") + kEventTimeAhead + "\n");
}

TEST(ArchiveRecovery, RefusesFilesWithoutStateAndOtherTopics) {
  TempDir dir;
  {
    ArchiveWriter w(config(dir));
    w.add(0, 0, record(0));
    w.commit();
  }
  ArchiveConfig other = config(dir);
  other.topic = "other";
  EXPECT_THROW(ArchiveWriter{other}, std::runtime_error);
  fs::remove(state_path(dir.path().string()));
  EXPECT_THROW(ArchiveWriter{config(dir)}, std::runtime_error);
  EXPECT_TRUE(fs::exists(dir.path() / "dt=2021-01-01/hour=00" / data_file_name(0, 0)));  // untouched
}

TEST(ArchiveRecovery, OneWriterPerDirectory) {
  TempDir dir;
  {
    ArchiveWriter w(config(dir));
    try {
      ArchiveWriter second(config(dir));
      FAIL() << "a second writer started";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("in use"), std::string::npos) << e.what();
    }
    w.add(0, 0, record(0));
    w.commit();
  }
  ArchiveWriter again(config(dir));  // free once the first is gone
  EXPECT_EQ(again.committed_offsets().at(0), 1);
}

TEST(ArchiveRecovery, CommittedDataMissingIsAnError) {
  TempDir dir;
  {
    ArchiveWriter w(config(dir));
    w.add(0, 0, record(0));
    w.commit();
    w.add(0, 1, record(1));
    w.commit();  // the file stays open, listed with its length
  }
  const fs::path f = dir.path() / "dt=2021-01-01/hour=00" / data_file_name(0, 0);
  fs::resize_file(f, fs::file_size(f) - 1);
  EXPECT_THROW(read_rows(dir.path().string()), std::runtime_error);
  EXPECT_THROW(ArchiveWriter{config(dir)}, std::runtime_error);
}

TEST(ArchiveRecovery, CorruptBlocksAreNamed) {
  TempDir dir;
  {
    ArchiveWriter w(config(dir));
    for (int i = 0; i < 20; ++i) w.add(0, i, record(i));
    w.commit();
  }
  { ArchiveWriter w(config(dir)); }  // seals the file: it is read whole from now on
  const fs::path f = dir.path() / "dt=2021-01-01/hour=00" / data_file_name(0, 0);
  std::string bytes = slurp(f);
  bytes[bytes.size() - 3] ^= 0x5a;  // inside the last sync marker
  std::ofstream(f, std::ios::binary | std::ios::trunc) << bytes;
  try {
    read_rows(dir.path().string());
    FAIL() << "no error for a bad sync marker";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(f.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("sync"), std::string::npos) << e.what();
  }
  bytes[bytes.size() - 3] ^= 0x5a;
  std::ofstream(f, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 20);
  try {
    read_rows(dir.path().string());
    FAIL() << "no error for a truncated file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated block"), std::string::npos) << e.what();
  }
  std::ofstream(f, std::ios::binary | std::ios::trunc) << "Obj";
  EXPECT_THROW(read_rows(dir.path().string()), std::runtime_error);
}

// Seeded random runs: records from three partitions (some bad, some late into earlier hours),
// commits and crashes at random points, torn garbage after crashes, a small size cap so files
// rotate between commits. Whatever happens, the archive ends up holding every good record once.
TEST(ArchiveRecovery, RandomCrashesLoseNothingAndDuplicateNothing) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    TempDir dir;
    ArchiveConfig c = config(dir);
    c.max_file_bytes = 3000;
    c.block_bytes = 700;
    c.max_open_files = 5;
    c.idle_commits = 2;

    constexpr int kPerPartition = 400;
    std::map<uint32_t, std::vector<std::string>> topic;
    std::set<std::pair<uint32_t, uint64_t>> good, bad;
    for (uint32_t p = 0; p < 3; ++p)
      for (int i = 0; i < kPerPartition; ++i) {
        if (rng() % 20 == 0) {
          topic[p].push_back("bad " + std::to_string(i));
          bad.emplace(p, static_cast<uint64_t>(i));
        } else {
          const int hour = std::min<int>(i / 80 + (rng() % 10 == 0 ? -static_cast<int>(rng() % 3) : 0), 23);
          topic[p].push_back(record(i, std::max(hour, 0)));
          good.emplace(p, static_cast<uint64_t>(i));
        }
      }

    int crashes = 0;
    for (int run = 0; run < 100; ++run) {
      ArchiveWriter w(c);
      std::map<uint32_t, int64_t> next = w.committed_offsets();
      bool done = true;
      for (uint32_t p = 0; p < 3; ++p) done = done && next[p] == kPerPartition;
      if (done) break;
      const int steps = 1 + static_cast<int>(rng() % 100);
      for (int s = 0; s < steps; ++s) {
        const uint32_t p = static_cast<uint32_t>(rng() % 3);
        if (next[p] < kPerPartition) {
          w.add(p, next[p], topic[p][static_cast<size_t>(next[p])]);
          ++next[p];
        }
        if (rng() % 60 == 0) w.commit();
      }
      if (rng() % 4 == 0) w.commit();  // a clean stop, else a crash
      else ++crashes;
      // Left-over bytes of a write the crash interrupted, in the files it could have been
      // writing: the dead letters and every data file not committed as whole.
      if (rng() % 2 == 0) {
        const ArchiveState st = *load_archive_state(c.dir);
        for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
          if (!e.is_regular_file() || rng() % 3 != 0) continue;
          const auto name = parse_data_file_name(e.path().filename().string());
          const std::string rel = fs::relative(e.path(), dir.path()).string();
          if (name ? st.committed_bytes(rel, *name) != UINT64_MAX : e.path() == dead_letter_path(c.dir))
            append_bytes(e.path(), std::string(1 + rng() % 40, '\x7f'));
        }
      }
    }
    EXPECT_GE(crashes, 10);

    std::multiset<std::pair<uint32_t, uint64_t>> got;
    for (const Row& r : read_rows(dir.path().string())) {
      got.emplace(r.partition, r.offset);
      EXPECT_EQ(r.user_id, "user " + std::to_string(r.offset));
    }
    EXPECT_EQ(got, (std::multiset<std::pair<uint32_t, uint64_t>>(good.begin(), good.end())));
    std::multiset<std::pair<uint32_t, uint64_t>> dead;
    std::istringstream dl(slurp(dead_letter_path(dir.path().string())));
    // Garbage appended after the last run's commit is not committed: compare the committed part.
    const auto state = load_archive_state(dir.path().string());
    ASSERT_TRUE(state);
    std::string committed = slurp(dead_letter_path(dir.path().string())).substr(0, state->dead_letter_bytes);
    std::istringstream lines(committed);
    for (std::string line; std::getline(lines, line);) {
      unsigned p = 0;
      unsigned long long o = 0;
      ASSERT_EQ(std::sscanf(line.c_str(), "partition %u offset %llu:", &p, &o), 2) << line;
      dead.emplace(p, o);
    }
    EXPECT_EQ(dead, (std::multiset<std::pair<uint32_t, uint64_t>>(bad.begin(), bad.end())));
  }
}

}  // namespace
}  // namespace clickagg::archive
