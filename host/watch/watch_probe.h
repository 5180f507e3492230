// What an operator watches on `clickagg watch`, updated by the watcher after every batch and
// read by the metrics endpoint at scrape time.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace clickagg::watch {

struct WatchProbe {
  std::atomic<uint64_t> lines_sent{0};      // acknowledged by the broker
  std::atomic<uint64_t> bytes_sent{0};      // their bytes, newlines not included
  std::atomic<uint64_t> rejected{0};        // written to the dead-letter file
  std::atomic<uint64_t> produce_errors{0};  // batches that failed to deliver and were resent
  std::atomic<uint64_t> batches{0};         // batches committed
  std::atomic<uint64_t> files_tracked{0};

  // Per file (by path): bytes in the file after the saved offset, not yet acknowledged.
  void set_lag(std::map<std::string, uint64_t> lag) {
    std::lock_guard lock(mu_);
    lag_ = std::move(lag);
  }
  std::map<std::string, uint64_t> lag() const {
    std::lock_guard lock(mu_);
    return lag_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> lag_;
};

}  // namespace clickagg::watch
