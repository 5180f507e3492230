// The aggregator's checkpoint file: everything a restart needs comes back, including the
// reject counter kept outside the engine (so cumulative counters continue after a restart),
// and a checkpoint written before that counter existed still loads.
#include "host/stream/checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>

#include "host/common/hash128.h"
#include "host/stream/file_util.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::stream {
namespace {

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

TEST(Checkpoint, RoundTripsEverything) {
  clickagg::testing::TempDir dir;
  EXPECT_FALSE(load_checkpoint(dir.path().string()));
  Checkpoint cp;
  cp.log_generation = 7;
  cp.out_seq = 123'456;
  cp.next_offset = {{0, 10}, {3, 99'000'000'000}};
  cp.rejected = 761;
  cp.engine_state = std::string("state\0bytes", 11);
  save_checkpoint(dir.path().string(), cp);
  auto got = load_checkpoint(dir.path().string());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->log_generation, 7u);
  EXPECT_EQ(got->out_seq, 123'456u);
  EXPECT_EQ(got->next_offset, cp.next_offset);
  EXPECT_EQ(got->rejected, 761u);
  EXPECT_EQ(got->engine_state, cp.engine_state);
}

TEST(Checkpoint, Version1FilesLoadWithoutTheRejectCounter) {
  // The version-1 layout, written by hand: magic, version, generation, seq, offsets, state,
  // checksum.
  clickagg::testing::TempDir dir;
  std::string body;
  put<uint32_t>(body, 0x4b434143);
  put<uint32_t>(body, 1);
  put<uint64_t>(body, 4);
  put<uint64_t>(body, 55);
  put<uint32_t>(body, 1);
  put<uint32_t>(body, 2);
  put<int64_t>(body, 777);
  put<uint64_t>(body, 3);
  body += "abc";
  put<uint64_t>(body, hash128(body.data(), body.size(), 0x636b7074).lo);
  write_file_atomic(checkpoint_path(dir.path().string()), body);
  auto got = load_checkpoint(dir.path().string());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->log_generation, 4u);
  EXPECT_EQ(got->out_seq, 55u);
  EXPECT_EQ(got->next_offset, (std::map<uint32_t, int64_t>{{2, 777}}));
  EXPECT_EQ(got->rejected, 0u);
  EXPECT_EQ(got->engine_state, "abc");
}

TEST(Checkpoint, RefusesACorruptOrUnknownFile) {
  clickagg::testing::TempDir dir;
  Checkpoint cp;
  cp.engine_state = "x";
  save_checkpoint(dir.path().string(), cp);
  std::string bytes;
  ASSERT_TRUE(read_file(checkpoint_path(dir.path().string()), bytes));
  bytes[10] ^= 1;
  write_file_atomic(checkpoint_path(dir.path().string()), bytes);
  EXPECT_THROW(load_checkpoint(dir.path().string()), std::runtime_error);

  // A future version with a valid checksum: refused, never misread.
  std::string body;
  put<uint32_t>(body, 0x4b434143);
  put<uint32_t>(body, 99);
  put<uint64_t>(body, hash128(body.data(), body.size(), 0x636b7074).lo);
  write_file_atomic(checkpoint_path(dir.path().string()), body);
  EXPECT_THROW(load_checkpoint(dir.path().string()), std::runtime_error);
}

}  // namespace
}  // namespace clickagg::stream
