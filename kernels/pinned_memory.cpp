#include <new>

#include "kernels/device_memory.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

class PinnedResource final : public std::pmr::memory_resource {
  static constexpr size_t kAlign = 256;  // both systems' pinned allocations give at least this

  void* do_allocate(size_t bytes, size_t alignment) override {
    if (alignment > kAlign) throw std::bad_alloc();
    return sys::pinned_alloc(bytes);
  }
  void do_deallocate(void* p, size_t, size_t) override { sys::pinned_free(p); }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override { return this == &other; }
};

}  // namespace

std::pmr::memory_resource* pinned_memory() {
  // Leaked on purpose: a batch freed during static destruction must still find it.
  static PinnedResource* const resource = new PinnedResource();
  return resource;
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
