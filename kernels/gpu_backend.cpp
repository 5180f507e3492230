// The GPU engine's backend (design: gpu_backend.h). Host orchestration only; the kernels live
// in chunk_pipeline.cu, device_window_table.cu and topn_select.cu.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "host/engine/engine_driver.h"
#include "host/engine/stage_clock.h"
#include "kernels/gpu_backend.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// The engine's device error word (device_layout.h), zeroed.
DeviceArray<unsigned> error_word() {
  DeviceArray<unsigned> w(nullptr, false);
  w.assign_exact(1);
  sys::fill(w.data(), 0, sizeof(unsigned));
  return w;
}

}  // namespace

DeviceStreams::DeviceStreams(int device) {
  try {
    sys::select_device(device);
    compute = sys::create_stream();
    copy = sys::create_stream();
    for (int s = 0; s < 2; ++s) {
      copied[s] = sys::create_event(false);
      released[s] = sys::create_event(false);
      copy_begin[s] = sys::create_event(true);
      copy_end[s] = sys::create_event(true);
    }
    chunks_begin = sys::create_event(true);
    chunks_end = sys::create_event(true);
  } catch (...) {
    release();  // a constructor that throws runs no destructor
    throw;
  }
}

DeviceStreams::~DeviceStreams() { release(); }

void DeviceStreams::release() noexcept {
  // Nothing can be reported from here; a failure leaks at worst. The streams' work is waited
  // for first, so no event is destroyed while a stream may still record it.
  for (sys::Stream s : {compute, copy})
    if (s != nullptr) {
      try {
        sys::sync(s);
      } catch (...) {
      }
    }
  for (sys::Event* group : {copied, released, copy_begin, copy_end})
    for (int s = 0; s < 2; ++s) sys::destroy_event(std::exchange(group[s], nullptr));
  sys::destroy_event(std::exchange(chunks_begin, nullptr));
  sys::destroy_event(std::exchange(chunks_end, nullptr));
  sys::destroy_stream(std::exchange(copy, nullptr));
  sys::destroy_stream(std::exchange(compute, nullptr));
}

GpuBackend::GpuBackend(const EngineConfig& config, const GpuOptions& options, ThreadPool& pool)
    : cfg_(config),
      opt_(options),
      pool_(pool),
      streams_(options.device),
      d_error_(error_word()),
      dict_(streams_.compute, d_error_.data()),
      filters_(cfg_.filters),
      table_(std::make_unique<DeviceWindowTable>(streams_.compute, options.min_table_slots, d_error_.data())),
      pipeline_(streams_.compute, d_error_.data()),
      selector_(streams_.compute, d_error_.data()),
      packer_(pool),
      rows_d_{DeviceArray<DeviceEvent>(nullptr, false), DeviceArray<DeviceEvent>(nullptr, false)} {
  // Chunks are bounded so that their expansion into group keys (events x slots) stays within
  // kMaxChunkExpansions.
  const size_t per_event = static_cast<size_t>(filters_.slots());
  limits_.events = std::clamp<size_t>(opt_.chunk_events, 1, std::max<size_t>(1, kMaxChunkExpansions / per_event));

  if (opt_.staging_events > 0) {
    const size_t rows = std::min(opt_.staging_events, limits_.events);
    for (int s = 0; s < 2; ++s) {
      rows_h_[s].reserve_discard(rows);
      rows_d_[s].reserve_discard(rows);
    }
  }
  // The tables come and go with minutes: keep freed memory in the pool instead of returning
  // it to the driver at every synchronisation.
  sys::keep_freed_memory(opt_.device);
  // The filter upload and the error word's memset ran on the legacy default stream, which the
  // engine's non-blocking streams do not wait for: finish them before any kernel can read them.
  sys::device_sync();
}

GpuBackend::~GpuBackend() {
  try {
    sys::select_device(opt_.device);
    sys::sync(streams_.copy);
    sys::sync(streams_.compute);
  } catch (...) {
    // A device that failed cannot be waited for; what it still holds is released with it.
  }
}

void GpuBackend::select_device() const { sys::select_device(opt_.device); }

void GpuBackend::count(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally) {
  select_device();
  kept_.clear();
  for (size_t i = j.begin; i < j.end; ++i)
    if (j.verdict[i] != Verdict::DroppedLate) kept_.push_back(static_cast<uint32_t>(i));
  if (kept_.empty()) return;
  {
    StageClock c(dict_seconds_);
    d_ads_ = dict_.intern(AdsIn{{batch.text.data(), batch.text.size()},
                                {batch.ad_off.data(), batch.size()},
                                {batch.ad_len.data(), batch.size()},
                                {batch.ad_hash.data(), batch.size()},
                                kept_});
  }
  run_chunks(batch, j, tally);
}

PackedChunk GpuBackend::stage(const EventColumns& batch, const BatchJudgement& j, int slot, size_t& pos) {
  if (opt_.fail_at_chunk != 0 && ++*opt_.chunks_run == opt_.fail_at_chunk)
    sys::throw_out_of_memory("the failure injected at this chunk (CLICKAGG_GPU_FAIL_AT_CHUNK)");
  // The pinned buffer may be rewritten once its previous upload is done.
  sys::sync(streams_.copied[slot]);
  PackedChunk c = packer_.pack(batch, kept_, j, pos, limits_, filters_, rows_h_[slot]);
  pos = c.end;
  if (rows_d_[slot].size() < c.size()) {
    // The device buffer may be replaced once the kernels of its previous chunk are done.
    sys::sync(streams_.released[slot]);
    rows_d_[slot].reserve_discard(c.size());
  }
  sys::wait(streams_.copy, streams_.released[slot]);
  sys::record(streams_.copy_begin[slot], streams_.copy);
  sys::copy_async(rows_d_[slot].data(), rows_h_[slot].data(), c.size() * sizeof(DeviceEvent), sys::Copy::HostToDevice,
                  streams_.copy);
  sys::record(streams_.copy_end[slot], streams_.copy);
  sys::record(streams_.copied[slot], streams_.copy);
  return c;
}

void GpuBackend::run_chunks(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally) {
  size_t pos = 0;
  int slot = 0;
  PackedChunk cur = stage(batch, j, slot, pos);
  // The span starts once the first upload is done, so it holds no copy time.
  sys::wait(streams_.compute, streams_.copied[slot]);
  sys::record(streams_.chunks_begin, streams_.compute);
  pipeline_.start(cur, rows_d_[slot].data(), d_ads_ + cur.begin, streams_.copied[slot], *table_, filters_.ref());
  ChunkCounts counts;
  while (true) {
    // Pack and upload the next chunk while the device works on this one.
    std::optional<PackedChunk> next;
    if (pos < kept_.size()) next = stage(batch, j, slot ^ 1, pos);
    pipeline_.finish(cur, *table_, filters_.ref(), streams_.released[slot], counts);
    // finish() synchronised with kernels that waited for this slot's upload: its events are done.
    copy_seconds_ += sys::seconds_between(streams_.copy_begin[slot], streams_.copy_end[slot]);
    absorb(cur, counts, j, tally);
    if (!next) break;
    slot ^= 1;
    cur = std::move(*next);
    pipeline_.start(cur, rows_d_[slot].data(), d_ads_ + cur.begin, streams_.copied[slot], *table_, filters_.ref());
  }
  sys::record(streams_.chunks_end, streams_.compute);
  pipeline_.drain(*table_);  // synchronises the compute stream
  chunk_seconds_ += sys::seconds_between(streams_.chunks_begin, streams_.chunks_end);
}

void GpuBackend::absorb(const PackedChunk& chunk, const ChunkCounts& counts, const BatchJudgement& j,
                        BatchTally& tally) {
  uint64_t counted = 0;
  for (size_t l = 0; l < chunk.minutes.size(); ++l) {
    const auto it = std::lower_bound(j.minutes.begin(), j.minutes.end(), chunk.minutes[l]);
    const size_t local = static_cast<size_t>(it - j.minutes.begin());
    tally.open[local] += counts.open[l];
    tally.late[local] += counts.late[l];
    counted += counts.open[l] + counts.late[l];
  }
  tally.duplicates += chunk.size() - counted;
}

std::vector<std::pair<std::string, double>> GpuBackend::stage_seconds() const {
  return {{"dictionary", dict_seconds_}, {"h2d_copy", copy_seconds_}, {"device_chunks", chunk_seconds_}};
}

void GpuBackend::window_rows(int64_t minute, std::vector<CountRow>& out) {
  select_device();
  const std::vector<CountSlot> entries = table_->counts(minute);
  out.reserve(out.size() + entries.size());
  for (const CountSlot& e : entries) {
    const uint32_t ad = key_ad(e.key), slot = key_slot(e.key);
    if (ad >= dict_.size() || slot >= filters_.slots()) throw std::logic_error("GPU engine: count key out of range");
    out.push_back(CountRow{ad, filters_.filter_id(slot), e.count});
  }
}

void GpuBackend::topn(const TopNQuery& q, std::vector<std::vector<TopNEntry>>& out) {
  select_device();
  const uint32_t slots = filters_.slots();
  const size_t nwin = q.windows.size();
  const uint32_t max_window = q.windows.back();
  // Window sizes ascend: one accumulation over minutes e, e-1, ... serves all of them.
  selector_.begin();
  size_t wi = 0;
  for (uint32_t age = 0; age < max_window && wi < nwin; ++age) {
    selector_.add_minute(*table_, q.minute - static_cast<int64_t>(age));
    while (wi < nwin && q.windows[wi] == age + 1) {
      // Candidates include every ad tied with the N-th: the driver's name order settles them.
      selector_.candidates(q.top_n, slots, candidates_);
      for (const TopNCandidate& c : candidates_) {
        if (c.ad >= dict_.size() || c.slot >= slots) throw std::logic_error("GPU engine: top-N candidate out of range");
        out[c.slot * nwin + wi].push_back(TopNEntry{c.ad, c.count});
      }
      ++wi;
    }
  }
}

void GpuBackend::purge(int64_t minute) { table_->purge_fingerprints(minute); }
void GpuBackend::forget(int64_t minute) { table_->forget_counts(minute); }

void GpuBackend::for_each_fingerprint(int64_t minute, const std::function<void(const Hash128&)>& f) const {
  select_device();
  for (const Hash128& h : table_->fingerprints(minute)) f(h);
}

void GpuBackend::restore_counts(int64_t minute, std::span<const RestoredRow> rows) {
  select_device();
  std::vector<std::string_view> names;
  names.reserve(rows.size());
  for (const RestoredRow& r : rows) names.push_back(r.ad);
  const std::vector<uint32_t> ads = dict_.intern_names(names);
  std::vector<CountSlot>& items = restore_counts_[minute];
  for (size_t k = 0; k < rows.size(); ++k) items.push_back(CountSlot{count_key(rows[k].slot, ads[k]), rows[k].count});
}

void GpuBackend::restore_fingerprints(int64_t minute, std::span<const Hash128> fps) {
  restore_fps_[minute].assign(fps.begin(), fps.end());
}

void GpuBackend::restored() {
  select_device();
  // As in the CPU engine, a minute listed without rows or fingerprints leaves no table.
  for (const auto& [minute, items] : restore_counts_) table_->insert_counts(minute, items);
  for (const auto& [minute, fps] : restore_fps_) table_->insert_fingerprints(minute, fps);
  sys::sync(streams_.compute);
  restore_counts_.clear();
  restore_fps_.clear();
}

#if defined(CLICKAGG_DEVICE_HOST)
// The host system is always there (the CUDA system's probe is device_probe.cu).
bool device_available(std::string*) { return true; }
#endif

std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config, const GpuOptions& options) {
  std::string why;
  if (!device_available(&why)) throw std::runtime_error("no usable CUDA device: " + why);
  return std::make_unique<EngineDriver>(config, [options](const EngineConfig& c, ThreadPool& pool) {
    return std::make_unique<GpuBackend>(c, options, pool);
  });
}

std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config) {
  GpuOptions options;
  if (const char* v = std::getenv("CLICKAGG_GPU_FAIL_AT_CHUNK")) options.fail_at_chunk = std::strtoull(v, nullptr, 10);
  return make_gpu_engine(config, options);
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
