#include "host/ops/replay.h"

#include <algorithm>
#include <stdexcept>

#include "host/ops/topn_from_counts.h"

namespace clickagg::ops {

namespace {

void add_stored(MinuteRows& into, store::AggregateStore& store, int64_t from_minute, int64_t to_minute) {
  if (from_minute >= to_minute) return;
  for (const WindowResult& w : store.count_rows(from_minute, to_minute)) into[w.minute] = named_rows(w);
}

}  // namespace

ReplayReport replay(EventSource& source, store::AggregateStore& store, const ReplayOptions& opt,
                    const std::function<void(const ReplayChunk&)>& on_chunk) {
  if (opt.chunk_minutes <= 0) throw std::invalid_argument("replay chunk must be at least one minute");
  if (opt.topn_windows.empty()) throw std::invalid_argument("replay needs at least one top-N window");
  const uint32_t max_window = *std::max_element(opt.topn_windows.begin(), opt.topn_windows.end());
  std::vector<uint16_t> filter_ids{0};
  for (const FilterDef& f : opt.recount.filters.defs()) filter_ids.push_back(f.id);
  const MinuteRange all = opt.range;
  const std::optional<int64_t> last_closed = store.progress().last_closed_minute;

  ReplayReport report;
  // The counts the lists rank: what the store holds before the range, then each chunk's
  // recount as it is written (the same rows, without reading them back); only the last
  // max_window - 1 minutes before a chunk are kept.
  MinuteRows counts;
  add_stored(counts, store, all.from_minute - (max_window - 1), all.from_minute);
  for (int64_t c0 = all.from_minute; c0 < all.to_minute; c0 += opt.chunk_minutes) {
    const MinuteRange chunk{c0, std::min(all.to_minute, c0 + opt.chunk_minutes)};
    const bool last = chunk.to_minute == all.to_minute;
    Recount rc = recount(source, chunk, opt.recount);
    counts.erase(counts.begin(), counts.lower_bound(chunk.from_minute - (max_window - 1)));
    for (const auto& [m, rows] : rc.minutes) counts[m] = rows;
    // Lists after the range that reach into it, e in [to, to + max_window - 1), only up to
    // the last closed minute: they also rank the stored counts after the range.
    int64_t trail_end = chunk.to_minute;
    if (last && last_closed) trail_end = std::clamp<int64_t>(*last_closed + 1, chunk.to_minute, chunk.to_minute + max_window - 1);
    add_stored(counts, store, chunk.to_minute, trail_end);

    store::ResultBatch batch;
    batch.top_n = opt.top_n;
    ReplayChunk done{chunk, rc.stats, 0, 0, 0};
    for (int64_t m = chunk.from_minute; m < chunk.to_minute; ++m) {
      WindowResult w = make_window(m, {}, /*correction=*/true);
      if (auto it = rc.minutes.find(m); it != rc.minutes.end()) {
        set_rows(w, it->second);
        ++done.minutes_with_counts;
        done.rows += w.rows.size();
      }
      batch.windows.push_back(std::move(w));
    }
    ListRequest req;
    req.first_minute = chunk.from_minute;
    req.end_minute = trail_end;
    req.windows = opt.topn_windows;
    req.filter_ids = filter_ids;
    req.top_n = opt.top_n;
    const int64_t to = chunk.to_minute;
    // Past the chunk, (e, M) covers [e - M + 1, e]: it reaches into the range when
    // e - M + 1 < to.
    req.want = [to](int64_t e, uint32_t m) { return e < to || e - static_cast<int64_t>(m) + 1 < to; };
    batch.topn = lists_from_counts(counts, req);
    // As the engines do, an empty list is written only to clear a stored one: a day without
    // clicks adds no rows, and a second replay finds the same lists stored. One query per
    // minute says which windows have lists there at all, so most keys need no own query.
    std::map<int64_t, std::vector<uint32_t>> stored_windows;
    auto is_stored = [&](const TopNList& l) {
      auto it = stored_windows.find(l.minute);
      if (it == stored_windows.end()) it = stored_windows.emplace(l.minute, store.topn_windows(l.minute)).first;
      return std::find(it->second.begin(), it->second.end(), l.window) != it->second.end() &&
             store.topn_list(l.minute, l.window, l.filter_id).has_value();
    };
    std::erase_if(batch.topn, [&](const TopNList& l) { return l.entries.empty() && !is_stored(l); });
    for (TopNList& l : batch.topn) l.correction = true;
    done.lists = batch.topn.size();
    store.write(batch);

    ++report.chunks;
    report.minutes += static_cast<uint64_t>(chunk.minutes());
    report.minutes_with_counts += done.minutes_with_counts;
    report.rows += done.rows;
    report.lists += done.lists;
    report.recount += done.recount;
    if (on_chunk) on_chunk(done);
  }
  return report;
}

}  // namespace clickagg::ops
