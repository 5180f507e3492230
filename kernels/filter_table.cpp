#include "kernels/filter_table.h"

#include <cstring>
#include <map>
#include <string>

#include "host/common/bytes_hash.h"
#include "kernels/system/runtime.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {
template <class T>
void upload(DeviceArray<T>& dst, const std::vector<T>& src) {
  if (src.empty()) return;
  dst.assign_exact(src.size());
  sys::copy(dst.data(), src.data(), src.size() * sizeof(T), sys::Copy::HostToDevice);
}
}  // namespace

DeviceFilterTable::DeviceFilterTable(const FilterSet& filters) : count_(static_cast<uint32_t>(filters.size())) {
  std::vector<DeviceFilter> defs;
  std::vector<DeviceCountry> countries;
  std::vector<Cidr> cidrs;
  std::vector<uint32_t> users;

  // Tokens first (every distinct user id named by any filter), so the views stay put.
  std::map<std::string, uint32_t> distinct;
  for (const FilterDef& d : filters.defs())
    for (const std::string& u : d.user_ids) distinct.emplace(u, 0);
  uint32_t next_token = 0;
  for (auto& [name, token] : distinct) token = next_token++;
  if (!distinct.empty()) {
    // Load at most 1/2, so probes end at an empty slot.
    uint64_t cap = 2;
    while (cap < 2 * distinct.size()) cap *= 2;
    std::vector<UserSlot> slots(cap, UserSlot{0, kNoToken, 0, 0, 0});
    std::vector<char> bytes;
    for (const auto& [name, token] : distinct) {
      const uint64_t h = bytes_hash64(name.data(), name.size());
      uint64_t i = h & (cap - 1);
      while (slots[i].token != kNoToken) i = (i + 1) & (cap - 1);
      slots[i] = UserSlot{h, token, static_cast<uint32_t>(bytes.size()), static_cast<uint32_t>(name.size()), 0};
      bytes.insert(bytes.end(), name.begin(), name.end());
    }
    upload(user_slots_, slots);
    upload(user_bytes_, bytes);
    user_mask_ = cap - 1;
  }

  for (const FilterDef& d : filters.defs()) {
    ids_.push_back(d.id);
    DeviceFilter f{};
    f.country_begin = static_cast<uint32_t>(countries.size());
    for (const Country& c : d.countries) {
      DeviceCountry dc{};
      std::memcpy(dc.code, c.code.data(), sizeof dc.code);
      dc.len = c.len;
      countries.push_back(dc);
    }
    f.country_end = static_cast<uint32_t>(countries.size());
    f.cidr_begin = static_cast<uint32_t>(cidrs.size());
    cidrs.insert(cidrs.end(), d.ip_blocks.begin(), d.ip_blocks.end());
    f.cidr_end = static_cast<uint32_t>(cidrs.size());
    f.user_begin = static_cast<uint32_t>(users.size());
    for (const std::string& u : d.user_ids) users.push_back(distinct.at(u));
    f.user_end = static_cast<uint32_t>(users.size());
    defs.push_back(f);
  }
  upload(filters_, defs);
  upload(countries_, countries);
  upload(cidrs_, cidrs);
  upload(users_, users);
}

FilterTableRef DeviceFilterTable::ref() const {
  return FilterTableRef{filters_.data(), countries_.data(), cidrs_.data(), users_.data(), count_};
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
