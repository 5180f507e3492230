#include "host/engine/snapshot_format.h"

#include <stdexcept>

#include "host/engine/state_io.h"

namespace clickagg::snapshot {

void write_header(std::ostream& out, const EngineConfig& cfg) {
  using namespace state_io;
  put(out, kMagic);
  put(out, kVersion);
  put(out, cfg.delay_ms);
  put(out, cfg.allowed_lateness_ms);
  put<uint32_t>(out, static_cast<uint32_t>(cfg.filters.size()));
  for (const auto& d : cfg.filters.defs()) put<uint16_t>(out, d.id);
}

void write_minute_rows(std::ostream& out, int64_t minute, const std::vector<CountRow>& rows, const AdNames& names) {
  using namespace state_io;
  put(out, minute);
  put<uint64_t>(out, rows.size());
  for (const CountRow& row : rows) {
    put_string(out, names.name(row.ad));
    put(out, row.filter_id);
    put(out, row.count);
  }
}

void check_header(std::istream& in, const EngineConfig& cfg) {
  using namespace state_io;
  if (get<uint32_t>(in) != kMagic) throw std::runtime_error("engine state: not a clickagg engine snapshot");
  if (get<uint32_t>(in) != kVersion) throw std::runtime_error("engine state: unsupported snapshot version");
  if (get<int64_t>(in) != cfg.delay_ms || get<int64_t>(in) != cfg.allowed_lateness_ms)
    throw std::runtime_error("engine state: written with a different delay or allowed lateness");
  const auto nf = get<uint32_t>(in);
  bool same_filters = nf == cfg.filters.size();
  for (uint32_t i = 0; i < nf; ++i) {
    const auto id = get<uint16_t>(in);
    if (same_filters && cfg.filters.defs()[i].id != id) same_filters = false;
  }
  if (!same_filters) throw std::runtime_error("engine state: written with a different filter set");
}

}  // namespace clickagg::snapshot
