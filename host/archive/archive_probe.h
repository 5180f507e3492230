// What an operator watches on an archiver, updated as it works and read by its metrics
// endpoint at scrape time.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>

namespace clickagg::archive {

struct ArchiveProbe {
  std::atomic<uint64_t> records{0};          // Kafka records handled
  std::atomic<uint64_t> archived{0};         // events written (committed at the next commit)
  std::atomic<uint64_t> rejected{0};         // records that failed to decode (dead letters)
  std::atomic<uint64_t> skipped{0};          // redelivered records already archived
  std::atomic<uint64_t> committed_bytes{0};  // data file bytes made durable
  std::atomic<uint64_t> files_created{0};
  std::atomic<uint64_t> open_files{0};
  std::atomic<uint64_t> commits{0};
  std::atomic<double> last_commit_seconds{0};

  void set_lag(const std::map<uint32_t, int64_t>& lag) {
    std::lock_guard lock(mu_);
    lag_ = lag;
  }
  std::map<uint32_t, int64_t> lag() const {
    std::lock_guard lock(mu_);
    return lag_;
  }

 private:
  mutable std::mutex mu_;
  std::map<uint32_t, int64_t> lag_;  // per partition: records not yet consumed
};

}  // namespace clickagg::archive
