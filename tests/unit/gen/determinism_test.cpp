// The same configuration gives the same bytes however the stream is pulled.
#include <gtest/gtest.h>

#include "host/gen/event_set.h"
#include "tests/unit/gen/gen_test_util.h"

namespace clickagg::gen {
namespace {

using testing::disordered;
using testing::render_all;

constexpr Format kFormats[] = {Format::Log, Format::Json, Format::Binary};

TEST(Determinism, SameSeedSameBytesDifferentSeedDifferentBytes) {
  for (Format f : kFormats) {
    SCOPED_TRACE(format_name(f));
    const std::string a = render_all(disordered(20'000, 9), f);
    EXPECT_EQ(a, render_all(disordered(20'000, 9), f));
    EXPECT_NE(a, render_all(disordered(20'000, 10), f));
  }
}

TEST(Determinism, ChunkedEqualsOneShot) {
  for (Format f : kFormats) {
    SCOPED_TRACE(format_name(f));
    const GenConfig config = disordered(30'000, 3);
    const std::string whole = render_all(config, f);
    Generator g(config);
    Rng sizes(99);
    std::string chunked;
    while (!g.done()) write_records(g, f, 1 + sizes.below(2'000), chunked);
    EXPECT_EQ(whole, chunked);
  }
}

// A stream resumed at record k (after a restart) is the whole stream from record k on.
TEST(Determinism, SkippingResumesTheSameStream) {
  for (Format f : kFormats) {
    SCOPED_TRACE(format_name(f));
    const GenConfig config = disordered(12'000, 4);
    Generator whole(config);
    std::string head, tail;
    write_records(whole, f, 7'321, head);
    write_records(whole, f, 100'000, tail);
    Generator resumed(config);
    resumed.skip(7'321);
    EXPECT_EQ(resumed.produced(), 7'321u);
    std::string again;
    write_records(resumed, f, 100'000, again);
    EXPECT_EQ(again, tail);
    resumed.skip(5);
    EXPECT_EQ(resumed.produced(), 12'000u) << "skipping stops at the end";
  }
}

TEST(Determinism, PrefixOfALongerStreamIsTheShorterStream) {
  const std::string shorter = render_all(disordered(5'000), Format::Log);
  const std::string longer = render_all(disordered(8'000), Format::Log);
  EXPECT_EQ(longer.substr(0, shorter.size()), shorter);
}

TEST(Determinism, UnboundedStreamNeverFinishes) {
  GenConfig c = disordered(0);
  Generator g(c);
  std::string out;
  EXPECT_EQ(write_records(g, Format::Json, 10'000, out), 10'000u);
  EXPECT_FALSE(g.done());
}

TEST(EventSet, HoldsTheGeneratedEventsWithoutMalformedOnes) {
  const GenConfig config = disordered(20'000);
  const auto records = testing::collect(config);
  EventSet set = generate_event_set(config);
  EventSet moved = std::move(set);  // views must survive the move
  size_t j = 0;
  uint64_t malformed = 0;
  for (const GenEvent& r : records) {
    if (r.kind == RecordKind::Malformed) {
      ++malformed;
      continue;
    }
    ASSERT_LT(j, moved.events.size());
    const Event& e = moved.events[j];
    EXPECT_EQ(e.ad_id, r.ad_id);
    EXPECT_EQ(e.user_id, r.user_id);
    EXPECT_EQ(e.click_id, r.click_id);
    EXPECT_EQ(e.t_ms, r.t_ms);
    EXPECT_EQ(e.ip, r.ip);
    EXPECT_EQ(e.country, r.country);
    EXPECT_EQ(moved.kinds[j], r.kind);
    ++j;
  }
  EXPECT_EQ(j, moved.events.size());
  EXPECT_EQ(malformed, moved.malformed);
  EXPECT_GT(malformed, 0u);
}

}  // namespace
}  // namespace clickagg::gen
