// A recount must use the filter table the live path uses: a replay with other filters would
// replace the stored rows of the missing ones with nothing, a reconcile would report them all.
#pragma once
#include <string>
#include <vector>

#include "host/engine/filters.h"
#include "host/store/aggregate_store.h"

namespace clickagg::ops {

// Empty when `filters` has exactly the ids the store records (or the store records none),
// else a one-line explanation.
std::string filter_table_mismatch(const FilterSet& filters, const std::vector<store::FilterInfo>& recorded);

}  // namespace clickagg::ops
