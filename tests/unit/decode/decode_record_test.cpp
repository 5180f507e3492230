#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "decode_test_util.h"
#include "host/common/country.h"
#include "host/decode/binary_format.h"
#include "host/decode/decode.h"

namespace clickagg {
namespace {

using testing::reason;

const char* kLog = "[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 207.148.22.22, USA";
const char* kJson =
    R"({"ad_id":"ad001","click_timestamp":"2021-01-01 00:00:01","user_id":"user 1",)"
    R"("ip":"207.148.22.22","country":"USA"})";

std::string binary_record() {
  Event ev;
  ev.ad_id = "ad001";
  ev.user_id = "user 1";
  ev.t_ms = testing::kJan2021Ms + 1000;
  EXPECT_TRUE(parse_ip("207.148.22.22", ev.ip));
  EXPECT_TRUE(normalize_country("US", ev.country));
  std::string out;
  binfmt::encode(ev, out);
  return out;
}

TEST(DecodeRecord, AutoDispatchesOnTheFirstByte) {
  const testing::Expect want{"ad001", testing::kJan2021Ms + 1000, "user 1", "207.148.22.22", "US"};
  const std::string bin = binary_record();
  for (const std::string& rec :
       {std::string(kLog), std::string(kJson), "  \t" + std::string(kJson), bin}) {
    Event ev;
    Arena arena;
    ASSERT_EQ(reason(decode_record(Format::Auto, rec, ev, arena)), "<ok>") << rec;
    testing::expect_event(ev, want, rec);
  }
}

TEST(DecodeRecord, ExplicitFormats) {
  Event ev;
  Arena arena;
  EXPECT_EQ(decode_record(Format::Log, kLog, ev, arena), nullptr);
  EXPECT_EQ(decode_record(Format::Json, kJson, ev, arena), nullptr);
  EXPECT_EQ(decode_record(Format::Binary, binary_record(), ev, arena), nullptr);
  EXPECT_EQ(reason(decode_record(Format::Log, kJson, ev, arena)), "missing [AdClickEvent] tag");
  EXPECT_EQ(reason(decode_record(Format::Json, kLog, ev, arena)), "malformed JSON");
  EXPECT_EQ(reason(decode_record(Format::Binary, kLog, ev, arena)), "bad magic");
}

TEST(DecodeRecord, AutoRejects) {
  Event ev;
  Arena arena;
  for (const char* rec : {"", "x", " ", "C", "ad001,2021", " [AdClickEvent]"}) {
    EXPECT_EQ(reason(decode_record(Format::Auto, rec, ev, arena)), "unknown format") << rec;
  }
  EXPECT_EQ(reason(decode_record(Format::Auto, std::string(5000, 'x'), ev, arena)),
            "oversized record");
  EXPECT_EQ(reason(decode_record(Format::Auto, "[x", ev, arena)), "missing [AdClickEvent] tag");
  EXPECT_EQ(reason(decode_record(Format::Auto, "{", ev, arena)), "malformed JSON");
  EXPECT_EQ(reason(decode_record(Format::Auto, "CK", ev, arena)), "truncated record");
}

TEST(FormatNames, RoundTrip) {
  for (Format f : {Format::Log, Format::Json, Format::Binary, Format::Auto})
    EXPECT_EQ(parse_format(format_name(f)), f);
  EXPECT_EQ(format_name(Format::Log), "log");
  EXPECT_EQ(format_name(Format::Json), "json");
  EXPECT_EQ(format_name(Format::Binary), "binary");
  EXPECT_EQ(format_name(Format::Auto), "auto");
  for (const char* bad : {"", "LOG", "csv", "jsonl", "bin", " log"})
    EXPECT_FALSE(parse_format(bad).has_value()) << bad;
}

TEST(ArenaTest, ChunksNeverMove) {
  Arena arena;
  std::vector<std::pair<char*, size_t>> blocks;
  for (size_t i = 0; i < 5000; ++i) {
    const size_t n = 1 + (i * 37) % 300;
    char* p = arena.allocate(n);
    std::memset(p, static_cast<int>(i & 0x7F), n);
    blocks.push_back({p, n});
  }
  // A request larger than a chunk gets its own.
  char* big = arena.allocate(200'000);
  std::memset(big, 1, 200'000);
  for (size_t i = 0; i < blocks.size(); ++i)
    for (size_t k = 0; k < blocks[i].second; ++k)
      ASSERT_EQ(blocks[i].first[k], static_cast<char>(i & 0x7F));
  arena.reset();
  char* again = arena.allocate(10);
  std::memset(again, 2, 10);
}

}  // namespace
}  // namespace clickagg
