#include <algorithm>

#include "host/decode/decode.h"

namespace clickagg {

namespace {
// Large enough that a batch of escaped JSON strings rarely needs a second chunk.
constexpr size_t kChunkBytes = 64 * 1024;
}  // namespace

char* Arena::allocate(size_t n) {
  if (chunks_.empty() || chunks_.back().size() - used_ < n) {
    chunks_.emplace_back(std::max(kChunkBytes, n), '\0');
    used_ = 0;
  }
  char* p = chunks_.back().data() + used_;
  used_ += n;
  return p;
}

void Arena::reset() {
  // Keep one chunk so a steady stream of batches allocates nothing.
  if (chunks_.size() > 1) chunks_.erase(chunks_.begin(), chunks_.end() - 1);
  used_ = 0;
}

}  // namespace clickagg
