// The filter table of the design: an event matches a filter when every field the filter
// names matches one of its values. Filter 0 ("all clicks") is implicit and never listed.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/common/ip.h"
#include "host/common/event.h"

namespace clickagg {

constexpr size_t kMaxFilters = 1024;  // per configuration; ids are 1..65535

struct FilterDef {
  uint16_t id = 0;
  std::string name;
  std::vector<Country> countries;       // empty: any country
  std::vector<Cidr> ip_blocks;          // empty: any address
  std::vector<std::string> user_ids;    // empty: any user

  bool matches(const Event& ev) const;
};

class FilterSet {
 public:
  FilterSet() = default;
  // Validates ids (1..65535, unique) and sorts by id; throws std::invalid_argument.
  explicit FilterSet(std::vector<FilterDef> defs);

  const std::vector<FilterDef>& defs() const { return defs_; }
  size_t size() const { return defs_.size(); }
  bool contains_id(uint32_t id) const;

  // Appends the ids of every matching filter (ascending) to `out`, filter 0 not included.
  void match(const Event& ev, std::vector<uint16_t>& out) const;

 private:
  std::vector<FilterDef> defs_;
};

// Reads the YAML filter file of the spec; throws std::runtime_error with file and reason.
FilterSet load_filters_yaml(const std::string& path);
FilterSet parse_filters_yaml(std::string_view text);

}  // namespace clickagg
