// The device lookup of an event's user token (block/event_match.h): user ids that share a hash
// are told apart by their bytes, a missing id gives kNoToken, and probing wraps around the
// table's end. The lookup is a device function, so this runs on the host system's build,
// which compiles the same source for the CPU.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/gpu/gpu_test_support.h"
#if defined(CLICKAGG_DEVICE_HOST)
#include "kernels/block/event_match.h"
#endif

namespace clickagg::gputest {
namespace {

#if defined(CLICKAGG_DEVICE_HOST)
TEST(UserTokens, EqualHashesAreSettledOnTheBytes) {
  // Four slots; "anna" and "bert" share hash 3 (the last slot, so the second wraps to slot 0),
  // "cleo" has hash 1.
  const std::string names = "annabertcleo";
  std::vector<dev::UserSlot> slots(4, dev::UserSlot{0, dev::kNoToken, 0, 0, 0});
  slots[3] = dev::UserSlot{3, 7, 0, 4, 0};  // anna
  slots[0] = dev::UserSlot{3, 9, 4, 4, 0};  // bert, displaced by anna
  slots[1] = dev::UserSlot{1, 2, 8, 4, 0};  // cleo
  const dev::UserTableRef t{slots.data(), names.data(), 3};
  auto token = [&](uint64_t h, const std::string& id) {
    return dev::block::user_token_of(t, h, id.data(), static_cast<uint32_t>(id.size()));
  };
  EXPECT_EQ(token(3, "anna"), 7u);
  EXPECT_EQ(token(3, "bert"), 9u);
  EXPECT_EQ(token(1, "cleo"), 2u);
  EXPECT_EQ(token(3, "dora"), dev::kNoToken);  // same hash, other bytes
  EXPECT_EQ(token(3, "ann"), dev::kNoToken);   // a prefix
  EXPECT_EQ(token(1, "anna"), dev::kNoToken);  // the bytes, under another hash
  EXPECT_EQ(token(2, "cleo"), dev::kNoToken);  // an empty slot ends the probe
}
#endif

}  // namespace
}  // namespace clickagg::gputest
