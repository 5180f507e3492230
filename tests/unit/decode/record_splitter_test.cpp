#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "decode_test_util.h"
#include "host/common/country.h"
#include "host/decode/binary_format.h"
#include "host/decode/decode.h"

namespace clickagg {
namespace {

struct Rec {
  std::string bytes;
  uint64_t position;
  std::string error;
  bool operator==(const Rec&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Rec& r) {
  return os << "{" << r.bytes.size() << " bytes @" << r.position << " " << r.error << "}";
}

std::vector<Rec> split(std::string_view buf, Format f) {
  RecordSplitter sp(buf, f);
  std::vector<Rec> out;
  RecordRef r;
  while (sp.next(r))
    out.push_back({std::string(r.bytes), r.position, r.framing_error ? r.framing_error : ""});
  return out;
}

TEST(RecordSplitter, TextLines) {
  const std::string buf = "a\nb\r\n\n\r\nc c\r\r\n\nlast";
  const std::vector<Rec> want = {{"a", 1, ""}, {"b", 2, ""}, {"c c\r", 5, ""}, {"last", 7, ""}};
  EXPECT_EQ(split(buf, Format::Log), want);
  EXPECT_EQ(split(buf, Format::Json), want);
  EXPECT_EQ(split(buf, Format::Auto), want);
  EXPECT_EQ(split(buf + "\n", Format::Log), want);
}

TEST(RecordSplitter, EmptyInputs) {
  EXPECT_TRUE(split("", Format::Log).empty());
  EXPECT_TRUE(split("", Format::Binary).empty());
  EXPECT_TRUE(split("", Format::Auto).empty());
  EXPECT_TRUE(split("\n\n\r\n", Format::Log).empty());
  EXPECT_TRUE(split("\r", Format::Json).empty());
}

TEST(RecordSplitter, ByteOrderMarkIsSkipped) {
  const std::vector<Rec> want = {{"x", 1, ""}, {"y", 2, ""}};
  EXPECT_EQ(split("\xEF\xBB\xBFx\ny", Format::Log), want);
  EXPECT_EQ(split("\xEF\xBB\xBFx\ny", Format::Auto), want);
}

TEST(RecordSplitter, PositionLabels) {
  EXPECT_EQ(RecordSplitter("", Format::Log).position_label(12), "line 12");
  EXPECT_EQ(RecordSplitter("", Format::Json).position_label(1), "line 1");
  EXPECT_EQ(RecordSplitter("", Format::Binary).position_label(4096), "byte 4096");
  EXPECT_EQ(RecordSplitter("CK\x01", Format::Auto).position_label(0), "byte 0");
  EXPECT_EQ(RecordSplitter("{}", Format::Auto).position_label(3), "line 3");
}

std::string record(const std::string& ad, const std::string& user) {
  Event ev;
  ev.ad_id = ad;
  ev.user_id = user;
  ev.t_ms = testing::kJan2021Ms;
  EXPECT_TRUE(parse_ip("1.2.3.4", ev.ip));
  EXPECT_TRUE(normalize_country("US", ev.country));
  std::string out;
  binfmt::encode(ev, out);
  return out;
}

TEST(RecordSplitter, BinaryFrames) {
  const std::string a = record("a", "u1"), b = record("bb", "user 2"), c = record("ccc", "u");
  const std::string buf = a + b + c;
  const std::vector<Rec> want = {{a, 0, ""}, {b, a.size(), ""}, {c, a.size() + b.size(), ""}};
  EXPECT_EQ(split(buf, Format::Binary), want);
  EXPECT_EQ(split(buf, Format::Auto), want);
  // Every frame decodes.
  RecordSplitter sp(buf, Format::Binary);
  RecordRef r;
  while (sp.next(r)) {
    Event ev;
    EXPECT_EQ(decode_binary(r.bytes, ev), nullptr);
  }
}

TEST(RecordSplitter, BinaryResyncsAfterGarbage) {
  const std::string a = record("a", "u1"), b = record("bb", "user 2");
  const std::string buf = a + "xyz" + b;
  const std::vector<Rec> want = {{a, 0, ""}, {"xyz", a.size(), "bad magic"}, {b, a.size() + 3, ""}};
  EXPECT_EQ(split(buf, Format::Binary), want);
}

TEST(RecordSplitter, BinaryLeadingGarbage) {
  const std::string a = record("a", "u1");
  const std::vector<Rec> want = {{"junk", 0, "bad magic"}, {a, 4, ""}};
  EXPECT_EQ(split("junk" + a, Format::Binary), want);
}

TEST(RecordSplitter, BinaryBadVersionAndLength) {
  const std::string a = record("a", "u1"), b = record("bb", "user 2"), c = record("ccc", "u");
  std::string bad_version = b;
  bad_version[2] = 2;
  std::vector<Rec> got = split(a + bad_version + c, Format::Binary);
  std::vector<Rec> want = {{a, 0, ""}, {bad_version, a.size(), "unsupported version"},
                           {c, a.size() + b.size(), ""}};
  EXPECT_EQ(got, want);

  std::string bad_len = b;
  bad_len[4] = static_cast<char>(bad_len[4] + 1);
  got = split(a + bad_len + c, Format::Binary);
  want = {{a, 0, ""}, {bad_len, a.size(), "bad record length"}, {c, a.size() + b.size(), ""}};
  EXPECT_EQ(got, want);

  std::string huge = b;
  huge[4] = static_cast<char>(0xFF);
  huge[5] = static_cast<char>(0xFF);
  got = split(a + huge + c, Format::Binary);
  want = {{a, 0, ""}, {huge, a.size(), "bad record length"}, {c, a.size() + b.size(), ""}};
  EXPECT_EQ(got, want);
}

TEST(RecordSplitter, BinaryTruncatedTail) {
  const std::string a = record("a", "u1"), b = record("bb", "user 2");
  const std::string cut = b.substr(0, 20), cut2 = b.substr(0, b.size() - 1);
  std::vector<Rec> want = {{a, 0, ""}, {cut, a.size(), "truncated record"}};
  EXPECT_EQ(split(a + cut, Format::Binary), want);
  want = {{a, 0, ""}, {cut2, a.size(), "truncated record"}};
  EXPECT_EQ(split(a + cut2, Format::Binary), want);
  want = {{a, 0, ""}, {"C", a.size(), "bad magic"}};
  EXPECT_EQ(split(a + "C", Format::Binary), want);
}

TEST(RecordSplitter, BinaryFalseSyncInsideGarbage) {
  const std::string a = record("a", "u1");
  const std::string garbage = std::string("zz") + "CK\x01" + "qq";
  const std::vector<Rec> want = {
      {"zz", 0, "bad magic"}, {"CK\x01qq", 2, "bad record length"}, {a, garbage.size(), ""}};
  EXPECT_EQ(split(garbage + a, Format::Binary), want);
}

TEST(RecordSplitter, AutoDecidesOnceFromTheFirstBytes) {
  // A text buffer whose later line starts like a binary frame stays text.
  const std::vector<Rec> want = {{"{}", 1, ""}, {"CK", 2, ""}};
  EXPECT_EQ(split("{}\nCK", Format::Auto), want);
}

}  // namespace
}  // namespace clickagg
