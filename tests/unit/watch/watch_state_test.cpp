// The watch state file: what is saved comes back unchanged, damaged or foreign files are
// refused with a reason, and a save replaces the file whole (a crash mid-save leaves the
// previous state).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "host/io/durable_file.h"
#include "host/watch/watch_state.h"
#include "tests/unit/watch/watch_test_files.h"

namespace clickagg::watch {
namespace {

using namespace testing;

WatchState random_state(std::mt19937_64& rng) {
  WatchState s;
  s.dead_letter_bytes = rng();
  const int n = static_cast<int>(rng() % 5);
  for (int i = 0; i < n; ++i) {
    FileState f;
    f.path = "/var/log/app " + std::to_string(rng() % 100) + "/\"quoted\"\\name.log";
    f.id = FileId{rng(), rng()};
    f.offset = rng();
    f.fingerprint.len = static_cast<uint32_t>(rng() % (kFingerprintBytes + 1));
    f.fingerprint.hash = Hash128{rng(), rng()};
    f.skipping = rng() % 2 == 0;
    s.files.push_back(f);
  }
  return s;
}

TEST(WatchState, RoundTripsEveryField) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200; ++i) {
    const WatchState s = random_state(rng);
    ASSERT_EQ(decode_state(encode_state(s)), s) << encode_state(s);
  }
}

TEST(WatchState, ReadsTheDocumentedFormat) {
  const WatchState s = decode_state(R"({"version":1,"dead_letter_bytes":57,"files":[
      {"path":"logs/a.log","dev":65024,"ino":2146561,"offset":96253,"fingerprint_len":1024,
       "fingerprint":"935dddba8e0436425010f81066e4658d","skipping":false}]})");
  EXPECT_EQ(s.dead_letter_bytes, 57u);
  ASSERT_EQ(s.files.size(), 1u);
  EXPECT_EQ(s.files[0].path, "logs/a.log");
  EXPECT_EQ(s.files[0].id, (FileId{65024, 2146561}));
  EXPECT_EQ(s.files[0].offset, 96253u);
  EXPECT_EQ(s.files[0].fingerprint.len, 1024u);
  EXPECT_EQ(s.files[0].fingerprint.hash, (Hash128{0x5010f81066e4658dULL, 0x935dddba8e043642ULL}));
}

TEST(WatchState, RefusesDamagedText) {
  for (const char* bad : {"", "{", "[]", R"({"version":2,"dead_letter_bytes":0,"files":[]})",
                          R"({"version":1,"files":[]})",
                          R"({"version":1,"dead_letter_bytes":0,"files":[{"path":"a","dev":1,"ino":2,"offset":3,
                              "fingerprint_len":1025,"fingerprint":"00000000000000000000000000000000","skipping":false}]})",
                          R"({"version":1,"dead_letter_bytes":0,"files":[{"path":"a","dev":1,"ino":2,"offset":3,
                              "fingerprint_len":4,"fingerprint":"xyz","skipping":false}]})",
                          R"({"version":1,"dead_letter_bytes":-1,"files":[]})"}) {
    EXPECT_THROW(decode_state(bad), std::runtime_error) << bad;
  }
}

TEST(WatchState, MissingFileIsNoStateAndAnUnreadableOneIsAnError) {
  TempDir dir;
  WatchState s;
  EXPECT_FALSE(load_state(dir.file("none.json"), s));
  append(dir.file("bad.json"), "{\"version\":");
  try {
    load_state(dir.file("bad.json"), s);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
  }
}

TEST(WatchState, SaveReplacesTheFileWhole) {
  TempDir dir;
  const std::string p = dir.file("state.json");
  std::mt19937_64 rng(7);
  const WatchState first = random_state(rng);
  save_state(p, first);
  const uint64_t inode = inode_of(p);
  // A save that died before its rename leaves a temp file behind and the old state intact.
  append(p + ".tmp", "{\"version\":1,\"dead_");
  WatchState got;
  ASSERT_TRUE(load_state(p, got));
  EXPECT_EQ(got, first);
  WatchState second = random_state(rng);
  second.files.push_back(FileState{"x", FileId{1, 2}, 3, Fingerprint{}, false});
  save_state(p, second);
  ASSERT_TRUE(load_state(p, got));
  EXPECT_EQ(got, second);
  EXPECT_NE(inode_of(p), inode);  // a new file renamed over the old, never rewritten in place
  EXPECT_FALSE(std::filesystem::exists(p + ".tmp"));
}

}  // namespace
}  // namespace clickagg::watch
