// What this machine's memory gives one core, measured the way the engine uses it, so that the
// engine's figures can be set against the machine's: sequential read and write bandwidth,
// the latency of a random cache line, the rate of independent random updates of 16-byte
// slots (the engine's table probes) with and without requests ahead, and the cost of memory
// fresh from the kernel (a page fault and the kernel's zeroing) against reused memory.
// Buffers come from the engine's own table allocator (flat_tables.h: 2 MiB aligned, huge
// pages advised), so each access costs what a table probe costs.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "host/engine/flat_tables.h"

namespace clickagg {
namespace {

constexpr size_t kMiB = size_t(1) << 20;
constexpr size_t kLine = 64;

// Sums a buffer word by word: read bandwidth. Arg: MiB.
void BM_SequentialRead(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) * kMiB;
  TableStorage<uint64_t> buf(bytes / 8);
  std::memset(buf.data(), 1, bytes);
  for (auto _ : state) {
    uint64_t sum = 0;
    const uint64_t* p = buf.data();
    for (size_t i = 0; i < bytes / 8; ++i) sum += p[i];
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_SequentialRead)->Arg(256)->Unit(benchmark::kMillisecond);

// memset of memory touched before: write bandwidth, and what reusing a table costs per byte.
void BM_SequentialWrite(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) * kMiB;
  TableStorage<uint8_t> buf(bytes);
  std::memset(buf.data(), 1, bytes);
  int v = 0;
  for (auto _ : state) {
    std::memset(buf.data(), ++v & 0xFF, bytes);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_SequentialWrite)->Arg(256)->Unit(benchmark::kMillisecond);

// Memory fresh from the kernel, huge pages advised as the tables do, written once per 4 KiB
// and given back: the page faults and the kernel's zeroing a new table pays on first touch.
void BM_FirstTouch(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) * kMiB;
  for (auto _ : state) {
    void* raw = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
      state.SkipWithError("mmap failed");
      return;
    }
    (void)madvise(raw, bytes, MADV_HUGEPAGE);
    auto* p = static_cast<volatile char*>(raw);
    for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
    munmap(raw, bytes);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
// 1 GiB once, at the start of a process, is what a batch run's first minutes meet: on a
// virtual machine whose host takes back freed memory (free page reporting), memory the guest
// has not used lately faults on the host too. 64 MiB repeatedly is memory this process just
// gave back, still backed by the host.
BENCHMARK(BM_FirstTouch)->Arg(1024)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FirstTouch)->Arg(64)->Unit(benchmark::kMillisecond);

// A chain of loads, each line holding the index of the next, in one random cycle over every
// line of the buffer: the latency of one random line (nothing overlaps). Arg: MiB.
void BM_DependentLoads(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) * kMiB;
  const size_t lines = bytes / kLine;
  TableStorage<uint64_t> buf(bytes / 8);
  {
    // Sattolo's shuffle: a single cycle through all lines.
    std::vector<uint32_t> order(lines);
    std::iota(order.begin(), order.end(), 0u);
    std::mt19937_64 rng(1);
    for (size_t i = lines - 1; i > 0; --i) std::swap(order[i], order[rng() % i]);
    for (size_t i = 0; i < lines; ++i) buf[order[i] * (kLine / 8)] = order[(i + 1) % lines];
  }
  constexpr size_t kSteps = 1 << 20;
  uint64_t at = 0;
  for (auto _ : state) {
    for (size_t s = 0; s < kSteps; ++s) at = buf[at * (kLine / 8)];
    benchmark::DoNotOptimize(at);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kSteps));
}
BENCHMARK(BM_DependentLoads)->Arg(1)->Arg(16)->Arg(256)->Unit(benchmark::kMillisecond);

// Independent read-modify-writes of random 16-byte slots, as a table probe does, the slot of
// the update `ahead` positions on requested first (0: no requests): how many random lines one
// core keeps in flight. Args: MiB, ahead.
void BM_RandomUpdates(benchmark::State& state) {
  const size_t bytes = static_cast<size_t>(state.range(0)) * kMiB;
  const auto ahead = static_cast<size_t>(state.range(1));
  const size_t slots = bytes / 16;
  TableStorage<Hash128> table(slots);
  std::memset(static_cast<void*>(table.data()), 0, bytes);  // touched before timing
  constexpr size_t kUpdates = 1 << 20;
  std::vector<uint32_t> at(kUpdates);
  std::mt19937_64 rng(2);
  for (uint32_t& a : at) a = static_cast<uint32_t>(rng() % slots);
  for (auto _ : state) {
    for (size_t k = 0; k < kUpdates; ++k) {
      if (ahead != 0 && k + ahead < kUpdates) __builtin_prefetch(table.data() + at[k + ahead], 1);
      Hash128& s = table[at[k]];
      s.lo += 1;
      s.hi ^= k;
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kUpdates));
}
BENCHMARK(BM_RandomUpdates)
    ->Args({16, 0})->Args({16, 16})->Args({256, 0})->Args({256, 16})->Args({256, 32})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace clickagg

BENCHMARK_MAIN();
