#include "host/engine/results.h"

namespace clickagg {

std::vector<NamedRow> named_rows(const WindowResult& w) {
  std::vector<NamedRow> out;
  out.reserve(w.rows.size());
  for (const CountRow& r : w.rows) out.push_back(NamedRow{std::string(w.ad_id(r)), r.filter_id, r.count});
  return out;
}

std::vector<NamedEntry> named_entries(const TopNList& t) {
  std::vector<NamedEntry> out;
  out.reserve(t.entries.size());
  for (const TopNEntry& e : t.entries) out.push_back(NamedEntry{std::string(t.ad_id(e)), e.count});
  return out;
}

void set_rows(WindowResult& w, const std::vector<NamedRow>& rows) {
  auto names = std::make_shared<AdNames>();
  w.rows.clear();
  w.rows.reserve(rows.size());
  for (const NamedRow& r : rows) w.rows.push_back(CountRow{names->add(r.ad_id), r.filter_id, r.count});
  w.names = std::move(names);
}

void set_entries(TopNList& t, const std::vector<NamedEntry>& entries) {
  auto names = std::make_shared<AdNames>();
  t.entries.clear();
  t.entries.reserve(entries.size());
  for (const NamedEntry& e : entries) t.entries.push_back(TopNEntry{names->add(e.ad_id), e.count});
  t.names = std::move(names);
}

WindowResult make_window(int64_t minute, const std::vector<NamedRow>& rows, bool correction) {
  WindowResult w;
  w.minute = minute;
  w.correction = correction;
  set_rows(w, rows);
  return w;
}

TopNList make_list(int64_t minute, uint32_t window, uint16_t filter_id, bool correction,
                   const std::vector<NamedEntry>& entries) {
  TopNList t;
  t.minute = minute;
  t.window = window;
  t.filter_id = filter_id;
  t.correction = correction;
  set_entries(t, entries);
  return t;
}

}  // namespace clickagg
