// The order of a window's rows that every engine emits: by filter, then ad_id bytes. Sorted
// through the names' 16-byte keys, so the bytes are compared only when two keys are equal.
#pragma once
#include <vector>

#include "host/engine/ad_names.h"
#include "host/engine/results.h"

namespace clickagg {

class ThreadPool;

// With a pool, the parts are sorted on its workers and then merged.
void sort_rows(std::vector<CountRow>& rows, const AdNames& names, ThreadPool* pool = nullptr);

}  // namespace clickagg
