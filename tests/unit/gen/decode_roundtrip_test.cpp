// Generated records read back through the real splitter and decoders: well-formed records
// decode to exactly the generated event, corrupt ones are rejected for the intended reason.
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/gen/gen_test_util.h"

namespace clickagg::gen {
namespace {

struct Outcome {
  DecodeStatus status = nullptr;  // framing error or decode error; nullptr when accepted
  Event event;
};

std::vector<Outcome> decode_all(std::string_view buf, Format format, Arena& arena) {
  std::vector<Outcome> out;
  RecordSplitter splitter(buf, format);
  RecordRef ref;
  while (splitter.next(ref)) {
    Outcome o;
    o.status = ref.framing_error ? ref.framing_error : decode_record(format, ref.bytes, o.event, arena);
    out.push_back(o);
  }
  return out;
}

std::string expected_reason(Format format, MalformedKind kind) {
  switch (kind) {
    case MalformedKind::WrongFieldCount:
      return format == Format::Log ? "wrong field count"
             : format == Format::Json ? "missing field ip"
                                      : "bad record length";
    case MalformedKind::EmptyAdId: return "empty ad_id";
    case MalformedKind::BadTimestamp: return "bad timestamp";
    case MalformedKind::BadIp: return "bad ip";
    case MalformedKind::InvalidUtf8: return "invalid UTF-8";
    case MalformedKind::Oversized: return format == Format::Binary ? "bad record length" : "oversized record";
  }
  return "?";
}

void check_round_trip(Format format, Format read_as) {
  const GenConfig config = testing::disordered(30'000, 17);
  const auto records = testing::collect(config);
  const std::string buf = testing::render_all(config, format);
  Arena arena;
  const auto outcomes = decode_all(buf, read_as, arena);
  ASSERT_EQ(outcomes.size(), records.size());

  std::map<MalformedKind, int> seen;
  for (size_t i = 0; i < records.size(); ++i) {
    const GenEvent& r = records[i];
    const Outcome& o = outcomes[i];
    if (r.kind == RecordKind::Malformed) {
      ASSERT_NE(o.status, nullptr) << "record " << i << " (" << malformed_name(r.malformed) << ") accepted";
      EXPECT_EQ(std::string(o.status), expected_reason(format, r.malformed)) << "record " << i;
      ++seen[r.malformed];
      continue;
    }
    ASSERT_EQ(o.status, nullptr) << "record " << i << " rejected: " << o.status;
    EXPECT_EQ(o.event.ad_id, r.ad_id);
    EXPECT_EQ(o.event.user_id, r.user_id);
    EXPECT_EQ(o.event.click_id, r.click_id);
    EXPECT_EQ(o.event.t_ms, r.t_ms) << "record " << i;
    EXPECT_EQ(o.event.ip, r.ip) << r.ip_text;
    EXPECT_EQ(o.event.country.view(), r.country.view()) << r.country_raw;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMalformedKinds)) << "every corruption occurs";
}

TEST(DecodeRoundTrip, Log) { check_round_trip(Format::Log, Format::Log); }
TEST(DecodeRoundTrip, Json) { check_round_trip(Format::Json, Format::Json); }
TEST(DecodeRoundTrip, Binary) { check_round_trip(Format::Binary, Format::Binary); }
TEST(DecodeRoundTrip, AutoDetectsEveryFormat) {
  for (Format f : {Format::Log, Format::Json, Format::Binary}) {
    SCOPED_TRACE(format_name(f));
    check_round_trip(f, Format::Auto);
  }
}

// Many seeds of corrupt-only binary streams: no corrupt frame may read as two records.
TEST(DecodeRoundTrip, CorruptBinaryFramesNeverSplit) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    GenConfig c;
    c.seed = seed;
    c.count = 5'000;
    c.malformed = 1.0;
    c.start_ms = 1'420'000'000'000;  // timestamps whose bytes come close to "CK\x01"
    const std::string buf = testing::render_all(c, Format::Binary);
    Arena arena;
    const auto outcomes = decode_all(buf, Format::Binary, arena);
    ASSERT_EQ(outcomes.size(), c.count) << "seed " << seed;
    for (const auto& o : outcomes) ASSERT_NE(o.status, nullptr);
  }
}

}  // namespace
}  // namespace clickagg::gen
