// The aggregator's checkpoint file: everything a restart needs comes back, including the
// reject counter kept outside the engine (so cumulative counters continue after a restart),
// and a checkpoint written before that counter existed still loads.
#include "host/stream/checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <ostream>
#include <random>
#include <stdexcept>

#include "host/common/hash128.h"
#include "host/io/durable_file.h"
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
  io::write_file_atomic(checkpoint_path(dir.path().string()), body);
  auto got = load_checkpoint(dir.path().string());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->log_generation, 4u);
  EXPECT_EQ(got->out_seq, 55u);
  EXPECT_EQ(got->next_offset, (std::map<uint32_t, int64_t>{{2, 777}}));
  EXPECT_EQ(got->rejected, 0u);
  EXPECT_EQ(got->engine_state, "abc");
}

TEST(Checkpoint, StreamsALargeStateInPiecesOfEverySize) {
  // Writes of 1 byte to 3 MiB cross the writer's buffer at every kind of boundary; what loads
  // is exactly what was written, in order.
  clickagg::testing::TempDir dir;
  std::mt19937_64 rng(41);
  std::string expect;
  std::vector<std::string> pieces;
  for (size_t len : {1ul, 15ul, 16ul, 4096ul, (1ul << 20) - 3, 7ul, 3ul << 20, 100'000ul, 1ul, (1ul << 20) + 5}) {
    std::string p(len, '\0');
    for (auto& c : p) c = static_cast<char>(rng());
    expect += p;
    pieces.push_back(std::move(p));
  }
  Checkpoint cp;
  cp.log_generation = 3;
  cp.out_seq = 9;
  cp.next_offset = {{1, 5}};
  cp.rejected = 2;
  save_checkpoint(dir.path().string(), cp, [&](std::ostream& out) {
    for (const auto& p : pieces) out.write(p.data(), static_cast<std::streamsize>(p.size()));
  });
  auto got = load_checkpoint(dir.path().string());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->log_generation, 3u);
  EXPECT_EQ(got->out_seq, 9u);
  EXPECT_EQ(got->next_offset, cp.next_offset);
  EXPECT_EQ(got->rejected, 2u);
  EXPECT_EQ(got->engine_state.size(), expect.size());
  EXPECT_TRUE(got->engine_state == expect);
}

TEST(Checkpoint, AFailedStateWriteLeavesThePreviousCheckpoint) {
  clickagg::testing::TempDir dir;
  Checkpoint cp;
  cp.out_seq = 1;
  cp.engine_state = "first";
  save_checkpoint(dir.path().string(), cp);
  cp.out_seq = 2;
  EXPECT_THROW(save_checkpoint(dir.path().string(), cp,
                               [](std::ostream& out) {
                                 out << std::string(3 << 20, 'x');
                                 throw std::runtime_error("engine failed");
                               }),
               std::runtime_error);
  auto got = load_checkpoint(dir.path().string());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->out_seq, 1u);
  EXPECT_EQ(got->engine_state, "first");
  EXPECT_FALSE(std::filesystem::exists(checkpoint_path(dir.path().string()) + ".tmp"));
}

TEST(Checkpoint, Version2FilesWithTheStateLengthLoad) {
  clickagg::testing::TempDir dir;
  std::string body;
  put<uint32_t>(body, 0x4b434143);
  put<uint32_t>(body, 2);
  put<uint64_t>(body, 6);
  put<uint64_t>(body, 66);
  put<uint32_t>(body, 0);
  put<uint64_t>(body, 12);  // rejected
  put<uint64_t>(body, 4);
  body += "wxyz";
  put<uint64_t>(body, hash128(body.data(), body.size(), 0x636b7074).lo);
  io::write_file_atomic(checkpoint_path(dir.path().string()), body);
  auto got = load_checkpoint(dir.path().string());
  ASSERT_TRUE(got);
  EXPECT_EQ(got->log_generation, 6u);
  EXPECT_EQ(got->rejected, 12u);
  EXPECT_EQ(got->engine_state, "wxyz");
}

TEST(Checkpoint, RefusesACorruptOrUnknownFile) {
  clickagg::testing::TempDir dir;
  Checkpoint cp;
  cp.engine_state = "x";
  save_checkpoint(dir.path().string(), cp);
  std::string bytes;
  ASSERT_TRUE(io::read_file(checkpoint_path(dir.path().string()), bytes));
  bytes[10] ^= 1;
  io::write_file_atomic(checkpoint_path(dir.path().string()), bytes);
  EXPECT_THROW(load_checkpoint(dir.path().string()), std::runtime_error);

  // A future version with a valid checksum: refused, never misread.
  std::string body;
  put<uint32_t>(body, 0x4b434143);
  put<uint32_t>(body, 99);
  put<uint64_t>(body, hash128(body.data(), body.size(), 0x636b7074).lo);
  io::write_file_atomic(checkpoint_path(dir.path().string()), body);
  EXPECT_THROW(load_checkpoint(dir.path().string()), std::runtime_error);
}

}  // namespace
}  // namespace clickagg::stream
