// GPU engine throughput against the CPU engine on the same machine, in the same run.
//   BM_GpuDevice  filters + dedup + group-by on the device for events already packed in pinned
//                 memory: with copy=0 the chunks are device-resident, with copy=1 every run
//                 copies them in first (no host packing, judging or emission in either).
//   BM_GpuEngine  the whole engine: process() of one batch (judge, intern, pack, copy, kernels,
//                 emission) then finish().
//   BM_CpuEngine  the CPU engine on all cores, same batches.
// Workloads: 2,000,000 ads with Zipf 0 / 1.1 / 1.5 popularity, or one hot ad taking half of
// all clicks; 0 / 4 / 32 filters; batches of 1 M to 64 M events (one process() call each).
// items/s = events/s. Built only where CUDA is (bench/CMakeLists.txt).
//   ./gpu_engine_bench --benchmark_filter=4194304 --benchmark_out=out.json
//   ./gpu_engine_bench --export_events=FILE   (the 4 M Zipf 1.1 batch, 4 filters, for peers)
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/common/time_util.h"
#include "host/engine/ad_dictionary.h"
#include "host/engine/engine.h"
#include "host/decode/dedup_key.h"
#include "host/engine/engine_backend.h"
#include "host/engine/thread_pool.h"
#include "host/gen/event_set.h"
#include "kernels/chunk_pipeline.h"
#include "kernels/cuda_check.h"
#include "kernels/device_window_table.h"
#include "kernels/event_packer.h"
#include "kernels/filter_table.h"
#include "kernels/gpu_engine.h"

namespace clickagg {
namespace {

constexpr int kHot = -1;  // workload code: Zipf 1.1 with one ad taking every other click

class NullSink final : public ResultSink {
 public:
  void on_window(const WindowResult& w) override { benchmark::DoNotOptimize(w.rows.size()); }
  void on_topn(const TopNList& t) override { benchmark::DoNotOptimize(t.entries.size()); }
  void on_late(const LateRecord&) override {}
};

Country country(const char* code) {
  Country c;
  normalize_country(code, c);
  return c;
}

FilterSet make_filters(int n) {
  std::vector<FilterDef> defs;
  if (n == 4) {
    defs.push_back(FilterDef{12, "us", {country("US")}, {}, {}});
    defs.push_back(FilterDef{14, "gb-de", {country("GB"), country("DE")}, {}, {}});
    defs.push_back(FilterDef{20, "nets", {}, {*parse_cidr("10.0.0.0/8"), *parse_cidr("2001:db8::/32")}, {}});
    defs.push_back(FilterDef{30, "users", {}, {}, {"user 1", "user 7", "user 42"}});
  } else if (n > 0) {
    static const char* const kCountries[] = {"US", "GB", "DE", "FR", "JP", "BR", "IN", "CA"};
    static const char* const kBlocks[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "2001:db8::/32", "100.64.0.0/10"};
    for (int i = 0; i < n; ++i) {
      FilterDef d;
      d.id = static_cast<uint16_t>(100 + i);
      d.countries.push_back(country(kCountries[i % 8]));
      if (i % 2) d.countries.push_back(country(kCountries[(i + 3) % 8]));
      if (i % 3 == 0) d.ip_blocks.push_back(*parse_cidr(kBlocks[i % 5]));
      if (i % 8 == 7) d.user_ids.push_back("user " + std::to_string(i));
      defs.push_back(d);
    }
  }
  return FilterSet(std::move(defs));
}

// Events of a workload: a prefix of one deterministic stream per popularity exponent.
const std::vector<Event>& workload(int code, size_t count) {
  static std::map<int, gen::EventSet> sets;
  static std::map<size_t, std::vector<Event>> hot;  // by length
  const int base = code == kHot ? 11 : code;
  auto it = sets.find(base);
  if (it == sets.end() || it->second.events.size() < count) {
    gen::GenConfig cfg;
    cfg.seed = 42;
    cfg.count = std::max<uint64_t>(count, 4 * (1u << 20));
    cfg.ads = 2'000'000;
    cfg.zipf = static_cast<double>(base) / 10.0;
    cfg.events_per_second = 100'000;
    cfg.out_of_order = 0.05;
    cfg.duplicate = 0.02;
    sets.erase(base);
    hot.clear();
    it = sets.emplace(base, gen::generate_event_set(cfg)).first;
  }
  if (code != kHot) return it->second.events;
  auto& h = hot[count];
  if (h.empty()) {
    h.assign(it->second.events.begin(), it->second.events.begin() + static_cast<std::ptrdiff_t>(count));
    for (size_t i = 0; i < h.size(); i += 2) h[i].ad_id = "hot-ad";
  }
  return h;
}

std::span<const Event> batch_of(int code, size_t count) {
  return std::span<const Event>(workload(code, count)).first(count);
}

// The same batch as the engines' columns, built once per (workload, length).
const EventColumns& columns_of_batch(int code, size_t count) {
  static std::map<std::pair<int, size_t>, EventColumns> cache;
  auto it = cache.find({code, count});
  if (it == cache.end()) it = cache.emplace(std::make_pair(code, count), columns_of(batch_of(code, count))).first;
  return it->second;
}

EngineConfig engine_config(int filters, unsigned threads) {
  EngineConfig cfg;
  cfg.filters = make_filters(filters);
  cfg.threads = threads;
  cfg.topn_windows = {1};
  return cfg;
}

std::string workload_name(int code) { return code == kHot ? "hot" : "zipf" + std::to_string(code / 10.0).substr(0, 3); }

// --- device-resident pipeline ----------------------------------------------------------------
struct Packed {
  std::vector<gpu::PackedChunk> chunks;
  std::vector<gpu::PinnedArray<gpu::DeviceEvent>> rows_h;
  std::vector<gpu::DeviceArray<gpu::DeviceEvent>> rows_d;
};

void BM_GpuDevice(benchmark::State& state) {
  const int code = static_cast<int>(state.range(0));
  const int nfilters = static_cast<int>(state.range(1));
  const auto count = static_cast<size_t>(state.range(2));
  const bool copy_in = state.range(3) != 0;
  const EventColumns& events = columns_of_batch(code, count);
  const FilterSet filters = make_filters(nfilters);
  uint64_t counted = 0;
  {
    cudaStream_t stream = nullptr;
    CLICKAGG_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
    gpu::DeviceArray<unsigned> error(nullptr, false);
    error.assign_exact(1);
    CLICKAGG_CUDA(cudaMemset(error.data(), 0, sizeof(unsigned)));
    gpu::DeviceFilterTable ftable(filters);
    CLICKAGG_CUDA(cudaDeviceSynchronize());

    // Pack once (every event judged open: no watermark, nothing dropped), chunks of 4 M.
    const size_t n = events.size();
    std::vector<Verdict> verdict(n, Verdict::Open);
    std::vector<uint32_t> kept(n), local(n), ad(n);
    BatchJudgement j;
    for (size_t i = 0; i < n; ++i) j.minutes.push_back(minute_of(events.t_ms[i]));
    std::sort(j.minutes.begin(), j.minutes.end());
    j.minutes.erase(std::unique(j.minutes.begin(), j.minutes.end()), j.minutes.end());
    AdDictionary ads;
    for (size_t i = 0; i < n; ++i) {
      kept[i] = static_cast<uint32_t>(i);
      local[i] = static_cast<uint32_t>(
          std::lower_bound(j.minutes.begin(), j.minutes.end(), minute_of(events.t_ms[i])) - j.minutes.begin());
      ad[i] = ads.intern(0, events.ad_hash[i], events.ad_id(i), i);
    }
    ads.commit();
    j.begin = 0;
    j.end = n;
    j.verdict = verdict.data();
    j.local = local.data();
    ThreadPool pool(std::thread::hardware_concurrency());
    gpu::EventPacker packer(pool);
    gpu::ChunkLimits limits;
    limits.events = std::min<size_t>(limits.events, gpu::kMaxChunkExpansions / ftable.slots());
    Packed p;
    for (size_t pos = 0; pos < kept.size();) {
      p.rows_h.emplace_back();
      p.chunks.push_back(packer.pack(events, kept, j, ad, pos, limits, ftable, p.rows_h.back()));
      const gpu::PackedChunk& c = p.chunks.back();
      p.rows_d.emplace_back(nullptr, false);
      p.rows_d.back().assign_exact(c.size());
      CLICKAGG_CUDA(cudaMemcpy(p.rows_d.back().data(), p.rows_h.back().data(), c.size() * sizeof(gpu::DeviceEvent),
                               cudaMemcpyHostToDevice));
      pos = c.end;
    }
    CLICKAGG_CUDA(cudaDeviceSynchronize());

    gpu::ChunkPipeline pipeline(stream, error.data());
    gpu::ChunkCounts counts;
    for (auto _ : state) {
      state.PauseTiming();
      auto table = std::make_unique<gpu::DeviceWindowTable>(stream, 1024, error.data());
      CLICKAGG_CUDA(cudaStreamSynchronize(stream));
      state.ResumeTiming();
      counted = 0;
      for (size_t k = 0; k < p.chunks.size(); ++k) {
        const gpu::PackedChunk& c = p.chunks[k];
        if (copy_in) {
          CLICKAGG_CUDA(cudaMemcpyAsync(p.rows_d[k].data(), p.rows_h[k].data(), c.size() * sizeof(gpu::DeviceEvent),
                                        cudaMemcpyHostToDevice, stream));
        }
        pipeline.start(c, p.rows_d[k].data(), nullptr, *table, ftable.ref());
        pipeline.finish(c, *table, ftable.ref(), nullptr, counts);
        for (size_t l = 0; l < counts.open.size(); ++l) counted += counts.open[l] + counts.late[l];
      }
      pipeline.drain(*table);
      state.PauseTiming();
      table.reset();
      CLICKAGG_CUDA(cudaStreamSynchronize(stream));
      state.ResumeTiming();
    }
    CLICKAGG_CUDA(cudaStreamSynchronize(stream));
    CLICKAGG_CUDA(cudaStreamDestroy(stream));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events.size()));
  state.SetLabel(workload_name(code) + (copy_in ? " copy-in" : " resident"));
  state.counters["filters"] = nfilters;
  state.counters["counted"] = static_cast<double>(counted);
}

// --- whole engines ---------------------------------------------------------------------------
void run_engine(benchmark::State& state, bool gpu_engine) {
  const int code = static_cast<int>(state.range(0));
  const int nfilters = static_cast<int>(state.range(1));
  const auto count = static_cast<size_t>(state.range(2));
  const EventColumns& events = columns_of_batch(code, count);
  const EngineConfig cfg = engine_config(nfilters, 0);
  uint64_t counted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Engine> engine = gpu_engine ? gpu::make_gpu_engine(cfg) : make_cpu_engine(cfg);
    NullSink sink;
    state.ResumeTiming();
    engine->process(0, events, 0, sink);
    engine->finish(sink);
    counted = engine->stats().counted;
    state.PauseTiming();
    engine.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events.size()));
  state.SetLabel(workload_name(code));
  state.counters["filters"] = nfilters;
  state.counters["counted"] = static_cast<double>(counted);
  state.counters["threads"] = std::thread::hardware_concurrency();
}
void BM_GpuEngine(benchmark::State& state) { run_engine(state, true); }
void BM_CpuEngine(benchmark::State& state) { run_engine(state, false); }

constexpr int64_t kM = 1 << 20;

// workload x filters at 4 M events, then the batch sweep at Zipf 1.1 with 4 filters.
void engine_args(benchmark::internal::Benchmark* b) {
  for (int code : {0, 11, 15, kHot})
    for (int filters : {0, 4, 32}) b->Args({code, filters, 4 * kM});
  for (int64_t batch : {1 * kM, 16 * kM, 64 * kM}) b->Args({11, 4, batch});
}
void device_args(benchmark::internal::Benchmark* b) {
  for (int code : {0, 11, 15, kHot})
    for (int filters : {0, 4, 32}) b->Args({code, filters, 4 * kM, 0});
  for (int64_t batch : {1 * kM, 16 * kM, 64 * kM}) b->Args({11, 4, batch, 0});
  for (int64_t batch : {4 * kM, 64 * kM}) b->Args({11, 4, batch, 1});
}

BENCHMARK(BM_GpuDevice)->Apply(device_args)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);
BENCHMARK(BM_GpuEngine)->Apply(engine_args)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
BENCHMARK(BM_CpuEngine)->Apply(engine_args)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

// The 4 M Zipf 1.1 batch with 4 filters, for peers in other frameworks: a 16-byte header
// ("CKEV", version 1, record count) then per event, little-endian: uint32 ad index (first
// appearance order), int32 minute relative to the first event's, uint64 fingerprint lo, hi,
// uint32 bit mask of the 4 filters it matches (bit k: filter k in id order).
int export_events(const char* path) {
  const auto events = batch_of(11, 4 * kM);
  const FilterSet filters = make_filters(4);
  std::map<std::string_view, uint32_t> ads;
  std::ofstream out(path, std::ios::binary);
  const uint32_t head[2] = {0x56454b43u, 1u};
  const uint64_t n = events.size();
  out.write(reinterpret_cast<const char*>(head), sizeof head);
  out.write(reinterpret_cast<const char*>(&n), sizeof n);
  const int64_t base = minute_of(events.front().t_ms);
  for (const Event& ev : events) {
    const uint32_t ad = ads.try_emplace(ev.ad_id, static_cast<uint32_t>(ads.size())).first->second;
    const auto minute = static_cast<int32_t>(minute_of(ev.t_ms) - base);
    const Hash128 fp = dedup_fingerprint(ev.ad_id.data(), static_cast<uint32_t>(ev.ad_id.size()), ev.t_ms,
                                         ev.user_id.data(), static_cast<uint32_t>(ev.user_id.size()), ev.ip.bytes.data(),
                                         ev.country.code.data(), ev.country.len, ev.click_id.data(),
                                         static_cast<uint32_t>(ev.click_id.size()));
    uint32_t mask = 0;
    for (size_t k = 0; k < filters.defs().size(); ++k)
      if (filters.defs()[k].matches(ev)) mask |= 1u << k;
    out.write(reinterpret_cast<const char*>(&ad), 4);
    out.write(reinterpret_cast<const char*>(&minute), 4);
    out.write(reinterpret_cast<const char*>(&fp.lo), 8);
    out.write(reinterpret_cast<const char*>(&fp.hi), 8);
    out.write(reinterpret_cast<const char*>(&mask), 4);
  }
  std::printf("wrote %llu events to %s\n", static_cast<unsigned long long>(n), path);
  return out ? 0 : 1;
}

}  // namespace
}  // namespace clickagg

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--export_events=", 16) == 0) return clickagg::export_events(argv[i] + 16);
  std::string why;
  if (!clickagg::gpu_available(&why)) {
    std::fprintf(stderr, "no CUDA device: %s\n", why.c_str());
    return 1;
  }
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) benchmark::AddCustomContext("gpu", prop.name);
  benchmark::AddCustomContext("host_threads", std::to_string(std::thread::hardware_concurrency()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
