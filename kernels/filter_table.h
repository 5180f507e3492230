// The engine's FilterSet laid out for the device (device_layout.h), and the user-id tokens the
// host gives each event: filters compare user ids by token on the device, so the strings are
// matched once on the host (a hash lookup per event, only when some filter names user ids).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "host/decode/event_columns.h"
#include "host/engine/filters.h"
#include "host/engine/thread_pool.h"
#include "kernels/device_layout.h"
#include "kernels/device_memory.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

class DeviceFilterTable {
 public:
  explicit DeviceFilterTable(const FilterSet& filters);
  DeviceFilterTable(const DeviceFilterTable&) = delete;
  DeviceFilterTable& operator=(const DeviceFilterTable&) = delete;

  FilterTableRef ref() const;
  uint32_t slots() const { return count_ + 1; }
  // Filter id counted in a group slot (0 for slot 0, "all clicks").
  uint16_t filter_id(uint32_t slot) const { return slot == 0 ? 0 : ids_[slot - 1]; }
  bool uses_users() const { return !tokens_.empty(); }
  // The token of `user` (kNoToken when no filter names it).
  uint32_t user_token(std::string_view user) const {
    auto it = tokens_.find(user);
    return it == tokens_.end() ? kNoToken : it->second;
  }
  // Every event's token, on the pool's threads (a large batch in parallel ranges).
  void user_tokens(const EventColumns& batch, ThreadPool& pool, std::vector<uint32_t>& out) const;

 private:
  uint32_t count_ = 0;
  std::vector<uint16_t> ids_;
  std::vector<std::string> user_names_;  // owns the strings the token map views
  std::unordered_map<std::string_view, uint32_t> tokens_;
  DeviceArray<DeviceFilter> filters_{nullptr, false};
  DeviceArray<DeviceCountry> countries_{nullptr, false};
  DeviceArray<Cidr> cidrs_{nullptr, false};
  DeviceArray<uint32_t> users_{nullptr, false};
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
