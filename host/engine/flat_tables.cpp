#include "host/engine/flat_tables.h"

#include <sys/mman.h>

namespace clickagg {

void advise_huge_pages(void* p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  // Advice only: where transparent huge pages are off, the table works on small pages.
  (void)madvise(p, bytes, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace clickagg
