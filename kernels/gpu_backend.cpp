// The GPU engine's backend (design: gpu_backend.h). Host orchestration only; the kernels live
// in chunk_pipeline.cu, device_window_table.cu and topn_select.cu.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

#include "host/engine/engine_driver.h"
#include "host/engine/stage_clock.h"
#include "host/engine/window_move.h"
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
    upload_begin = sys::create_event(true);
    upload_end = sys::create_event(true);
    chunks_begin = sys::create_event(true);
    chunks_end = sys::create_event(true);
  } catch (...) {
    release();  // a constructor that throws runs no destructor
    throw;
  }
}

DeviceStreams::~DeviceStreams() { release(); }

void DeviceStreams::release() noexcept {
  // Nothing can be reported from here; a failure leaks at worst. The stream's work is waited
  // for first, so no event is destroyed while the stream may still record it.
  if (compute != nullptr) {
    try {
      sys::sync(compute);
    } catch (...) {
    }
  }
  for (sys::Event* e : {&upload_begin, &upload_end, &chunks_begin, &chunks_end}) sys::destroy_event(std::exchange(*e, nullptr));
  sys::destroy_stream(std::exchange(compute, nullptr));
}

GpuBackend::GpuBackend(const EngineConfig& config, const GpuOptions& options)
    : cfg_(config),
      opt_(options),
      streams_(options.device),
      d_error_(error_word()),
      dict_(streams_.compute, d_error_.data()),
      judge_(streams_.compute, d_error_.data()),
      directory_(streams_.compute),
      rows_(streams_.compute),
      filters_(cfg_.filters),
      table_(std::make_unique<DeviceWindowTable>(streams_.compute, options.min_table_slots, d_error_.data())),
      pipeline_(streams_.compute, d_error_.data()),
      selector_(streams_.compute, d_error_.data()),
      times_d_(streams_.compute),
      rows_d_(streams_.compute) {
  // Chunks are bounded so that their expansion into group keys (events x slots) stays within
  // kMaxChunkExpansions.
  const size_t per_event = static_cast<size_t>(filters_.slots());
  limits_.events = std::clamp<size_t>(opt_.chunk_events, 1, std::max<size_t>(1, kMaxChunkExpansions / per_event));
  if (opt_.staging_events > 0) {
    times_d_.reserve_discard(opt_.staging_events);
    rows_d_.reserve_discard(std::min(opt_.staging_events, limits_.events));
  }
  // The tables come and go with minutes: keep freed memory in the pool instead of returning
  // it to the driver at every synchronisation.
  sys::keep_freed_memory(opt_.device);
  // The filter upload and the error word's memset ran on the legacy default stream, which the
  // engine's non-blocking stream does not wait for: finish them before any kernel can read them.
  sys::device_sync();
}

GpuBackend::~GpuBackend() {
  try {
    sys::select_device(opt_.device);
    sys::sync(streams_.compute);
  } catch (...) {
    // A device that failed cannot be waited for; what it still holds is released with it.
  }
}

void GpuBackend::select_device() const { sys::select_device(opt_.device); }

bool GpuBackend::judge(const EventColumns& batch, const JudgeRule& rule, BatchJudgement& out) {
  select_device();
  bounded_ = false;
  interned_ = false;
  const size_t n = batch.size();
  if (n == 0) {
    judge_.judge(nullptr, 0, rule, out);
    return true;
  }
  // The columns the rows are built from go up with the times, so the judgement's one
  // synchronisation covers them all.
  sys::record(streams_.upload_begin, streams_.compute);
  upload_async(times_d_, batch.t_ms.data(), n, streams_.compute);
  rows_.upload(batch, filters_.uses_users());
  sys::record(streams_.upload_end, streams_.compute);
  if (n > limits_.events || n > opt_.directory_events || !directory_.prepare(*table_, n)) {
    judge_.judge(times_d_.data(), n, rule, out);
    copy_seconds_ += sys::seconds_between(streams_.upload_begin, streams_.upload_end);
    settle();  // the judgement's synchronisation has passed the last batch's chunks
    directory_.remember(out.minutes, judge_.minute_events());
    return true;
  }
  // The injected failure comes before any device work of the chunk, as in run_chunks().
  if (opt_.fail_at_chunk != 0 && ++*opt_.chunks_run == opt_.fail_at_chunk)
    sys::throw_out_of_memory("the failure injected at this chunk (CLICKAGG_GPU_FAIL_AT_CHUNK)");
  // One synchronisation for the batch (minute_directory.h): the judgement, the dictionary
  // and phase 1 of the chunk of all kept events are queued before the host knows which
  // events are kept or which minutes they count into, bounded by counts on the device.
  judge_.queue(times_d_.data(), n, rule);
  directory_.assign(times_d_.data(), judge_.verdict(), judge_.kept_count(), n);
  intern(batch, n, judge_.kept_count());
  const KeptEvents k{judge_.kept(), n, judge_.verdict(), directory_.local(), directory_.minutes()};
  chunk_ = rows_.build_bounded(k, directory_.bound(), filters_.ref(), filters_.users(), dict_.text(), rows_d_);
  pipeline_.start_bounded(chunk_, rows_d_.data(), d_ads_, dict_.size_bound(), directory_.refs(), filters_.ref(),
                          directory_.bound());
  sys::sync(streams_.compute);
  copy_seconds_ += sys::seconds_between(streams_.upload_begin, streams_.upload_end);
  judge_.collect(out);
  // The last batch's phase 3 and the dictionary's totals have arrived with it.
  if (unsettled_) {
    pipeline_.absorb_synced(*table_);  // (a device error stays reported while it throws)
    unsettled_ = false;
    if (chunks_timed_) chunk_seconds_ += sys::seconds_between(streams_.chunks_begin, streams_.chunks_end);
    chunks_timed_ = false;
  }
  dict_.absorb();
  directory_.remember(out.minutes, judge_.minute_events());
  if (directory_.fit()) {
    bounded_ = true;
    chunk_.end = n - out.dropped.size();
  } else {
    judge_.index(times_d_.data());  // count() goes the usual way, from the judgement's minutes
    if (opt_.fail_at_chunk != 0) --*opt_.chunks_run;  // where the chunk is counted again
  }
  return true;
}

void GpuBackend::intern(const EventColumns& batch, size_t kept, const unsigned long long* d_bound) {
  StageClock c(dict_seconds_);
  AdsIn in{{batch.text.data(), batch.text.size()},
           {batch.ad_off.data(), batch.size()},
           {batch.ad_len.data(), batch.size()},
           {batch.ad_hash.data(), batch.size()},
           {}};
  in.d_kept = judge_.kept();
  in.kept_n = kept;
  in.d_bound = d_bound;
  d_ads_ = dict_.intern(in);
  interned_ = true;
}

void GpuBackend::count(const EventColumns& batch, const BatchJudgement& j, BatchTally& tally) {
  select_device();
  const size_t kept = (j.end - j.begin) - j.dropped.size();
  if (kept == 0) return;
  if (bounded_) {
    bounded_ = false;
    finish_bounded(j, tally);
    return;
  }
  // A batch of one chunk takes its histogram from the judgement; the first of several chunks
  // waits for its own in build().
  if (kept <= limits_.events && j.minutes.size() <= kMaxChunkMinutes)
    rows_.whole_batch(kept_events(j, kept), judge_.minute_events());
  else
    rows_.histogram(kept_events(j, kept), 0, limits_.events);
  if (!interned_) intern(batch, kept, nullptr);
  run_chunks(j, kept, tally);
}

// Phase 1 of the batch's one chunk ran before the judgement's synchronisation: phases 2 and 3
// follow from its counts.
void GpuBackend::finish_bounded(const BatchJudgement& j, BatchTally& tally) {
  sys::record(streams_.chunks_begin, streams_.compute);
  chunks_timed_ = false;
  unsettled_ = true;
  ChunkCounts counts;
  pipeline_.finish_synced(chunk_, *table_, filters_.ref(), counts);
  absorb(chunk_, counts, j, tally);
  sys::record(streams_.chunks_end, streams_.compute);
  chunks_timed_ = true;
}

void GpuBackend::run_chunks(const BatchJudgement& j, size_t kept, BatchTally& tally) {
  const KeptEvents events = kept_events(j, kept);
  sys::record(streams_.chunks_begin, streams_.compute);
  chunks_timed_ = false;
  unsettled_ = true;  // from the first chunk on, even if one throws: settle() absorbs what ran
  ChunkCounts counts;
  for (size_t pos = 0; pos < kept;) {
    if (opt_.fail_at_chunk != 0 && ++*opt_.chunks_run == opt_.fail_at_chunk)
      sys::throw_out_of_memory("the failure injected at this chunk (CLICKAGG_GPU_FAIL_AT_CHUNK)");
    const PackedChunk chunk = rows_.build(events, pos, filters_.ref(), filters_.users(), dict_.text(), rows_d_);
    // Ad indexes are below the dictionary's bound: its new names are not counted yet.
    pipeline_.start(chunk, rows_d_.data(), d_ads_ + chunk.begin, dict_.size_bound(), *table_, filters_.ref());
    // The next chunk's histogram comes back with this one's synchronisation.
    if (chunk.end < kept) rows_.histogram(events, chunk.end, limits_.events);
    pipeline_.finish(chunk, *table_, filters_.ref(), counts);
    dict_.absorb();  // the synchronisation has passed the dictionary's totals
    absorb(chunk, counts, j, tally);
    pos = chunk.end;
  }
  sys::record(streams_.chunks_end, streams_.compute);
  chunks_timed_ = true;  // settle() absorbs the last phase 3 and reads the time
}

void GpuBackend::settle() const {
  if (!unsettled_ && dict_.settled()) return;
  select_device();
  if (unsettled_) {
    pipeline_.drain(*table_);  // synchronises the stream; a device error stays reported
    unsettled_ = false;
    if (chunks_timed_) chunk_seconds_ += sys::seconds_between(streams_.chunks_begin, streams_.chunks_end);
    chunks_timed_ = false;
    dict_.absorb();  // its names have arrived with that synchronisation
  }
  dict_.settle();  // (waits only where they had not)
}

KeptEvents GpuBackend::kept_events(const BatchJudgement& j, size_t kept) const {
  return KeptEvents{judge_.kept(), kept, judge_.verdict(), judge_.local(), j.minutes};
}

void GpuBackend::absorb(const PackedChunk& chunk, const ChunkCounts& counts, const BatchJudgement& j,
                        BatchTally& tally) {
  uint64_t counted = 0;
  for (size_t l = 0; l < chunk.minutes.size(); ++l) {
    if (counts.open[l] + counts.late[l] == 0) continue;  // (a directory's minute may get none)
    const auto it = std::lower_bound(j.minutes.begin(), j.minutes.end(), chunk.minutes[l]);
    if (it == j.minutes.end() || *it != chunk.minutes[l])
      throw std::logic_error("GPU engine: events counted into a minute the judgement did not count");
    const size_t local = static_cast<size_t>(it - j.minutes.begin());
    tally.open[local] += counts.open[l];
    tally.late[local] += counts.late[l];
    counted += counts.open[l] + counts.late[l];
  }
  tally.duplicates += chunk.size() - counted;
}

// As of the last settle(): reading them does not wait for the device.
std::vector<std::pair<std::string, double>> GpuBackend::stage_seconds() const {
  return {{"dictionary", dict_seconds_}, {"h2d_copy", copy_seconds_}, {"device_chunks", chunk_seconds_}};
}

void GpuBackend::window_rows(int64_t minute, std::vector<CountRow>& out) {
  settle();
  select_device();
  const NamesRef names = dict_.names_ref();
  const std::vector<CountSlot> entries = table_->counts(minute, &names);
  out.reserve(out.size() + entries.size());
  for (const CountSlot& e : entries) {
    const uint32_t ad = key_ad(e.key), slot = key_slot(e.key);
    if (ad >= dict_.size() || slot >= filters_.slots()) throw std::logic_error("GPU engine: count key out of range");
    out.push_back(CountRow{ad, filters_.filter_id(slot), e.count});
  }
}

void GpuBackend::topn(const TopNQuery& q, std::vector<std::vector<TopNEntry>>& out) {
  settle();
  select_device();
  const uint32_t slots = filters_.slots();
  const size_t nwin = q.windows.size();
  const NamesRef names = dict_.names_ref();
  if (running_.size() != nwin) {
    running_.clear();
    running_.resize(nwin);
  }
  // Every running sum moves first, taking in the logs of the minutes it holds; the logs are
  // then done with. The lists follow (exactly the top N per slot, ties settled by name on the
  // device).
  for (size_t wi = 0; wi < nwin; ++wi)
    if (q.windows[wi] > 1) position(running_[wi], q.windows[wi], q.minute);
  table_->clear_logs();
  watch_held();
  for (size_t wi = 0; wi < nwin; ++wi) {
    if (q.windows[wi] == 1) selector_.minute_candidates(*table_, q.minute, q.top_n, slots, names, candidates_);
    else selector_.candidates(running_[wi].sum->groups(), q.top_n, slots, names, candidates_);
    for (const TopNCandidate& c : candidates_) {
      if (c.ad >= dict_.size() || c.slot >= slots) throw std::logic_error("GPU engine: top-N candidate out of range");
      out[c.slot * nwin + wi].push_back(TopNEntry{c.ad, c.count});
    }
  }
}

// Moves a running sum of `window` minutes to minute e: the minutes it lacks enter, those it no
// longer covers leave, and what was logged for the minutes it held comes in.
void GpuBackend::position(RunningSum& rs, uint32_t window, int64_t e) {
  if (!rs.sum) rs.sum = std::make_unique<DeviceSlidingSum>(streams_.compute, d_error_.data());
  const int64_t lo = e - static_cast<int64_t>(window) + 1;
  std::vector<int64_t> present;
  for (int64_t m : table_->count_minutes())
    if (m >= lo && m <= e) present.push_back(m);
  const WindowMove mv = plan_window_move(rs.held, present, lo, e);
  std::vector<int64_t> logged;
  if (mv.restart) rs.sum->clear();
  else logged.assign(rs.held.begin(), rs.held.end());
  rs.sum->move(*table_, mv.add, mv.drop, logged);
  apply_window_move(mv, rs.held);
}

void GpuBackend::watch_held() {
  std::set<int64_t> held;
  for (const RunningSum& rs : running_) held.insert(rs.held.begin(), rs.held.end());
  table_->watch_counts(held);
}

void GpuBackend::purge(int64_t minute) {
  settle();
  table_->purge_fingerprints(minute);
}

void GpuBackend::forget(int64_t minute) {
  settle();
  bool held = false;
  for (const RunningSum& rs : running_) held = held || rs.held.count(minute) != 0;
  if (held) {
    // Every sum takes in its logs, and those holding the minute take it off.
    select_device();
    for (RunningSum& rs : running_) {
      if (rs.held.empty()) continue;
      const std::vector<int64_t> logged(rs.held.begin(), rs.held.end());
      const bool holds = rs.held.count(minute) != 0;
      rs.sum->move(*table_, {}, holds ? std::span<const int64_t>(&minute, 1) : std::span<const int64_t>(), logged);
      rs.held.erase(minute);
    }
    table_->clear_logs();
  }
  table_->forget_counts(minute);
  if (held) watch_held();
}

void GpuBackend::for_each_fingerprint(int64_t minute, const std::function<void(const Hash128&)>& f) const {
  settle();
  select_device();
  for (const Hash128& h : table_->fingerprints(minute)) f(h);
}

void GpuBackend::restore_counts(int64_t minute, std::span<const RestoredRow> rows) {
  settle();
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
  settle();
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
  // The driver's thread pool is not needed: the host does no per-event work here.
  return std::make_unique<EngineDriver>(config, [options](const EngineConfig& c, ThreadPool&) {
    return std::make_unique<GpuBackend>(c, options);
  });
}

std::unique_ptr<Engine> make_gpu_engine(const EngineConfig& config) {
  GpuOptions options;
  if (const char* v = std::getenv("CLICKAGG_GPU_FAIL_AT_CHUNK")) options.fail_at_chunk = std::strtoull(v, nullptr, 10);
  return make_gpu_engine(config, options);
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
