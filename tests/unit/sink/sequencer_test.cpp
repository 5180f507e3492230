#include "host/sink/sequencer.h"

#include <gtest/gtest.h>

namespace clickagg::sink {
namespace {

emit::Envelope late(const std::string& producer, uint64_t seq) {
  return emit::Envelope{producer, seq, LateRecord{0, seq, "ad", 0, 0}};
}

std::vector<uint64_t> positions(const store::ResultBatch& b) {
  std::vector<uint64_t> out;
  for (const auto& r : b.late) out.push_back(r.position);
  return out;
}

TEST(Sequencer, AppliesInSeqOrderFromTheStoredCommittedSeq) {
  int loads = 0;
  Sequencer s([&](const std::string& p) {
    ++loads;
    return p == "a" ? 10u : 0u;
  });
  for (uint64_t seq : {13, 11, 12, 9, 11}) s.add(late("a", seq));
  Round r = s.plan(0);
  EXPECT_EQ(positions(r.batch), (std::vector<uint64_t>{11, 12, 13}));
  EXPECT_EQ(r.applied, 3u);
  EXPECT_EQ(r.duplicates, 1u) << "seq 9 is below the committed 10; the second 11 is merged on arrival";
  EXPECT_EQ(r.committed.at("a"), 13u);
  EXPECT_EQ(r.batch.producer_seqs, (std::vector<std::pair<std::string, uint64_t>>{{"a", 13}}));
  EXPECT_EQ(s.committed("a"), 10u) << "not committed before commit()";
  s.commit(r);
  EXPECT_EQ(s.committed("a"), 13u);
  EXPECT_EQ(loads, 1) << "the store is asked once per producer";
}

TEST(Sequencer, AGapStopsThatProducerOnly) {
  Sequencer s([](const std::string&) { return 0u; });
  for (uint64_t seq : {1, 2, 4, 5}) s.add(late("a", seq));
  for (uint64_t seq : {1, 2, 3}) s.add(late("b", seq));
  Round r = s.plan(0);
  EXPECT_EQ(r.committed.at("a"), 2u);
  EXPECT_EQ(r.committed.at("b"), 3u);
  EXPECT_EQ(r.beyond_gap, 2u);
  EXPECT_EQ(r.applied, 5u);
  s.commit(r);
  // The producer resends from 3: the rest follows, what was committed is skipped.
  for (uint64_t seq : {2, 3, 4, 5}) s.add(late("a", seq));
  Round again = s.plan(0);
  EXPECT_EQ(positions(again.batch), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(again.duplicates, 1u);
}

TEST(Sequencer, OnlyDuplicatesCommitNothingButStillAnswer) {
  Sequencer s([](const std::string&) { return 7u; });
  s.add(late("a", 6));
  s.add(late("a", 7));
  Round r = s.plan(0);
  EXPECT_TRUE(r.batch.empty());
  EXPECT_EQ(r.committed.at("a"), 7u) << "the producer is acknowledged with where the sink stands";
  EXPECT_EQ(r.duplicates, 2u);
}

TEST(Sequencer, NewerResultsSupersedeOlderOnesInARound) {
  Sequencer s([](const std::string&) { return 0u; });
  s.add({"a", 1, make_window(5, {{"x", 0, 1}}, false)});
  s.add({"a", 2, make_list(5, 1, 0, false, {{"x", 1}})});
  s.add({"a", 3, make_window(5, {{"x", 0, 2}}, true)});
  s.add({"a", 4, make_window(6, {{"y", 0, 1}}, true)});
  s.add({"a", 5, emit::RejectRecord{2, 8, "bad", "raw"}});
  Round r = s.plan(100);
  ASSERT_EQ(r.batch.windows.size(), 2u);
  EXPECT_EQ(named_rows(r.batch.windows[0]), (std::vector<NamedRow>{{"x", 0, 2}}));
  EXPECT_FALSE(r.batch.windows[0].correction) << "the superseded original closed minute 5";
  EXPECT_TRUE(r.batch.windows[1].correction);
  ASSERT_EQ(r.batch.topn.size(), 1u);
  EXPECT_EQ(r.batch.top_n, 100u);
  ASSERT_EQ(r.batch.rejects.size(), 1u);
  EXPECT_EQ(r.batch.rejects[0].record, "raw");
  EXPECT_EQ(r.batch.rejects[0].offset, 8u);
}

}  // namespace
}  // namespace clickagg::sink
