// Snapshots written by earlier releases keep loading: a version-1 stream laid out byte by byte
// here from its documented layout (snapshot_format.h), not by the engine, is restored and the
// engine then goes on exactly as the saved state implies (counts continue, a fingerprint saved
// in it still makes its event a duplicate, the lifecycle and counters carry on).
#include <gtest/gtest.h>

#include <cstring>
#include <sstream>
#include <string>
#include <tuple>

#include "host/common/country.h"
#include "host/decode/dedup_key.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "tests/unit/engine/event_builder.h"

namespace clickagg {
namespace {

using testing_support::at;
using testing_support::EventBuilder;
using testing_support::minute_index;
using testing_support::RecordingSink;

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

EngineConfig us_filter_config() {
  EngineConfig c;
  FilterDef us;
  us.id = 12;
  Country code;
  normalize_country("US", code);
  us.countries.push_back(code);
  c.filters = FilterSet({us});
  c.threads = 2;
  return c;
}

TEST(SnapshotCompat, VersionOneStreamRestoresAndContinues) {
  EventBuilder b;
  // The event the saved state has counted once already (minute 0, US, no click id).
  const Event seen = b.make("ad1", at(0, 10), "user 1", "", 1, "US");
  const Hash128 fp = dedup_fingerprint(seen.ad_id.data(), 3, seen.t_ms, seen.user_id.data(), 6, seen.ip.bytes.data(),
                                       seen.country.code.data(), seen.country.len, nullptr, 0);
  const int64_t m0 = minute_index(0);

  std::string s;
  put<uint32_t>(s, 0x53454143);  // "CAES"
  put<uint32_t>(s, 1);           // version
  put<int64_t>(s, 15'000);       // delay
  put<int64_t>(s, 600'000);      // allowed lateness
  put<uint32_t>(s, 1);           // filters
  put<uint16_t>(s, 12);
  // Stats: events, duplicates, dropped_late, counted, late_counted, windows_closed,
  // corrections, watermark.
  for (uint64_t v : {4, 1, 0, 3, 0, 0, 0}) put<uint64_t>(s, v);
  put<int64_t>(s, at(0, 20) - 15'000);
  // Watermarks: global, one partition (id, largest event time, last active).
  put<int64_t>(s, at(0, 20) - 15'000);
  put<uint64_t>(s, 1);
  put<uint32_t>(s, 0);
  put<int64_t>(s, at(0, 20));
  put<int64_t>(s, 0);
  // Lifecycle: minute 0 open; first/last counted minute; no lists emitted yet.
  put<uint64_t>(s, 1);
  put<int64_t>(s, m0);
  put<uint8_t>(s, 0);
  put<int64_t>(s, m0);
  put<int64_t>(s, m0);
  put<int64_t>(s, 0);
  put<int64_t>(s, -1);
  put<uint8_t>(s, 0);
  // Counts of minute 0: ad1 3 clicks (2 of them from the US), ad2 none from the US.
  put<uint32_t>(s, 0x544e4f43);  // "CONT"
  put<uint64_t>(s, 1);
  put<int64_t>(s, m0);
  put<uint64_t>(s, 2);
  for (const auto& [ad, fid, count] : {std::tuple<std::string, uint16_t, uint64_t>{"ad1", 0, 3}, {"ad1", 12, 2}}) {
    put<uint32_t>(s, static_cast<uint32_t>(ad.size()));
    s += ad;
    put<uint16_t>(s, fid);
    put<uint64_t>(s, count);
  }
  // Dedup fingerprints of minute 0: the one event above.
  put<uint32_t>(s, 0x4e454553);  // "SEEN"
  put<uint64_t>(s, 1);
  put<int64_t>(s, m0);
  put<uint64_t>(s, 1);
  put<uint64_t>(s, fp.lo);
  put<uint64_t>(s, fp.hi);
  put<uint32_t>(s, 0x21444e45);  // "END!"

  for (EngineKind kind : {EngineKind::Cpu}) {
    auto engine = make_engine(kind, us_filter_config());
    std::istringstream in(s);
    engine->restore_state(in);
    EXPECT_EQ(engine->stats().counted, 3u);
    RecordingSink sink;
    const std::vector<Event> more = {seen, b.make("ad1", at(0, 30), "user 2", "", 2, "US"),
                                     b.make("ad2", at(0, 31), "user 3", "", 3, "DE")};
    engine->process(0, more, 1, sink);
    engine->finish(sink);
    const EngineStats st = engine->stats();
    EXPECT_EQ(st.events, 7u);
    EXPECT_EQ(st.duplicates, 2u) << "the saved fingerprint still marks its event";
    EXPECT_EQ(st.counted, 5u);
    EXPECT_EQ(sink.count("ad1", m0, 0), 4u);
    EXPECT_EQ(sink.count("ad1", m0, 12), 3u);
    EXPECT_EQ(sink.count("ad2", m0, 0), 1u);
    EXPECT_EQ(sink.count("ad2", m0, 12), 0u);
  }
}

TEST(SnapshotCompat, SavedStateIsVersionOneAndRoundTrips) {
  EventBuilder b;
  auto engine = make_cpu_engine(us_filter_config());
  RecordingSink sink;
  engine->process(0, std::vector<Event>{b.make("ad1", at(0, 10)), b.make("ad2", at(0, 11), "user 2", "c9")}, 0, sink);
  std::ostringstream out;
  engine->save_state(out);
  const std::string bytes = out.str();
  ASSERT_GE(bytes.size(), 8u);
  uint32_t magic = 0, version = 0;
  std::memcpy(&magic, bytes.data(), 4);
  std::memcpy(&version, bytes.data() + 4, 4);
  EXPECT_EQ(magic, 0x53454143u);
  EXPECT_EQ(version, 1u) << "the stream stays readable by earlier releases";
  auto again = make_cpu_engine(us_filter_config());
  std::istringstream in(bytes);
  again->restore_state(in);
  std::ostringstream out2;
  again->save_state(out2);
  EXPECT_EQ(out2.str().size(), bytes.size());
}

}  // namespace
}  // namespace clickagg
