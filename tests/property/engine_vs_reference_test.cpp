// Randomised streams (fixed seeds) through the real engines, judged by the reference model:
// final counts, final top-N lists, statistics, late records and the emission rules.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "tests/property/engine_harness.h"
#include "tests/property/random_stream.h"
#include "tests/reference/reference_model.h"
#include "tests/support/gpu_required.h"

namespace clickagg::proptest {
namespace {

constexpr uint64_t kSeeds = 50;
constexpr int kMaxReportedSeeds = 3;  // enough to start debugging, short enough to read

const char* shape_name(Shape s) {
  switch (s) {
    case Shape::Mixed: return "mixed";
    case Shape::DuplicateHeavy: return "duplicate-heavy";
    case Shape::LateJoining: return "late-joining";
  }
  return "?";
}

void check_against_reference(EngineKind kind, Shape shape, const std::vector<unsigned>& threads) {
  int failures = 0;
  for (uint64_t seed = 1; seed <= kSeeds && failures < kMaxReportedSeeds; ++seed) {
    const Scenario s = make_scenario(seed, shape);
    const ref::RefResult r = ref::run_reference(s.ref_events(), s.ref_config());
    for (unsigned t : threads) {
      const EngineRun run = run_engine(kind, t, s, Batching::Random, seed);
      const std::string diff = compare_with_reference(run, s, r);
      if (!diff.empty()) {
        ADD_FAILURE() << shape_name(shape) << " stream, " << s.describe() << ", threads " << t
                      << ":\n" << diff;
        ++failures;
        break;
      }
    }
  }
}

const std::vector<unsigned> kThreads{1, 2, 3, 8};

TEST(CpuEngineVsReference, MixedStreams) {
  check_against_reference(EngineKind::Cpu, Shape::Mixed, kThreads);
}

TEST(CpuEngineVsReference, DuplicateHeavyStreams) {
  check_against_reference(EngineKind::Cpu, Shape::DuplicateHeavy, kThreads);
}

// Partitions whose first event comes after W has moved on: closing and purging are never
// undone (see tests/cases/README.md).
TEST(CpuEngineVsReference, PartitionsJoiningLate) {
  check_against_reference(EngineKind::Cpu, Shape::LateJoining, kThreads);
}

class GpuEngineVsReference : public testing::Test {
 protected:
  void SetUp() override { CLICKAGG_NEEDS_GPU(); }
};

TEST_F(GpuEngineVsReference, MixedStreams) {
  check_against_reference(EngineKind::Gpu, Shape::Mixed, {0});
}

TEST_F(GpuEngineVsReference, DuplicateHeavyStreams) {
  check_against_reference(EngineKind::Gpu, Shape::DuplicateHeavy, {0});
}

TEST_F(GpuEngineVsReference, PartitionsJoiningLate) {
  check_against_reference(EngineKind::Gpu, Shape::LateJoining, {0});
}

// The GPU engine's device algorithm on the host system: runs wherever it is built.
class GpuPortableEngineVsReference : public testing::Test {
 protected:
  void SetUp() override {
#if !defined(CLICKAGG_HAVE_GPU_PORTABLE)
    GTEST_SKIP() << "built without the portable GPU engine";
#endif
  }
};

TEST_F(GpuPortableEngineVsReference, MixedStreams) {
  check_against_reference(EngineKind::GpuPortable, Shape::Mixed, {0});
}

TEST_F(GpuPortableEngineVsReference, DuplicateHeavyStreams) {
  check_against_reference(EngineKind::GpuPortable, Shape::DuplicateHeavy, {0});
}

TEST_F(GpuPortableEngineVsReference, PartitionsJoiningLate) {
  check_against_reference(EngineKind::GpuPortable, Shape::LateJoining, {0});
}

// Where process() calls begin and end changes when results are emitted, never what they are.
TEST(CpuEngineBatching, OneCallPerRunEqualsOneCallPerEvent) {
  int failures = 0;
  for (uint64_t seed = 1; seed <= kSeeds && failures < kMaxReportedSeeds; ++seed) {
    const Scenario s = make_scenario(seed, Shape::Mixed);
    const ref::RefResult r = ref::run_reference(s.ref_events(), s.ref_config());
    const EngineRun whole = run_engine(EngineKind::Cpu, 2, s, Batching::WholeRuns, seed);
    const EngineRun single = run_engine(EngineKind::Cpu, 1, s, Batching::OneByOne, seed);
    std::string diff = compare_runs(whole, single);
    if (diff.empty()) diff = compare_with_reference(single, s, r);
    if (diff.empty()) diff = compare_with_reference(whole, s, r);
    if (!diff.empty()) {
      ADD_FAILURE() << s.describe() << ":\n" << diff;
      ++failures;
    }
  }
}

// The generator must actually produce what the properties are about.
TEST(RandomStreams, CoverEveryOutcome) {
  ref::RefStats total;
  for (Shape shape : {Shape::Mixed, Shape::DuplicateHeavy, Shape::LateJoining}) {
    for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
      const Scenario s = make_scenario(seed, shape);
      const auto st = ref::run_reference(s.ref_events(), s.ref_config()).stats;
      total.events_total += st.events_total;
      total.duplicates += st.duplicates;
      total.dropped_late += st.dropped_late;
      total.counted += st.counted;
      total.late_counted += st.late_counted;
    }
  }
  EXPECT_GT(total.duplicates, total.events_total / 50);
  EXPECT_GT(total.dropped_late, total.events_total / 50);
  EXPECT_GT(total.late_counted, total.events_total / 50);
  EXPECT_GT(total.counted - total.late_counted, total.events_total / 4);
}

}  // namespace
}  // namespace clickagg::proptest
