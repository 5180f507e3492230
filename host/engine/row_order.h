// The order of a window's rows that every engine emits: by filter, then ad_id bytes.
#pragma once
#include <vector>

#include "host/engine/results.h"

namespace clickagg {

void sort_rows(std::vector<CountRow>& rows);

}  // namespace clickagg
