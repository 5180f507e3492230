#include "bindings/src/results_binding.h"

#include <cstring>
#include <string_view>

namespace clickagg::py {

namespace {

void copy_name(char (&dst)[kMaxAdIdLen], std::string_view name) {
  std::memset(dst, 0, sizeof dst);
  std::memcpy(dst, name.data(), std::min(name.size(), sizeof dst));
}

template <class T>
pb::array to_array(std::vector<T>& rows) {
  pb::array_t<T> a(static_cast<pb::ssize_t>(rows.size()));
  if (!rows.empty()) std::memcpy(a.mutable_data(), rows.data(), rows.size() * sizeof(T));
  rows.clear();
  return a;
}

}  // namespace

void CollectingSink::on_window(const WindowResult& w) {
  for (const CountRow& r : w.rows) {
    CountRecord c{};
    c.minute = w.minute;
    copy_name(c.ad_id, w.ad_id(r));
    c.filter_id = r.filter_id;
    c.count = r.count;
    c.correction = w.correction;
    counts_.push_back(c);
  }
}

void CollectingSink::on_topn(const TopNList& t) {
  uint32_t rank = 0;
  for (const TopNEntry& e : t.entries) {
    TopNRecord r{};
    r.minute = t.minute;
    r.window = t.window;
    r.filter_id = t.filter_id;
    r.rank = ++rank;
    copy_name(r.ad_id, t.ad_id(e));
    r.count = e.count;
    r.correction = t.correction;
    topn_.push_back(r);
  }
}

void CollectingSink::on_late(const LateRecord& l) {
  LateEventRecord r{};
  r.partition = l.partition;
  r.position = l.position;
  copy_name(r.ad_id, l.ad_id);
  r.t_ms = l.t_ms;
  r.watermark_ms = l.watermark_ms;
  late_.push_back(r);
}

pb::dict CollectingSink::take() {
  pb::dict d;
  d["counts"] = to_array(counts_);
  d["topn"] = to_array(topn_);
  d["late"] = to_array(late_);
  return d;
}

void register_results(pb::module_& m) {
  PYBIND11_NUMPY_DTYPE(CountRecord, minute, ad_id, filter_id, count, correction);
  PYBIND11_NUMPY_DTYPE(TopNRecord, minute, window, filter_id, rank, ad_id, count, correction);
  PYBIND11_NUMPY_DTYPE(LateEventRecord, partition, position, ad_id, t_ms, watermark_ms);
  m.attr("COUNT_DTYPE") = pb::dtype::of<CountRecord>();
  m.attr("TOPN_DTYPE") = pb::dtype::of<TopNRecord>();
  m.attr("LATE_DTYPE") = pb::dtype::of<LateEventRecord>();
}

}  // namespace clickagg::py
