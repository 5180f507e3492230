// Snapshots of the GPU engine in the CPU engine's stream format (host/engine/cpu_engine_state.cpp:
// same magic, version, header and sections; counts by minute as (ad name, filter id, count)
// rows in the CPU engine's row order, fingerprints by minute), so a checkpoint written by
// either engine restores into the other.
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

#include "host/engine/snapshot_format.h"
#include "host/engine/state_io.h"
#include "kernels/cuda_check.h"
#include "kernels/gpu_engine_impl.h"

namespace clickagg::gpu {

using namespace snapshot;

void GpuEngine::save_state(std::ostream& out) const {
  using namespace state_io;
  select_device();
  write_header(out, cfg_);
  put(out, stats_);
  wm_.save(out);
  life_.save(out);

  const std::vector<int64_t> minutes = table_->count_minutes();  // ascending
  put(out, kTagCounts);
  put<uint64_t>(out, minutes.size());
  for (int64_t m : minutes) {
    write_minute_rows(out, window_result(m, false));
  }
  const std::vector<int64_t> seen_minutes = table_->fingerprint_minutes();  // ascending
  put(out, kTagSeen);
  put<uint64_t>(out, seen_minutes.size());
  for (int64_t m : seen_minutes) {
    const std::vector<Hash128> fps = table_->fingerprints(m);
    put(out, m);
    put<uint64_t>(out, fps.size());
    for (const Hash128& h : fps) put(out, h);
  }
  put(out, kTagEnd);
}

void GpuEngine::restore_state(std::istream& in) {
  using namespace state_io;
  select_device();
  check_header(in, cfg_);

  EngineStats stats = get<EngineStats>(in);
  WatermarkTracker wm = wm_;
  wm.restore(in);
  WindowLifecycle life = life_;
  life.restore(in);

  // Everything is read and checked before the device is touched; the new state is built
  // beside the current one and swapped in at the end.
  std::vector<uint32_t> slot_of(65536, 0);  // an unknown id lands in slot 0, as in the CPU engine
  for (size_t k = 0; k < cfg_.filters.size(); ++k) slot_of[cfg_.filters.defs()[k].id] = static_cast<uint32_t>(k + 1);
  AdDictionary ads;
  std::vector<std::pair<int64_t, std::vector<CountSlot>>> counts;
  expect_tag(in, kTagCounts, "counts");
  const auto nm = get<uint64_t>(in);
  for (uint64_t i = 0; i < nm; ++i) {
    const auto minute = get<int64_t>(in);
    const auto rows = get<uint64_t>(in);
    std::vector<CountSlot> items;
    for (uint64_t r = 0; r < rows; ++r) {
      const std::string ad = get_string(in);
      const auto fid = get<uint16_t>(in);
      const auto count = get<uint64_t>(in);
      items.push_back(CountSlot{count_key(slot_of[fid], ads.intern(ad)), count});
    }
    counts.emplace_back(minute, std::move(items));
  }
  std::vector<std::pair<int64_t, std::vector<Hash128>>> seen;
  expect_tag(in, kTagSeen, "dedup");
  const auto ns = get<uint64_t>(in);
  for (uint64_t i = 0; i < ns; ++i) {
    const auto minute = get<int64_t>(in);
    const auto total = get<uint64_t>(in);
    std::vector<Hash128> fps;
    for (uint64_t k = 0; k < total; ++k) fps.push_back(get<Hash128>(in));
    seen.emplace_back(minute, std::move(fps));
  }
  expect_tag(in, kTagEnd, "end");

  auto table = std::make_unique<DeviceWindowTable>(streams_.compute, opt_.min_table_slots, d_error_.data());
  // As in the CPU engine, a minute listed without rows or fingerprints leaves no table.
  for (const auto& [minute, items] : counts) table->insert_counts(minute, items);
  for (const auto& [minute, fps] : seen) table->insert_fingerprints(minute, fps);
  CLICKAGG_CUDA(cudaStreamSynchronize(streams_.compute));

  table_ = std::move(table);
  ads_ = std::move(ads);
  stats_ = stats;
  wm_ = std::move(wm);
  life_ = std::move(life);
}

}  // namespace clickagg::gpu
