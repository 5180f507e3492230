#include "host/emit/envelope_codec.h"

#include <gtest/gtest.h>

#include "clickagg_results.pb.h"
#include "host/common/time_util.h"

namespace clickagg::emit {
namespace {

// 2021-01-01 00:00 UTC
constexpr int64_t kMinute = 26'824'320;

Envelope round_trip(const Envelope& in) {
  std::string err;
  std::optional<Envelope> out = decode(encode(in), &err);
  EXPECT_TRUE(out) << err;
  EXPECT_EQ(out->producer, in.producer);
  EXPECT_EQ(out->seq, in.seq);
  EXPECT_EQ(out->body.index(), in.body.index());
  return *out;
}

TEST(EnvelopeCodec, WindowRoundTrip) {
  WindowResult w = make_window(kMinute, {{"ad001", 0, 12}, {"ad002", 0, 3}, {"ad001", 65535, 1}}, true);
  Envelope out = round_trip(Envelope{"agg-1", 7, w});
  const auto& got = std::get<WindowResult>(out.body);
  EXPECT_EQ(got.minute, kMinute);
  EXPECT_TRUE(got.correction);
  EXPECT_EQ(named_rows(got), named_rows(w));
}

TEST(EnvelopeCodec, EmptyWindowRoundTrip) {
  Envelope out = round_trip(Envelope{"agg-1", 1, make_window(kMinute, {}, false)});
  EXPECT_TRUE(std::get<WindowResult>(out.body).rows.empty());
  EXPECT_FALSE(std::get<WindowResult>(out.body).correction);
}

TEST(EnvelopeCodec, TopNRoundTrip) {
  TopNList t = make_list(kMinute + 4, 5, 12, false, {{"ad009", 40}, {"ad001", 40}, {"ad\xc3\xa9", 2}});
  Envelope out = round_trip(Envelope{"agg-1", 8, t});
  const auto& got = std::get<TopNList>(out.body);
  EXPECT_EQ(got.minute, t.minute);
  EXPECT_EQ(got.window, 5u);
  EXPECT_EQ(got.filter_id, 12);
  EXPECT_FALSE(got.correction);
  EXPECT_EQ(named_entries(got), named_entries(t));
}

TEST(EnvelopeCodec, LateRoundTrip) {
  LateRecord r{3, 123'456'789'012ULL, "ad777", -5, 1'609'459'215'000};
  Envelope out = round_trip(Envelope{"agg-2", 9, r});
  const auto& got = std::get<LateRecord>(out.body);
  EXPECT_EQ(got.partition, 3u);
  EXPECT_EQ(got.position, r.position);
  EXPECT_EQ(got.ad_id, "ad777");
  EXPECT_EQ(got.t_ms, -5);
  EXPECT_EQ(got.watermark_ms, r.watermark_ms);
}

TEST(EnvelopeCodec, RejectRoundTripKeepsBinaryRecord) {
  const std::string record("bad\0\xff\xfe record", 14);
  Envelope out = round_trip(Envelope{"agg-1", UINT64_MAX, RejectRecord{11, 42, "bad timestamp", record}});
  const auto& got = std::get<RejectRecord>(out.body);
  EXPECT_EQ(got.partition, 11u);
  EXPECT_EQ(got.offset, 42u);
  EXPECT_EQ(got.reason, "bad timestamp");
  EXPECT_EQ(got.record, record);
}

TEST(EnvelopeCodec, ProgressRoundTrip) {
  ProgressRecord p{1'000'000'000'123ULL, 900, 17, 55, 3, 4, 120, 9, 2'500, 1'609'459'215'000};
  Envelope out = round_trip(Envelope{"agg-1", 10, p});
  EXPECT_EQ(std::get<ProgressRecord>(out.body), p);

  // Before the first event there is no watermark, and a source without lag reports none:
  // absent, not zero.
  ProgressRecord bare;
  bare.rejected = 2;
  bare.consumer_lag = 0;
  out = round_trip(Envelope{"agg-1", 11, bare});
  const auto& got = std::get<ProgressRecord>(out.body);
  EXPECT_EQ(got, bare);
  EXPECT_EQ(got.consumer_lag, 0);
  EXPECT_FALSE(got.watermark_ms);
}

TEST(EnvelopeCodec, ProgressWireFields) {
  // The numbers a subscriber in another language reads (docs/wire-format.md).
  ProgressRecord p{10, 8, 1, 2, 3, 4, 5, 6, std::nullopt, -15'000};
  clickagg::wire::v1::Envelope pb;
  ASSERT_TRUE(pb.ParseFromString(encode(Envelope{"agg-1", 12, p})));
  EXPECT_EQ(pb.body_case(), clickagg::wire::v1::Envelope::kProgress);
  const auto& w = pb.progress();
  EXPECT_EQ(w.events(), 10u);
  EXPECT_EQ(w.counted(), 8u);
  EXPECT_EQ(w.late_counted(), 1u);
  EXPECT_EQ(w.duplicates(), 2u);
  EXPECT_EQ(w.dropped_late(), 3u);
  EXPECT_EQ(w.rejected(), 4u);
  EXPECT_EQ(w.windows_closed(), 5u);
  EXPECT_EQ(w.corrections(), 6u);
  EXPECT_FALSE(w.has_consumer_lag());
  ASSERT_TRUE(w.has_watermark_ms());
  EXPECT_EQ(w.watermark_ms(), -15'000);
}

TEST(EnvelopeCodec, PartitionRoundTripsAndZeroIsNotAbsent) {
  WindowResult w = make_window(kMinute, {{"ad001", 0, 12}}, false);
  w.partition = 0;
  TopNList t = make_list(kMinute, 5, 2, true, {{"ad009", 40}});
  t.partition = 3;
  ProgressRecord p{10, 8, 1, 2, 3, 4, 5, 6, 9, 1'609'459'215'000};
  p.partition = 4'000'000'000u;
  const Envelope ew = round_trip(Envelope{"grp/clicks/0", 1, w});
  const Envelope et = round_trip(Envelope{"grp/clicks/3", 2, t});
  const auto& gw = std::get<WindowResult>(ew.body);
  EXPECT_EQ(gw.partition, std::optional<uint32_t>(0));
  EXPECT_EQ(named_rows(gw), named_rows(w));
  const auto& gt = std::get<TopNList>(et.body);
  EXPECT_EQ(gt.partition, std::optional<uint32_t>(3));
  EXPECT_EQ(named_entries(gt), named_entries(t));
  EXPECT_TRUE(gt.correction);
  EXPECT_EQ(std::get<ProgressRecord>(round_trip(Envelope{"grp/clicks/9", 3, p}).body), p);

  clickagg::wire::v1::Envelope pb;
  ASSERT_TRUE(pb.ParseFromString(encode(Envelope{"grp/clicks/0", 1, w})));
  ASSERT_TRUE(pb.window().has_partition()) << "partition 0 is present on the wire";
  EXPECT_EQ(pb.window().partition(), 0u);
  ASSERT_TRUE(pb.ParseFromString(encode(Envelope{"grp/clicks/3", 2, t})));
  EXPECT_EQ(pb.topn().partition(), 3u);
  ASSERT_TRUE(pb.ParseFromString(encode(Envelope{"grp/clicks/9", 3, p})));
  EXPECT_EQ(pb.progress().partition(), 4'000'000'000u);
}

TEST(EnvelopeCodec, ResultsOfEveryPartitionCarryNoPartition) {
  // Unset: absent from the wire (a field with presence is not serialized when absent), so the
  // bytes are those of a version-1 result from before the field.
  WindowResult w = make_window(kMinute, {{"ad001", 0, 12}}, true);
  TopNList t = make_list(kMinute, 1, 0, false, {{"ad001", 12}});
  ProgressRecord p{10, 8, 1, 2, 3, 4, 5, 6, std::nullopt, 5};
  for (const Body& body : {Body{w}, Body{t}, Body{p}}) {
    const std::string bytes = encode(Envelope{"agg-1", 4, body});
    clickagg::wire::v1::Envelope pb;
    ASSERT_TRUE(pb.ParseFromString(bytes));
    EXPECT_FALSE(pb.window().has_partition() || pb.topn().has_partition() || pb.progress().has_partition());
  }
  EXPECT_FALSE(std::get<WindowResult>(round_trip(Envelope{"agg-1", 1, w}).body).partition);
  EXPECT_FALSE(std::get<TopNList>(round_trip(Envelope{"agg-1", 2, t}).body).partition);
  EXPECT_FALSE(std::get<ProgressRecord>(round_trip(Envelope{"agg-1", 3, p}).body).partition);
}

TEST(EnvelopeCodec, WireCarriesVersionAndMinuteLabel) {
  const std::string bytes = encode(Envelope{"agg-1", 5, make_list(kMinute + 61, 1, 0, false, {})});
  clickagg::wire::v1::Envelope pb;
  ASSERT_TRUE(pb.ParseFromString(bytes));
  EXPECT_EQ(pb.version(), 1u);
  EXPECT_EQ(pb.producer(), "agg-1");
  EXPECT_EQ(pb.seq(), 5u);
  ASSERT_TRUE(pb.has_topn());
  EXPECT_EQ(pb.topn().minute_label(), 202101010101);
}

TEST(EnvelopeCodec, RejectsWhatIsNotAVersion1Envelope) {
  std::string err;
  EXPECT_FALSE(decode("\xff\xff\xff\xff garbage", &err));
  EXPECT_FALSE(err.empty());

  clickagg::wire::v1::Envelope pb;
  pb.set_version(1);
  pb.set_seq(1);
  EXPECT_FALSE(decode(pb.SerializeAsString(), &err)) << "no body";
  EXPECT_NE(err.find("body"), std::string::npos);

  pb.mutable_late()->set_ad_id("x");
  EXPECT_TRUE(decode(pb.SerializeAsString(), &err)) << err;
  pb.set_version(2);
  EXPECT_FALSE(decode(pb.SerializeAsString(), &err));
  EXPECT_NE(err.find("version"), std::string::npos);

  clickagg::wire::v1::Envelope big;
  big.set_version(1);
  big.mutable_topn()->set_filter_id(70000);
  EXPECT_FALSE(decode(big.SerializeAsString(), &err));
}

TEST(EnvelopeCodec, UnknownFieldsAreIgnored) {
  // A newer producer may add fields; a version-1 reader must still decode the rest.
  clickagg::wire::v1::Envelope pb;
  pb.set_version(1);
  pb.set_seq(3);
  pb.mutable_window()->set_minute(kMinute);
  std::string bytes = pb.SerializeAsString();
  bytes += std::string("\xa8\x06\x01", 3);  // field 101, varint 1
  std::optional<Envelope> out = decode(bytes);
  ASSERT_TRUE(out);
  EXPECT_EQ(std::get<WindowResult>(out->body).minute, kMinute);
}

TEST(Topics, NameEveryBodyType) {
  EXPECT_EQ(topic_of(make_window(kMinute, {}, false)), "counts.202101010000");
  EXPECT_EQ(topic_of(make_window(kMinute + 61, {}, true)), "counts.202101010101");
  EXPECT_EQ(topic_of(make_list(kMinute, 5, 12, false, {})), "topn.5.12");
  EXPECT_EQ(topic_of(make_list(kMinute, 1, 0, false, {})), "topn.1.0");
  EXPECT_EQ(topic_of(LateRecord{7, 1, "a", 0, 0}), "late.7");
  EXPECT_EQ(topic_of(RejectRecord{0, 1, "r", ""}), "reject.0");
  EXPECT_EQ(topic_of(ProgressRecord{}), "progress");
}

}  // namespace
}  // namespace clickagg::emit
