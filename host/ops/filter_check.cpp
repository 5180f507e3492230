#include "host/ops/filter_check.h"

#include <algorithm>

namespace clickagg::ops {

namespace {
std::string id_list(const std::vector<uint16_t>& ids) {
  if (ids.empty()) return "none";
  std::string s;
  for (uint16_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}
}  // namespace

std::string filter_table_mismatch(const FilterSet& filters, const std::vector<store::FilterInfo>& recorded) {
  if (recorded.empty()) return {};
  std::vector<uint16_t> want, have;
  for (const store::FilterInfo& f : recorded) want.push_back(f.id);
  for (const FilterDef& f : filters.defs()) have.push_back(f.id);
  std::sort(want.begin(), want.end());
  std::sort(have.begin(), have.end());
  if (want == have) return {};
  return "the store records filters " + id_list(want) + " but the given filter file has " + id_list(have) +
         ": pass the filter file the aggregator runs with";
}

}  // namespace clickagg::ops
