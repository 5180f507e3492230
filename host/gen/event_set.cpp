#include "host/gen/event_set.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "host/gen/generator.h"

namespace clickagg::gen {
namespace {

constexpr size_t kBlockBytes = size_t{16} << 20;

}  // namespace

std::string_view EventSet::store(std::string_view s) {
  if (s.empty()) return {};
  if (blocks_.empty() || block_used_ + s.size() > block_size_) {
    block_size_ = std::max(kBlockBytes, s.size());
    blocks_.push_back(std::make_unique<char[]>(block_size_));
    block_used_ = 0;
  }
  char* dst = blocks_.back().get() + block_used_;
  std::memcpy(dst, s.data(), s.size());
  block_used_ += s.size();
  return {dst, s.size()};
}

void EventSet::add(const GenEvent& ev) {
  Event e = ev.view();
  e.ad_id = store(e.ad_id);
  e.user_id = store(e.user_id);
  e.click_id = store(e.click_id);
  events.push_back(e);
  kinds.push_back(ev.kind);
}

EventSet generate_event_set(const GenConfig& config) {
  if (config.count == 0) throw std::invalid_argument("an event set needs a bounded count");
  Generator gen(config);
  EventSet set;
  set.events.reserve(config.count);
  set.kinds.reserve(config.count);
  while (!gen.done()) {
    const GenEvent& ev = gen.next();
    if (ev.kind == RecordKind::Malformed) ++set.malformed;
    else set.add(ev);
  }
  return set;
}

}  // namespace clickagg::gen
