#include "host/ops/reconcile.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <tuple>

namespace clickagg::ops {

namespace {

// Rows of one minute by (filter_id, ad_id), the order both sides hold them in.
bool row_before(const NamedRow& a, const NamedRow& b) {
  return std::tie(a.filter_id, a.ad_id) < std::tie(b.filter_id, b.ad_id);
}

// Merges the sorted rows of one minute, recording every group and every disagreement. A
// stored zero (never written by the sink) agrees with an absent recount.
void compare_minute(int64_t minute, std::vector<NamedRow> stored, std::vector<NamedRow> recounted,
                    ReconcileReport& out) {
  std::sort(stored.begin(), stored.end(), row_before);
  std::sort(recounted.begin(), recounted.end(), row_before);
  size_t i = 0, j = 0;
  while (i < stored.size() || j < recounted.size()) {
    Mismatch m{minute, 0, {}, 0, 0};
    if (j == recounted.size() || (i < stored.size() && row_before(stored[i], recounted[j]))) {
      m.filter_id = stored[i].filter_id;
      m.ad_id = stored[i].ad_id;
      m.stored = stored[i++].count;
    } else if (i == stored.size() || row_before(recounted[j], stored[i])) {
      m.filter_id = recounted[j].filter_id;
      m.ad_id = recounted[j].ad_id;
      m.recounted = recounted[j++].count;
    } else {
      m.filter_id = stored[i].filter_id;
      m.ad_id = stored[i].ad_id;
      m.stored = stored[i++].count;
      m.recounted = recounted[j++].count;
    }
    ++out.groups_checked;
    if (m.stored == m.recounted)
      ++out.matched;
    else
      out.mismatches.push_back(std::move(m));
  }
}

}  // namespace

ReconcileReport reconcile(EventSource& source, store::AggregateStore& store, const ReconcileOptions& opt) {
  if (opt.chunk_minutes <= 0) throw std::invalid_argument("reconcile chunk must be at least one minute");
  ReconcileReport report;
  report.range = opt.range;
  for (int64_t c0 = opt.range.from_minute; c0 < opt.range.to_minute; c0 += opt.chunk_minutes) {
    const MinuteRange chunk{c0, std::min(opt.range.to_minute, c0 + opt.chunk_minutes)};
    Recount rc = recount(source, chunk, opt.recount);
    report.recount += rc.stats;
    std::map<int64_t, std::vector<NamedRow>> stored;
    for (const WindowResult& w : store.count_rows(chunk.from_minute, chunk.to_minute)) stored[w.minute] = named_rows(w);
    // Every minute either side has, in order.
    auto s = stored.begin();
    auto r = rc.minutes.begin();
    while (s != stored.end() || r != rc.minutes.end()) {
      if (r == rc.minutes.end() || (s != stored.end() && s->first < r->first)) {
        compare_minute(s->first, std::move(s->second), {}, report);
        ++s;
      } else if (s == stored.end() || r->first < s->first) {
        compare_minute(r->first, {}, std::move(r->second), report);
        ++r;
      } else {
        compare_minute(s->first, std::move(s->second), std::move(r->second), report);
        ++s;
        ++r;
      }
    }
  }
  return report;
}

store::ReconcileStatus status_of(const ReconcileReport& report, int64_t checked_at_ms) {
  store::ReconcileStatus st;
  st.checked_at_ms = checked_at_ms;
  st.from_minute = report.range.from_minute;
  st.to_minute = report.range.to_minute;
  st.groups_checked = report.groups_checked;
  st.mismatches = report.mismatches.size();
  return st;
}

}  // namespace clickagg::ops
