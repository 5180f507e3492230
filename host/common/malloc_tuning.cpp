#include "host/common/malloc_tuning.h"

#include <malloc.h>

namespace clickagg {

void tune_malloc_for_streaming() {
#if defined(__GLIBC__)
  mallopt(M_ARENA_MAX, 1);                    // one heap: what a thread frees, another reuses
  mallopt(M_MMAP_THRESHOLD, 32 << 20);        // blocks up to 32 MiB come from (and return to) the heap
  mallopt(M_TRIM_THRESHOLD, 1 << 30);         // keep up to 1 GiB of free heap top
  mallopt(M_TOP_PAD, 64 << 20);               // grow the heap in 64 MiB steps
#endif
}

}  // namespace clickagg
