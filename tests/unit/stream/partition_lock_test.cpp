// The partition lock: one holder at a time, a waiter gets it once the holder lets go (or
// dies: the kernel drops flock locks with the process), and a lock that stays held is an error.
#include "host/stream/partition_lock.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "tests/unit/store/temp_dir.h"

namespace clickagg::stream {
namespace {

using std::chrono::milliseconds;


TEST(PartitionLock, SecondHolderWaitsThenFails) {
  clickagg::testing::TempDir tmp;
  const std::string dir = tmp.path().string();
  PartitionLock first(dir, milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(PartitionLock(dir, milliseconds(300)), std::runtime_error);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(300));
}

TEST(PartitionLock, WaiterGetsItWhenTheHolderLetsGo) {
  clickagg::testing::TempDir tmp;
  const std::string dir = tmp.path().string();
  auto first = std::make_unique<PartitionLock>(dir, milliseconds(100));
  std::thread release([&] {
    std::this_thread::sleep_for(milliseconds(200));
    first.reset();
  });
  EXPECT_NO_THROW(PartitionLock(dir, milliseconds(5000)));
  release.join();
}

TEST(PartitionLock, ADeadHolderReleasesIt) {
  clickagg::testing::TempDir tmp;
  const std::string dir = tmp.path().string();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      PartitionLock held(dir, milliseconds(5000));  // the parent's probes hold it briefly
      ::pause();                                    // until killed
    } catch (...) {
    }
    ::_exit(1);  // never back into the test runner
  }
  // Wait until the child holds it (probes let go at once, so the child gets its turn).
  bool held = false;
  for (int i = 0; i < 200 && !held; ++i) {
    try {
      { PartitionLock probe(dir, milliseconds(0)); }
      std::this_thread::sleep_for(milliseconds(50));
    } catch (const std::runtime_error&) {
      held = true;
    }
  }
  if (!held) ::kill(child, SIGKILL);
  ASSERT_TRUE(held);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_NO_THROW(PartitionLock(dir, milliseconds(2000)));
}

TEST(PartitionLock, MovedLockKeepsHoldingIt) {
  clickagg::testing::TempDir tmp;
  const std::string dir = tmp.path().string();
  PartitionLock a(dir, milliseconds(100));
  PartitionLock b = std::move(a);
  EXPECT_THROW(PartitionLock(dir, milliseconds(50)), std::runtime_error);
}

}  // namespace
}  // namespace clickagg::stream
