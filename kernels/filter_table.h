// The engine's FilterSet laid out for the device (device_layout.h). Filters compare user ids
// by token: each distinct user id any filter names is a token, and the device finds an event's
// token in a hash table of those ids (UserTableRef) when its row is built.
#pragma once
#include <cstdint>
#include <vector>

#include "host/engine/filters.h"
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
  bool uses_users() const { return user_mask_ != 0; }
  // The user ids filters name, by hash, for the device to give each event its token.
  UserTableRef users() const { return UserTableRef{user_slots_.data(), user_bytes_.data(), user_mask_}; }

 private:
  uint32_t count_ = 0;
  std::vector<uint16_t> ids_;
  uint64_t user_mask_ = 0;
  DeviceArray<UserSlot> user_slots_{nullptr, false};
  DeviceArray<char> user_bytes_{nullptr, false};
  DeviceArray<DeviceFilter> filters_{nullptr, false};
  DeviceArray<DeviceCountry> countries_{nullptr, false};
  DeviceArray<Cidr> cidrs_{nullptr, false};
  DeviceArray<uint32_t> users_{nullptr, false};
};

}  // namespace clickagg::CLICKAGG_DEVICE_NS
