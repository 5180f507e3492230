// The GPU engine's figures, in one process on a GPU machine (bench/gpu_perf.sh runs it):
//   bounds       a pinned host-to-device copy and a device-to-device copy of the rows the device
//                pipeline reads (64 bytes an event): the ceilings the pipeline is measured against;
//   device       dedup + filters + group-by on the device for rows already there (no copy), per
//                workload and filter count;
//   copy-in      the same with the columns rows are built from uploaded (from pinned memory)
//                and the rows built on the device first, as the engine does per batch;
//   gpu engine   the whole engine: process() of one batch in columns, then finish();
//   cpu engine   the CPU engine on every core of the machine, the same batches;
//   gpu stream   the whole engine fed the main workload in batches of 2^18 events in time order, as a
//                consumer's micro-batches come (every batch after the first finds its minutes'
//                tables: one synchronisation each where it emits nothing), with the host's
//                waits per batch; cpu stream: the CPU engine, the same batches.
// Workloads are generated once, in parallel: 2 M ads with Zipf 0, 1.1 and 1.5 popularity, and
// Zipf 1.1 with one ad taking every other click ("hot"). Buffers and engines are made outside
// the timed region, every figure is the median of --reps timed runs after a warm-up run, and
// device work is timed with CUDA events. No Google Benchmark: the GPU machine has none.
//   gpu_perf [--events N] [--reps R] [--out DIR] [--export FILE]
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/common/time_util.h"
#include "host/decode/event_columns.h"
#include "host/engine/ad_dictionary.h"
#include "host/engine/engine.h"
#include "host/engines/engines.h"
#include "host/engine/engine_backend.h"
#include "host/gen/event_set.h"
#include "kernels/chunk_pipeline.h"
#include "kernels/device_dictionary.h"
#include "kernels/device_judge.h"
#include "kernels/device_window_table.h"
#include "kernels/device_memory.h"
#include "kernels/device_rows.h"
#include "kernels/filter_table.h"
#include "kernels/gpu_engine.h"
#include "kernels/system/runtime.h"

// A failed CUDA call ends the benchmark with the call named.
#define CLICKAGG_CUDA(call)                                                                       \
  do {                                                                                            \
    const cudaError_t err_ = (call);                                                              \
    if (err_ != cudaSuccess) {                                                                    \
      std::fprintf(stderr, "gpu_perf: %s: %s (%s:%d)\n", #call, cudaGetErrorString(err_), __FILE__, \
                   __LINE__);                                                                     \
      std::exit(1);                                                                               \
    }                                                                                             \
  } while (0)

namespace clickagg {
namespace {

class NullSink final : public ResultSink {
 public:
  void on_window(const WindowResult& w) override { rows += w.rows.size(); }
  void on_topn(const TopNList& t) override { rows += t.entries.size(); }
  void on_late(const LateRecord&) override {}
  uint64_t rows = 0;
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

struct Workload {
  std::string name;
  EventColumns columns;
};

// Fills w.columns (in the memory they were made with: pinned for the timed rows, as the
// engine's batches are decoded into Engine::batch_memory()).
void make_workload(Workload& w, double zipf, bool hot, size_t n) {
  gen::GenConfig cfg;
  cfg.seed = 42;
  cfg.count = n;
  cfg.ads = 2'000'000;
  cfg.zipf = zipf;
  cfg.events_per_second = 100'000;
  cfg.out_of_order = 0.05;
  cfg.duplicate = 0.02;
  gen::EventSet set = gen::generate_event_set(cfg);
  if (hot)
    for (size_t i = 0; i < set.events.size(); i += 2) set.events[i].ad_id = "hot-ad";
  w.columns.reserve(set.events.size(), set.events.size() * 24);
  for (const Event& ev : set.events) w.columns.append(ev);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Row {
  std::string step, workload;
  int filters = 0;
  size_t events = 0;
  double ms = 0;
  double bytes_per_event = 0;  // bytes the step moves per event, as counted in kernels/NOTES.md
  uint64_t counted = 0;  // events counted; dictionary rows: names interned; judge rows: events kept
  double waits_per_batch = 0;  // stream rows of the GPU engine: the host's waits for the device
};
std::vector<Row> g_rows;

void report(const Row& r) {
  g_rows.push_back(r);
  std::printf("%-12s %-8s %3d filters %9zu events %9.2f ms %9.1f M ev/s\n", r.step.c_str(), r.workload.c_str(), r.filters,
              r.events, r.ms, r.events / r.ms / 1e3);
  std::fflush(stdout);
}

// Times fn on `stream` with events: a warm-up, then `reps` runs; milliseconds, median.
double time_device(cudaStream_t stream, int reps, const std::function<void()>& fn) {
  cudaEvent_t a, b;
  CLICKAGG_CUDA(cudaEventCreate(&a));
  CLICKAGG_CUDA(cudaEventCreate(&b));
  fn();
  CLICKAGG_CUDA(cudaStreamSynchronize(stream));
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    CLICKAGG_CUDA(cudaEventRecord(a, stream));
    fn();
    CLICKAGG_CUDA(cudaEventRecord(b, stream));
    CLICKAGG_CUDA(cudaEventSynchronize(b));
    float ms = 0;
    CLICKAGG_CUDA(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  CLICKAGG_CUDA(cudaEventDestroy(a));
  CLICKAGG_CUDA(cudaEventDestroy(b));
  return median(t);
}

void bounds(cudaStream_t stream, size_t events, int reps) {
  const size_t bytes = events * sizeof(gpu::DeviceEvent);
  gpu::PinnedArray<char> host;
  host.reserve_discard(bytes);
  std::memset(host.data(), 1, bytes);
  gpu::DeviceArray<char> a(nullptr, false), b(nullptr, false);
  a.assign_exact(bytes);
  b.assign_exact(bytes);
  const double h2d = time_device(stream, reps, [&] {
    CLICKAGG_CUDA(cudaMemcpyAsync(a.data(), host.data(), bytes, cudaMemcpyHostToDevice, stream));
  });
  const double d2d = time_device(stream, reps, [&] {
    CLICKAGG_CUDA(cudaMemcpyAsync(b.data(), a.data(), bytes, cudaMemcpyDeviceToDevice, stream));
  });
  report(Row{"bound h2d", "-", 0, events, h2d, static_cast<double>(sizeof(gpu::DeviceEvent)), 0});
  // A device copy reads and writes every byte.
  report(Row{"bound d2d", "-", 0, events, d2d, 2.0 * sizeof(gpu::DeviceEvent), 0});
  std::printf("  h2d %.1f GB/s, d2d %.1f GB/s (read + write)\n", bytes / h2d / 1e6, 2.0 * bytes / d2d / 1e6);
}

// A workload judged and interned once on the device, as the engine does it (judged with a
// delay past the workload's span: every event open), and its rows built per chunk: the
// device row measures the pipeline on rows already built; the copy-in row uploads the columns
// rows are built from and builds them, as the engine does per batch.
struct Packed {
  std::unique_ptr<gpu::DeviceJudge> judge;
  std::unique_ptr<gpu::DeviceDictionary> dict;
  std::unique_ptr<gpu::DeviceRows> rows;
  BatchJudgement j;
  size_t kept = 0;
  size_t chunk_events = 0;
  std::vector<gpu::PackedChunk> chunks;
  std::vector<gpu::DeviceArray<gpu::DeviceEvent>> rows_d;
  gpu::DeviceArray<uint32_t> ads_d{nullptr, false};  // ad index per event (the dictionary's output)
  uint32_t ads = 0;                                  // distinct ads (every index is below)
  gpu::KeptEvents events() const {
    return gpu::KeptEvents{judge->kept(), kept, judge->verdict(), judge->local(), j.minutes};
  }
  // Chunk k's histogram, as the engine sets it up (a batch of one chunk: the judgement's).
  void histogram(size_t k) {
    const gpu::PackedChunk& c = chunks[k];
    if (chunks.size() == 1) rows->whole_batch(events(), judge->minute_events());
    else rows->histogram(events(), c.begin, chunk_events);
  }
};

Packed pack(cudaStream_t stream, unsigned* d_error, const EventColumns& b, const gpu::DeviceFilterTable& ftable) {
  const size_t n = b.size();
  Packed p;
  p.judge = std::make_unique<gpu::DeviceJudge>(stream, d_error);
  p.dict = std::make_unique<gpu::DeviceDictionary>(stream, d_error);
  p.rows = std::make_unique<gpu::DeviceRows>(stream);
  gpu::DeviceArray<int64_t> t(nullptr, false);
  t.assign_exact(n);
  CLICKAGG_CUDA(cudaMemcpy(t.data(), b.t_ms.data(), n * sizeof(int64_t), cudaMemcpyHostToDevice));
  p.rows->upload(b, ftable.uses_users());
  JudgeRule rule;
  rule.delay_ms = int64_t(1) << 60;
  p.judge->judge(t.data(), n, rule, p.j);
  p.kept = n - p.j.dropped.size();
  gpu::AdsIn in{{b.text.data(), b.text.size()}, {b.ad_off.data(), n}, {b.ad_len.data(), n}, {b.ad_hash.data(), n}, {}};
  in.d_kept = p.judge->kept();
  in.kept_n = p.kept;
  const uint32_t* ads = p.dict->intern(in);
  p.dict->settle();
  p.ads = p.dict->size();
  p.ads_d.assign_exact(p.kept);
  CLICKAGG_CUDA(cudaMemcpyAsync(p.ads_d.data(), ads, p.kept * sizeof(uint32_t), cudaMemcpyDeviceToDevice, stream));
  gpu::ChunkLimits limits;
  p.chunk_events = std::min<size_t>(limits.events, gpu::kMaxChunkExpansions / ftable.slots());
  // The chunks' extents, then their rows.
  const bool whole = p.kept <= p.chunk_events && p.j.minutes.size() <= gpu::kMaxChunkMinutes;
  for (size_t pos = 0; pos < p.kept;) {
    p.rows_d.emplace_back(nullptr, false);
    if (whole) p.rows->whole_batch(p.events(), p.judge->minute_events());
    else p.rows->histogram(p.events(), pos, p.chunk_events);
    p.chunks.push_back(p.rows->build(p.events(), pos, ftable.ref(), ftable.users(), p.dict->text(), p.rows_d.back()));
    pos = p.chunks.back().end;
  }
  CLICKAGG_CUDA(cudaStreamSynchronize(stream));
  return p;
}

// The bytes per event the copy-in row uploads: the columns rows are built from.
double row_column_bytes(bool users) {
  return sizeof(Hash128) + sizeof(Ip16) + sizeof(uint16_t) + (users ? 8 + 4 + 2 : 0);
}

void device_pipeline(cudaStream_t stream, const Workload& w, int nfilters, bool copy_in, int reps) {
  gpu::DeviceArray<unsigned> error(nullptr, false);
  error.assign_exact(1);
  CLICKAGG_CUDA(cudaMemset(error.data(), 0, sizeof(unsigned)));
  gpu::DeviceFilterTable ftable(make_filters(nfilters));
  CLICKAGG_CUDA(cudaDeviceSynchronize());
  Packed p = pack(stream, error.data(), w.columns, ftable);
  gpu::ChunkPipeline pipeline(stream, error.data());
  gpu::ChunkCounts counts;
  uint64_t counted = 0;
  // Fresh tables for every run, made (and their first capacity allocated) before the clock
  // starts: a run counts every event as new.
  std::vector<std::unique_ptr<gpu::DeviceWindowTable>> tables;
  for (int r = 0; r < reps + 1; ++r) tables.push_back(std::make_unique<gpu::DeviceWindowTable>(stream, 1 << 20, error.data()));
  CLICKAGG_CUDA(cudaStreamSynchronize(stream));
  size_t run = 0;
  const double ms = time_device(stream, reps, [&] {
    gpu::DeviceWindowTable& table = *tables[run++];
    counted = 0;
    // The columns come from pinned memory (the workloads are built in it), as the engine's
    // batches do.
    if (copy_in) p.rows->upload(w.columns, ftable.uses_users());
    for (size_t k = 0; k < p.chunks.size(); ++k) {
      const gpu::PackedChunk& c = p.chunks[k];
      if (copy_in) {
        p.histogram(k);
        p.rows->build(p.events(), c.begin, ftable.ref(), ftable.users(), p.dict->text(), p.rows_d[k]);
      }
      pipeline.start(c, p.rows_d[k].data(), p.ads_d.data() + c.begin, p.ads, table, ftable.ref());
      pipeline.finish(c, table, ftable.ref(), counts);
      for (size_t l = 0; l < counts.open.size(); ++l) counted += counts.open[l] + counts.late[l];
    }
    pipeline.drain(table);
  });
  report(Row{copy_in ? "copy-in" : "device", w.name, nfilters, w.columns.size(), ms,
             copy_in ? row_column_bytes(ftable.uses_users()) : static_cast<double>(sizeof(gpu::DeviceEvent)), counted});
}

// The ad dictionary on a whole batch (device_dictionary.h), host clock: the upload of the ad
// columns and text, the kernels, the one synchronisation and the new names' readback. "dict new":
// into an empty dictionary (every name new, the table allocated); "dict known": the same batch
// again (the steady state: no name new).
void dictionary(cudaStream_t stream, const Workload& w, int reps) {
  gpu::DeviceArray<unsigned> error(nullptr, false);
  error.assign_exact(1);
  CLICKAGG_CUDA(cudaMemset(error.data(), 0, sizeof(unsigned)));
  CLICKAGG_CUDA(cudaDeviceSynchronize());
  const EventColumns& c = w.columns;
  std::vector<uint32_t> kept(c.size());
  std::iota(kept.begin(), kept.end(), 0u);
  const gpu::AdsIn in{{c.text.data(), c.text.size()}, {c.ad_off.data(), c.size()}, {c.ad_len.data(), c.size()},
                      {c.ad_hash.data(), c.size()}, kept};
  std::vector<double> fresh, known;
  uint32_t names = 0;
  for (int r = 0; r < reps + 1; ++r) {
    gpu::DeviceDictionary d(stream, error.data());
    const auto t0 = std::chrono::steady_clock::now();
    d.intern(in);
    d.settle();  // the new names back on the host
    const auto t1 = std::chrono::steady_clock::now();
    d.intern(in);
    d.settle();
    const auto t2 = std::chrono::steady_clock::now();
    if (r > 0) {  // the first run warms up
      fresh.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      known.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    names = d.size();
  }
  const double bytes = (static_cast<double>(c.text.size()) + c.size() * (4.0 + 1 + 8 + 4)) / static_cast<double>(c.size());
  report(Row{"dict new", w.name, 0, c.size(), median(fresh), bytes, names});
  report(Row{"dict known", w.name, 0, c.size(), median(known), bytes, names});
}

// The watermark judgement of a whole batch (device_judge.h) on device-resident event times,
// host clock: the scan and judging kernels, the one synchronisation with the lists' heads, the
// minutes' upload and the index kernel (waited for).
void judging(cudaStream_t stream, const Workload& w, int reps) {
  gpu::DeviceArray<unsigned> error(nullptr, false);
  error.assign_exact(1);
  CLICKAGG_CUDA(cudaMemset(error.data(), 0, sizeof(unsigned)));
  const EventColumns& c = w.columns;
  gpu::DeviceArray<int64_t> t(nullptr, false);
  t.assign_exact(c.size());
  CLICKAGG_CUDA(cudaMemcpy(t.data(), c.t_ms.data(), c.size() * sizeof(int64_t), cudaMemcpyHostToDevice));
  CLICKAGG_CUDA(cudaDeviceSynchronize());
  JudgeRule rule;
  rule.delay_ms = 60'000;
  gpu::DeviceJudge judge(stream, error.data());
  BatchJudgement out;
  std::vector<double> ms;
  for (int r = 0; r < reps + 1; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    judge.judge(t.data(), c.size(), rule, out);
    CLICKAGG_CUDA(cudaStreamSynchronize(stream));
    const auto t1 = std::chrono::steady_clock::now();
    if (r > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());  // the first warms up
  }
  report(Row{"judge", w.name, 0, c.size(), median(ms), 94, c.size() - out.dropped.size()});
}

EngineConfig engine_config(int nfilters, unsigned threads) {
  EngineConfig cfg;
  cfg.filters = make_filters(nfilters);
  cfg.threads = threads;
  cfg.topn_windows = {1, 5, 60};
  return cfg;
}

void whole_engine(bool gpu, const Workload& w, int nfilters, int reps) {
  const EngineConfig cfg = engine_config(nfilters, std::thread::hardware_concurrency());
  gpu::GpuOptions opt;
  opt.staging_events = w.columns.size();
  auto make = [&] { return gpu ? gpu::make_gpu_engine(cfg, opt) : make_cpu_engine(cfg); };
  std::vector<double> t;
  uint64_t counted = 0;
  for (int r = 0; r < reps + 1; ++r) {
    auto engine = make();  // made (device buffers and pinned staging included) off the clock
    NullSink sink;
    const auto t0 = std::chrono::steady_clock::now();
    engine->process(0, w.columns, 0, sink);
    engine->finish(sink);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) t.push_back(ms);  // the first run warms up
    counted = engine->stats().counted;
  }
  // What the engine is handed per event: its columns (text included).
  const EventColumns& c = w.columns;
  const double bytes = (c.size() * (8 + 8 + 16 + 8 + 4 + 1 + 8 + 4 + 2 + 16 + 2) + c.text.size()) / double(c.size());
  report(Row{gpu ? "gpu engine" : "cpu engine", w.name, nfilters, c.size(), median(t), bytes, counted});
}

void engine_stream(bool gpu, const Workload& w, int nfilters, int reps, size_t batch) {
  const EngineConfig cfg = engine_config(nfilters, std::thread::hardware_concurrency());
  const EventColumns& c = w.columns;
  const size_t parts = std::max<size_t>(1, (c.size() + batch - 1) / batch);
  gpu::GpuOptions opt;
  opt.directory_events = batch;
  opt.staging_events = c.size() / parts + 1;
  std::vector<double> t;
  uint64_t counted = 0, waits = 0;
  for (int r = 0; r < reps + 1; ++r) {
    auto engine = gpu ? gpu::make_gpu_engine(cfg, opt) : make_cpu_engine(cfg);
    std::vector<EventColumns> batches;  // in the engine's batch memory, made off the clock
    for (size_t k = 0; k < parts; ++k) {
      batches.emplace_back(engine->batch_memory());
      batches.back().append(c, c.size() * k / parts, c.size() * (k + 1) / parts);
    }
    NullSink sink;
    const uint64_t w0 = gpu::sys::host_waits();
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t k = 0; k < parts; ++k) engine->process(0, batches[k], static_cast<int64_t>(k), sink);
    engine->finish(sink);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r > 0) t.push_back(ms);
    waits = gpu::sys::host_waits() - w0;
    counted = engine->stats().counted;
    batches.clear();  // before the engine whose memory they are in
  }
  const double bytes = (c.size() * (8 + 8 + 16 + 8 + 4 + 1 + 8 + 4 + 2 + 16 + 2) + c.text.size()) / double(c.size());
  Row row{gpu ? "gpu stream" : "cpu stream", w.name, nfilters, c.size(), median(t), bytes, counted};
  if (gpu) row.waits_per_batch = static_cast<double>(waits) / static_cast<double>(parts);
  report(row);
  if (gpu) std::printf("gpu stream   %-8s host waits per batch (finish included): %.2f\n", w.name.c_str(), row.waits_per_batch);
}

// The batch for peers in other frameworks (bench/gpu_peer.py): a 16-byte header ("CKEV",
// version 1, record count) then per event, little-endian: uint32 ad index (first appearance
// order), int32 minute relative to the first event's, uint64 fingerprint lo, hi, uint32 bit
// mask of the 4 filters it matches (bit k: filter k in id order).
int export_events(const Workload& w, const char* path) {
  const EventColumns& c = w.columns;
  const FilterSet filters = make_filters(4);
  AdDictionary ads;
  std::ofstream out(path, std::ios::binary);
  const uint32_t head[2] = {0x56454b43u, 1u};
  const uint64_t n = c.size();
  out.write(reinterpret_cast<const char*>(head), sizeof head);
  out.write(reinterpret_cast<const char*>(&n), sizeof n);
  const int64_t base = minute_of(c.t_ms[0]);
  for (size_t i = 0; i < c.size(); ++i) {
    const uint32_t ad = ads.intern(0, c.ad_hash[i], c.ad_id(i), i);
    if (i % 4096 == 4095) ads.commit();
    const auto minute = static_cast<int32_t>(minute_of(c.t_ms[i]) - base);
    Event ev;
    ev.ad_id = c.ad_id(i);
    ev.user_id = c.user_id(i);
    ev.t_ms = c.t_ms[i];
    std::memcpy(ev.ip.bytes.data(), c.ip[i].b, 16);
    ev.country = c.country_of(i);
    uint32_t mask = 0;
    for (size_t k = 0; k < filters.defs().size(); ++k)
      if (filters.defs()[k].matches(ev)) mask |= 1u << k;
    out.write(reinterpret_cast<const char*>(&ad), 4);
    out.write(reinterpret_cast<const char*>(&minute), 4);
    out.write(reinterpret_cast<const char*>(&c.fp[i].lo), 8);
    out.write(reinterpret_cast<const char*>(&c.fp[i].hi), 8);
    out.write(reinterpret_cast<const char*>(&mask), 4);
  }
  std::printf("exported %llu events to %s\n", static_cast<unsigned long long>(n), path);
  return out ? 0 : 1;
}

}  // namespace
}  // namespace clickagg

int main(int argc, char** argv) {
  using namespace clickagg;
  size_t events = size_t(4) << 20;
  int reps = 5;
  std::string out_dir, export_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gpu_perf: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--events") events = std::stoull(value());
    else if (a == "--reps") reps = std::stoi(value());
    else if (a == "--out") out_dir = value();
    else if (a == "--export") export_path = value();
    else {
      std::fprintf(stderr, "usage: gpu_perf [--events N] [--reps R] [--out DIR] [--export FILE]\n");
      return 2;
    }
  }
  std::string why;
  if (!export_path.empty()) {
    // Exporting needs no device (the peer's input, made anywhere).
    Workload w{"zipf1.1", EventColumns()};
    make_workload(w, 1.1, false, events);
    return export_events(w, export_path.c_str());
  }
  if (!gpu_available(&why)) {
    std::fprintf(stderr, "gpu_perf: no usable CUDA device: %s\n", why.c_str());
    return 1;
  }
  cudaDeviceProp prop{};
  CLICKAGG_CUDA(cudaGetDeviceProperties(&prop, 0));
  std::printf("gpu: %s, %d SMs, %.0f GiB; host threads %u; %zu events per batch, median of %d\n", prop.name,
              prop.multiProcessorCount, prop.totalGlobalMem / double(1u << 30), std::thread::hardware_concurrency(),
              events, reps);

  // Workloads, generated once and in parallel.
  const std::vector<std::tuple<std::string, double, bool>> specs = {
      {"zipf0", 0.0, false}, {"zipf1.1", 1.1, false}, {"zipf1.5", 1.5, false}, {"hot", 1.1, true}};
  // Made in place: moving columns between memory resources would copy them out of pinned memory.
  std::vector<Workload> work;
  work.reserve(specs.size());
  for (const auto& spec : specs) work.push_back(Workload{std::get<0>(spec), EventColumns(gpu::pinned_memory())});
  {
    std::vector<std::thread> threads;
    for (size_t k = 0; k < specs.size(); ++k)
      threads.emplace_back([&, k] {
        const auto& [name, zipf, hot] = specs[k];
        make_workload(work[k], zipf, hot, events);
      });
    for (auto& t : threads) t.join();
  }
  const Workload& main_work = work[1];

  cudaStream_t stream = nullptr;
  CLICKAGG_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  try {
    bounds(stream, events, reps);
    for (const Workload& w : work)
      for (int f : {0, 4, 32}) device_pipeline(stream, w, f, false, reps);
    device_pipeline(stream, main_work, 4, true, reps);
    for (const Workload& w : work) dictionary(stream, w, reps);
    judging(stream, main_work, reps);
    for (const Workload& w : work) whole_engine(true, w, 4, std::min(reps, 3));
    for (const Workload& w : work) whole_engine(false, w, 4, std::min(reps, 3));
    engine_stream(true, main_work, 4, std::min(reps, 3), size_t(1) << 18);
    engine_stream(false, main_work, 4, std::min(reps, 3), size_t(1) << 18);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_perf: %s\n", e.what());
    return 1;
  }

  // The table, last.
  std::printf("\n%-12s %-8s %7s %9s %10s %11s %9s %11s\n", "step", "workload", "filters", "events", "ms (med)",
              "M events/s", "B/event", "counted");
  for (const Row& r : g_rows)
    std::printf("%-12s %-8s %7d %9zu %10.2f %11.1f %9.1f %11llu\n", r.step.c_str(), r.workload.c_str(), r.filters,
                r.events, r.ms, r.events / r.ms / 1e3, r.bytes_per_event, static_cast<unsigned long long>(r.counted));
  if (!out_dir.empty()) {
    std::ofstream csv(out_dir + "/gpu_perf.csv");
    csv << "step,workload,filters,events,ms_median,events_per_s,bytes_per_event,counted,waits_per_batch\n";
    for (const Row& r : g_rows)
      csv << r.step << ',' << r.workload << ',' << r.filters << ',' << r.events << ',' << r.ms << ','
          << r.events / r.ms * 1e3 << ',' << r.bytes_per_event << ',' << r.counted << ',' << r.waits_per_batch << '\n';
  }
  return 0;
}
