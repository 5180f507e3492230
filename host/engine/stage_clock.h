// Adds the time a scope takes to an accumulator: engines time their stages this way for
// Engine::stage_seconds (a few clock reads per batch, not per event).
#pragma once
#include <chrono>

namespace clickagg {

class StageClock {
 public:
  explicit StageClock(double& total) : total_(total), t0_(std::chrono::steady_clock::now()) {}
  ~StageClock() { total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count(); }
  StageClock(const StageClock&) = delete;
  StageClock& operator=(const StageClock&) = delete;

 private:
  double& total_;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace clickagg
