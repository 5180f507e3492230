// The CUDA engine (design: gpu_engine_impl.h). Host orchestration only; the kernels live in
// chunk_pipeline.cu, device_window_table.cu and topn_select.cu.
#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "host/common/time_util.h"
#include "host/engine/row_order.h"
#include "host/engine/topn_order.h"
#include "kernels/cuda_check.h"
#include "kernels/gpu_engine_impl.h"

namespace clickagg::gpu {

namespace {

unsigned resolve_threads(unsigned requested) {
  if (requested != 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

// Seconds between two completed events.
double elapsed_seconds(cudaEvent_t begin, cudaEvent_t end) {
  float ms = 0;
  CLICKAGG_CUDA(cudaEventElapsedTime(&ms, begin, end));
  return static_cast<double>(ms) / 1000.0;
}

// The engine's device error word (device_layout.h), zeroed.
DeviceArray<unsigned> error_word() {
  DeviceArray<unsigned> w(nullptr, false);
  w.assign_exact(1);
  CLICKAGG_CUDA(cudaMemset(w.data(), 0, sizeof(unsigned)));
  return w;
}

}  // namespace

CudaStreams::CudaStreams(int device) {
  CLICKAGG_CUDA(cudaSetDevice(device));
  CLICKAGG_CUDA(cudaStreamCreateWithFlags(&compute, cudaStreamNonBlocking));
  CLICKAGG_CUDA(cudaStreamCreateWithFlags(&copy, cudaStreamNonBlocking));
  for (int s = 0; s < 2; ++s) {
    CLICKAGG_CUDA(cudaEventCreateWithFlags(&copied[s], cudaEventDisableTiming));
    CLICKAGG_CUDA(cudaEventCreateWithFlags(&released[s], cudaEventDisableTiming));
    CLICKAGG_CUDA(cudaEventCreate(&copy_begin[s]));
    CLICKAGG_CUDA(cudaEventCreate(&copy_end[s]));
  }
  CLICKAGG_CUDA(cudaEventCreate(&chunks_begin));
  CLICKAGG_CUDA(cudaEventCreate(&chunks_end));
}

CudaStreams::~CudaStreams() {
  // Nothing can be reported from a destructor; a failure here leaks at worst.
  for (cudaStream_t s : {compute, copy})
    if (s != nullptr) (void)cudaStreamSynchronize(s);
  for (int s = 0; s < 2; ++s) {
    if (copied[s] != nullptr) (void)cudaEventDestroy(copied[s]);
    if (released[s] != nullptr) (void)cudaEventDestroy(released[s]);
    if (copy_begin[s] != nullptr) (void)cudaEventDestroy(copy_begin[s]);
    if (copy_end[s] != nullptr) (void)cudaEventDestroy(copy_end[s]);
  }
  if (chunks_begin != nullptr) (void)cudaEventDestroy(chunks_begin);
  if (chunks_end != nullptr) (void)cudaEventDestroy(chunks_end);
  if (copy != nullptr) (void)cudaStreamDestroy(copy);
  if (compute != nullptr) (void)cudaStreamDestroy(compute);
}

EngineConfig GpuEngine::checked(EngineConfig c) {
  // The same checks and normalisation as the CPU engine.
  if (c.topn_windows.empty()) c.topn_windows = {1};
  for (uint32_t m : c.topn_windows)
    if (m == 0 || m > 10080) throw std::invalid_argument("top-N window sizes must be 1..10080 minutes");
  if (c.top_n == 0) throw std::invalid_argument("top-N size must be at least 1");
  if (c.delay_ms < 0 || c.allowed_lateness_ms < 0) throw std::invalid_argument("delay and lateness must be >= 0");
  std::sort(c.topn_windows.begin(), c.topn_windows.end());
  c.topn_windows.erase(std::unique(c.topn_windows.begin(), c.topn_windows.end()), c.topn_windows.end());
  return c;
}

GpuEngine::GpuEngine(const EngineConfig& config, const GpuOptions& options)
    : cfg_(checked(config)),
      opt_(options),
      max_window_(cfg_.topn_windows.back()),
      wm_(cfg_.delay_ms, cfg_.idle_timeout_ms),
      life_(cfg_.allowed_lateness_ms, max_window_),
      streams_(options.device),
      d_error_(error_word()),
      filters_(cfg_.filters),
      table_(std::make_unique<DeviceWindowTable>(streams_.compute, options.min_table_slots, d_error_.data())),
      pipeline_(streams_.compute, d_error_.data()),
      selector_(streams_.compute, d_error_.data()),
      packer_(resolve_threads(cfg_.threads)),
      rows_d_{DeviceArray<DeviceEvent>(nullptr, false), DeviceArray<DeviceEvent>(nullptr, false)},
      blob_d_{DeviceArray<char>(nullptr, false), DeviceArray<char>(nullptr, false)} {
  // Chunks are bounded so that their expansion into group keys (events x slots) stays within
  // kMaxChunkExpansions, and blob offsets within 32 bits.
  const size_t per_event = static_cast<size_t>(filters_.slots());
  limits_.events = std::clamp<size_t>(opt_.chunk_events, 1, std::max<size_t>(1, kMaxChunkExpansions / per_event));
  limits_.blob_bytes = std::clamp<size_t>(opt_.chunk_blob_bytes, 1, size_t(1) << 31);

  // The tables come and go with minutes: keep freed memory in the pool instead of returning
  // it to the driver at every synchronisation.
  cudaMemPool_t pool = nullptr;
  CLICKAGG_CUDA(cudaDeviceGetDefaultMemPool(&pool, opt_.device));
  uint64_t keep = std::numeric_limits<uint64_t>::max();
  CLICKAGG_CUDA(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
  // The filter upload and the error word's memset ran on the legacy default stream, which the
  // engine's non-blocking streams do not wait for: finish them before any kernel can read them.
  CLICKAGG_CUDA(cudaDeviceSynchronize());
}

GpuEngine::~GpuEngine() {
  (void)cudaSetDevice(opt_.device);
  (void)cudaStreamSynchronize(streams_.copy);
  (void)cudaStreamSynchronize(streams_.compute);
}

void GpuEngine::select_device() const { CLICKAGG_CUDA(cudaSetDevice(opt_.device)); }

void GpuEngine::process(uint32_t partition, std::span<const Event> events, int64_t now_ms, ResultSink& sink) {
  // Rows hold these lengths in narrow fields; decoded events are far inside them. Checked
  // before any state changes, so a rejected batch leaves the engine as it was.
  for (const Event& ev : events) {
    if (ev.ad_id.size() > 255 || ev.country.len > kMaxCountryLen || ev.user_id.size() > 0xFFFFFFFFull ||
        ev.click_id.size() > 0xFFFFFFFFull)
      throw std::invalid_argument("GPU engine: event field too long (ad_id over 255 bytes or country over 16)");
  }
  select_device();
  const size_t n = events.size();
  wm_.touch(partition, now_ms);
  stats_.events += n;
  minute_.resize(n);
  verdict_.resize(n);
  kept_.clear();

  // Judge each event against the watermark just before it (CpuEngine::process, step 1).
  const int64_t others = wm_.others_min(partition, now_ms);
  int64_t w = wm_.current();
  int64_t pmax = wm_.partition_max(partition);
  for (size_t i = 0; i < n; ++i) {
    const Event& ev = events[i];
    minute_[i] = minute_of(ev.t_ms);
    verdict_[i] = life_.judge(minute_[i], w);
    if (verdict_[i] == Verdict::DroppedLate) {
      ++stats_.dropped_late;
      sink.on_late(LateRecord{partition, ev.position, std::string(ev.ad_id), ev.t_ms, w});
    } else {
      kept_.push_back(static_cast<uint32_t>(i));
    }
    pmax = std::max(pmax, ev.t_ms);
    w = std::max(w, std::min(others, wm_.from_max(pmax)));
  }
  wm_.set_partition_max(partition, pmax);

  run_chunks(events);

  wm_.raise_to(w);
  apply(life_.advance(wm_.current()), sink);
}

PackedChunk GpuEngine::stage(std::span<const Event> events, int slot, size_t& pos) {
  // The pinned buffer may be rewritten once its previous upload is done.
  CLICKAGG_CUDA(cudaEventSynchronize(streams_.copied[slot]));
  PackedChunk c = packer_.pack(events, kept_, minute_, verdict_, pos, limits_, ads_, filters_, rows_h_[slot], blob_h_[slot]);
  pos = c.end;
  const size_t blob_bytes = std::max<size_t>(c.blob_bytes, 1);
  if (rows_d_[slot].size() < c.size() || blob_d_[slot].size() < blob_bytes) {
    // The device buffer may be replaced once the kernels of its previous chunk are done.
    CLICKAGG_CUDA(cudaEventSynchronize(streams_.released[slot]));
    rows_d_[slot].reserve_discard(c.size());
    blob_d_[slot].reserve_discard(blob_bytes);
  }
  CLICKAGG_CUDA(cudaStreamWaitEvent(streams_.copy, streams_.released[slot], 0));
  CLICKAGG_CUDA(cudaEventRecord(streams_.copy_begin[slot], streams_.copy));
  CLICKAGG_CUDA(cudaMemcpyAsync(rows_d_[slot].data(), rows_h_[slot].data(), c.size() * sizeof(DeviceEvent),
                                cudaMemcpyHostToDevice, streams_.copy));
  if (c.blob_bytes > 0)
    CLICKAGG_CUDA(cudaMemcpyAsync(blob_d_[slot].data(), blob_h_[slot].data(), c.blob_bytes, cudaMemcpyHostToDevice,
                                  streams_.copy));
  CLICKAGG_CUDA(cudaEventRecord(streams_.copy_end[slot], streams_.copy));
  CLICKAGG_CUDA(cudaEventRecord(streams_.copied[slot], streams_.copy));
  return c;
}

void GpuEngine::run_chunks(std::span<const Event> events) {
  if (kept_.empty()) return;
  size_t pos = 0;
  int slot = 0;
  PackedChunk cur = stage(events, slot, pos);
  // The span starts once the first upload is done, so it holds no copy time.
  CLICKAGG_CUDA(cudaStreamWaitEvent(streams_.compute, streams_.copied[slot], 0));
  CLICKAGG_CUDA(cudaEventRecord(streams_.chunks_begin, streams_.compute));
  pipeline_.start(cur, rows_d_[slot].data(), blob_d_[slot].data(), streams_.copied[slot], *table_, filters_.ref());
  ChunkCounts counts;
  while (true) {
    // Pack and upload the next chunk while the device works on this one.
    std::optional<PackedChunk> next;
    if (pos < kept_.size()) next = stage(events, slot ^ 1, pos);
    pipeline_.finish(cur, *table_, filters_.ref(), streams_.released[slot], counts);
    // finish() synchronised with kernels that waited for this slot's upload: its events are done.
    copy_seconds_ += elapsed_seconds(streams_.copy_begin[slot], streams_.copy_end[slot]);
    absorb(cur, counts);
    if (!next) break;
    slot ^= 1;
    cur = std::move(*next);
    pipeline_.start(cur, rows_d_[slot].data(), blob_d_[slot].data(), streams_.copied[slot], *table_, filters_.ref());
  }
  CLICKAGG_CUDA(cudaEventRecord(streams_.chunks_end, streams_.compute));
  pipeline_.drain(*table_);  // synchronises the compute stream
  chunk_seconds_ += elapsed_seconds(streams_.chunks_begin, streams_.chunks_end);
}

void GpuEngine::absorb(const PackedChunk& chunk, const ChunkCounts& counts) {
  uint64_t counted = 0;
  for (size_t l = 0; l < chunk.minutes.size(); ++l) {
    life_.on_counted(chunk.minutes[l], counts.open[l], false);
    life_.on_counted(chunk.minutes[l], counts.late[l], true);
    counted += counts.open[l] + counts.late[l];
    stats_.late_counted += counts.late[l];
  }
  stats_.counted += counted;
  stats_.duplicates += chunk.size() - counted;
}

void GpuEngine::tick(int64_t now_ms, ResultSink& sink) {
  select_device();
  apply(life_.advance(wm_.advance(now_ms)), sink);
}

void GpuEngine::finish(ResultSink& sink) {
  select_device();
  wm_.raise_to(kEndOfTime);
  apply(life_.advance(kEndOfTime), sink);
}

std::vector<std::pair<std::string, double>> GpuEngine::stage_seconds() const {
  return {{"h2d_copy", copy_seconds_}, {"device_chunks", chunk_seconds_}, {"emit", emit_seconds_}};
}

EngineStats GpuEngine::stats() const {
  EngineStats s = stats_;
  s.watermark_ms = wm_.current();
  return s;
}

WindowResult GpuEngine::window_result(int64_t minute, bool correction) const {
  WindowResult r;
  r.minute = minute;
  r.correction = correction;
  const std::vector<CountSlot> entries = table_->counts(minute);
  r.rows.reserve(entries.size());
  for (const CountSlot& e : entries) {
    const uint32_t ad = key_ad(e.key), slot = key_slot(e.key);
    if (ad >= ads_.size() || slot >= filters_.slots()) throw std::logic_error("GPU engine: count key out of range");
    r.rows.push_back(CountRow{std::string(ads_.name(ad)), filters_.filter_id(slot), e.count});
  }
  sort_rows(r.rows);
  return r;
}

void GpuEngine::emit_topn(int64_t minute, bool correction, ResultSink& sink) {
  const uint32_t slots = filters_.slots();
  const size_t nwin = cfg_.topn_windows.size();
  std::vector<std::vector<TopNEntry>> lists(slots * nwin);
  // Window sizes ascend: one accumulation over minutes e, e-1, ... serves all of them.
  selector_.begin();
  size_t wi = 0;
  for (uint32_t age = 0; age < max_window_ && wi < nwin; ++age) {
    selector_.add_minute(*table_, minute - static_cast<int64_t>(age));
    while (wi < nwin && cfg_.topn_windows[wi] == age + 1) {
      selector_.candidates(cfg_.top_n, slots, candidates_);
      for (const TopNCandidate& c : candidates_) {
        if (c.ad >= ads_.size() || c.slot >= slots) throw std::logic_error("GPU engine: top-N candidate out of range");
        lists[c.slot * nwin + wi].push_back(TopNEntry{std::string(ads_.name(c.ad)), c.count});
      }
      ++wi;
    }
  }
  for (uint32_t slot = 0; slot < slots; ++slot) {
    for (size_t w = 0; w < nwin; ++w) {
      TopNList list;
      list.minute = minute;
      list.window = cfg_.topn_windows[w];
      list.filter_id = filters_.filter_id(slot);
      list.correction = correction;
      list.entries = std::move(lists[slot * nwin + w]);
      // Candidates include every ad tied with the N-th: the name order settles them here.
      keep_top(list.entries, cfg_.top_n);
      // An empty list says nothing a subscriber cannot infer; only a correction that empties
      // a list must be sent.
      if (!list.entries.empty() || correction) sink.on_topn(list);
    }
  }
}

void GpuEngine::apply(const WindowPlan& plan, ResultSink& sink) {
  if (plan.empty()) return;
  const auto t0 = std::chrono::steady_clock::now();
  const EmissionOrder order = emission_order(plan);
  for (const auto& [m, correction] : order.windows) {
    sink.on_window(window_result(m, correction));
    if (correction) ++stats_.corrections;
    else ++stats_.windows_closed;
  }
  for (const auto& [e, correction] : order.lists) emit_topn(e, correction, sink);
  for (int64_t m : plan.purge) table_->purge_fingerprints(m);
  for (int64_t m : plan.forget) table_->forget_counts(m);
  emit_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config, const GpuOptions& options) {
  std::string why;
  if (!device_available(&why)) throw std::runtime_error("no usable CUDA device: " + why);
  return std::make_unique<GpuEngine>(config, options);
}

std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config) { return make_gpu_engine(config, GpuOptions{}); }

}  // namespace clickagg::gpu
