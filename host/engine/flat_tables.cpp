#include "host/engine/flat_tables.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

namespace clickagg {

namespace {

constexpr size_t kHuge = size_t(2) << 20;
size_t mapped_size(size_t bytes) { return (bytes + kHuge - 1) / kHuge * kHuge; }

// Mapped table memory given back by tables that went away (a purged minute, a table that
// grew), kept for the next tables instead of being unmapped. A minute's tables are tens of
// MiB, and memory fresh from the kernel costs a page fault and a zeroing by the kernel on
// first touch: on a virtual machine about a millisecond per MiB, more than the inserts that
// fill the table. Reused memory is zeroed here, at memset speed.
class TableMemory {
 public:
  void* take(size_t size) {
    {
      std::lock_guard lock(mu_);
      // The smallest kept block that fits, if it is not more than twice the size.
      auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first <= 2 * size) {
        const size_t have = it->first;
        void* p = it->second;
        free_.erase(it);
        kept_ -= have;
        if (have > size) munmap(static_cast<char*>(p) + size, have - size);
        std::memset(p, 0, size);
        return p;
      }
    }
    return map(size);
  }
  void give(void* p, size_t size) {
    std::lock_guard lock(mu_);
    free_.emplace(size, p);
    kept_ += size;
    // Beyond the cap the largest blocks go back to the kernel.
    while (kept_ > kMaxKept) {
      auto last = std::prev(free_.end());
      munmap(last->second, last->first);
      kept_ -= last->first;
      free_.erase(last);
    }
  }

 private:
  static constexpr size_t kMaxKept = size_t(1) << 30;

  static void* map(size_t size) {
    // Over-map by one huge page and trim, so the table starts on a 2 MiB boundary.
    void* raw = mmap(nullptr, size + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto base = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (base + kHuge - 1) & ~(kHuge - 1);
    if (aligned > base) munmap(raw, aligned - base);
    const uintptr_t end = base + size + kHuge;
    if (end > aligned + size) munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
#ifdef MADV_HUGEPAGE
    // Advice only: where transparent huge pages are off, the table works on small pages.
    (void)madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
#endif
    return reinterpret_cast<void*>(aligned);
  }

  std::mutex mu_;
  std::multimap<size_t, void*> free_;
  size_t kept_ = 0;
};

TableMemory& table_memory() {
  static TableMemory* m = new TableMemory();  // never destroyed: tables may outlive statics
  return *m;
}

class TableMemoryResource final : public std::pmr::memory_resource {
  // Small blocks from the heap, aligned as asked (table_alloc's come from calloc); from 2 MiB
  // up, table_alloc's mapped blocks, which are 2 MiB aligned.
  void* do_allocate(size_t bytes, size_t align) override {
    if (bytes < kHuge || align > kHuge) return std::pmr::new_delete_resource()->allocate(bytes, align);
    return table_alloc(bytes);
  }
  void do_deallocate(void* p, size_t bytes, size_t align) override {
    if (bytes < kHuge || align > kHuge) std::pmr::new_delete_resource()->deallocate(p, bytes, align);
    else table_free(p, bytes);
  }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }
};

}  // namespace

std::pmr::memory_resource* table_memory_resource() {
  static TableMemoryResource* r = new TableMemoryResource();  // never destroyed, as table_memory()
  return r;
}

void* table_alloc(size_t bytes) {
  if (bytes < kHuge) {
    void* p = std::calloc(1, bytes);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  return table_memory().take(mapped_size(bytes));
}

void table_free(void* p, size_t bytes) {
  if (bytes < kHuge) std::free(p);
  else table_memory().give(p, mapped_size(bytes));
}

}  // namespace clickagg
