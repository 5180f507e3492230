// A fixed set of worker threads that run one function on every worker index and wait for
// all of them (fork-join per engine phase). With one thread everything runs inline.
#pragma once
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace clickagg {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return size_; }
  // Calls fn(i) for i in [0, size()) concurrently and returns when all calls have returned.
  // The first exception thrown by any call is rethrown here.
  void run(const std::function<void(unsigned)>& fn);

 private:
  void worker(unsigned index);

  unsigned size_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(unsigned)>* job_ = nullptr;
  uint64_t generation_ = 0;
  unsigned pending_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
};

}  // namespace clickagg
