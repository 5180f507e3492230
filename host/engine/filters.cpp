#include "host/engine/filters.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>

namespace clickagg {

bool FilterDef::matches(const Event& ev) const {
  if (!countries.empty() &&
      std::none_of(countries.begin(), countries.end(), [&](const Country& c) { return c == ev.country; }))
    return false;
  if (!ip_blocks.empty() && std::none_of(ip_blocks.begin(), ip_blocks.end(), [&](const Cidr& b) {
        return cidr_contains(b, ev.ip.bytes.data());
      }))
    return false;
  if (!user_ids.empty() && std::find(user_ids.begin(), user_ids.end(), ev.user_id) == user_ids.end())
    return false;
  return true;
}

FilterSet::FilterSet(std::vector<FilterDef> defs) : defs_(std::move(defs)) {
  if (defs_.size() > kMaxFilters)
    throw std::invalid_argument("too many filters (at most " + std::to_string(kMaxFilters) + ")");
  std::sort(defs_.begin(), defs_.end(), [](const FilterDef& a, const FilterDef& b) { return a.id < b.id; });
  for (size_t i = 0; i < defs_.size(); ++i) {
    if (defs_[i].id == 0) throw std::invalid_argument("filter id 0 is reserved for all clicks");
    if (i > 0 && defs_[i].id == defs_[i - 1].id)
      throw std::invalid_argument("duplicate filter id " + std::to_string(defs_[i].id));
  }
}

bool FilterSet::contains_id(uint32_t id) const {
  return std::any_of(defs_.begin(), defs_.end(), [&](const FilterDef& d) { return d.id == id; });
}

void FilterSet::match(const Event& ev, std::vector<uint16_t>& out) const {
  for (const FilterDef& d : defs_)
    if (d.matches(ev)) out.push_back(d.id);
}

}  // namespace clickagg
