// Exclusive ownership of one partition's state directory among aggregator processes sharing
// a state store. The consumer group decides who should own a partition; this lock makes sure
// the previous owner has let go (it may not yet know it lost the partition) before the new one
// reads the checkpoint and batch log. flock(2): released by the kernel when a process dies.
#pragma once
#include <chrono>
#include <string>

namespace clickagg::stream {

class PartitionLock {
 public:
  PartitionLock() = default;
  // Takes the lock on dir/lock, waiting up to `wait`; throws when it stays held.
  PartitionLock(const std::string& dir, std::chrono::milliseconds wait);
  ~PartitionLock();
  PartitionLock(PartitionLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  PartitionLock& operator=(PartitionLock&& o) noexcept;
  PartitionLock(const PartitionLock&) = delete;
  PartitionLock& operator=(const PartitionLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace clickagg::stream
