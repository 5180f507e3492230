#include "host/ops/event_batch.h"

#include <cstring>

namespace clickagg::ops {

std::string_view EventBatch::keep(std::string_view s) {
  if (s.empty()) return {};
  char* p = arena_.allocate(s.size());
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

void EventBatch::add(const Event& ev) {
  Event copy = ev;
  copy.ad_id = keep(ev.ad_id);
  copy.user_id = keep(ev.user_id);
  copy.click_id = keep(ev.click_id);
  events_.push_back(copy);
}

void EventBatch::clear() {
  events_.clear();
  arena_.reset();
}

}  // namespace clickagg::ops
