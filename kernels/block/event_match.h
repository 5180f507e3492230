// Per-event device functions: filter matching (FilterDef::matches, field by field).
#pragma once
#include <cuda/std/bit>
#include <cstdint>

#include "host/common/ip.h"
#include "kernels/device_layout.h"
#include "kernels/system/system.h"

namespace clickagg::CLICKAGG_DEVICE_NS::block {

// Country codes compare as byte strings of their own length (Country::operator==).
CLICKAGG_DEV bool same_country(const DeviceCountry& c, const DeviceEvent& e) {
  if (c.len != e.country_len) return false;
  for (uint32_t i = 0; i < c.len; ++i)
    if (c.code[i] != e.country[i]) return false;
  return true;
}

// Every field the filter names must match one of its values; unnamed fields match anything.
// user_id is compared through tokens: the host maps the event's user_id to the index of the
// equal string among all filter user ids (kNoToken when there is none).
CLICKAGG_DEV bool filter_matches(const FilterTableRef& ft, uint32_t k, const DeviceEvent& e) {
  const DeviceFilter f = ft.filters[k];
  if (f.country_begin != f.country_end) {
    bool any = false;
    for (uint32_t j = f.country_begin; j < f.country_end && !any; ++j) any = same_country(ft.countries[j], e);
    if (!any) return false;
  }
  if (f.cidr_begin != f.cidr_end) {
    bool any = false;
    for (uint32_t j = f.cidr_begin; j < f.cidr_end && !any; ++j) any = cidr_contains(ft.cidrs[j], e.ip);
    if (!any) return false;
  }
  if (f.user_begin != f.user_end) {
    if (e.user_token == kNoToken) return false;
    bool any = false;
    for (uint32_t j = f.user_begin; j < f.user_end && !any; ++j) any = ft.users[j] == e.user_token;
    if (!any) return false;
  }
  return true;
}

// The token of the user id p[0, len) with bytes_hash64 `hash`, or kNoToken when no filter
// names it (t.mask != 0).
CLICKAGG_DEV uint32_t user_token_of(const UserTableRef& t, uint64_t hash, const char* p, uint32_t len) {
  for (uint64_t i = hash & t.mask, probes = 0; probes <= t.mask; ++probes, i = (i + 1) & t.mask) {
    const UserSlot s = t.slots[i];
    if (s.token == kNoToken) return kNoToken;
    if (s.hash != hash || s.len != len) continue;
    bool same = true;
    for (uint32_t b = 0; b < len && same; ++b) same = t.names[s.off + b] == p[b];
    if (same) return s.token;
  }
  return kNoToken;
}

// Bit k set where filter k matches (ft.count <= kMaskFilters).
CLICKAGG_DEV uint64_t match_mask(const FilterTableRef& ft, const DeviceEvent& e) {
  uint64_t mask = 0;
  for (uint32_t k = 0; k < ft.count; ++k)
    if (filter_matches(ft, k, e)) mask |= 1ull << k;
  return mask;
}

// How many filters event e matches: from its row's mask, or evaluated past kMaskFilters.
CLICKAGG_DEV uint32_t count_matches(const FilterTableRef& ft, const DeviceEvent& e) {
  if (ft.count <= kMaskFilters) return static_cast<uint32_t>(cuda::std::popcount(e.matches));
  uint32_t n = 0;
  for (uint32_t k = 0; k < ft.count; ++k) n += filter_matches(ft, k, e) ? 1u : 0u;
  return n;
}

// f(k) for every filter k event e matches, ascending: from its row's mask, or evaluated past
// kMaskFilters.
template <class F>
CLICKAGG_DEV void for_each_match(const FilterTableRef& ft, const DeviceEvent& e, F&& f) {
  if (ft.count <= kMaskFilters) {
    for (uint64_t m = e.matches; m != 0; m &= m - 1) f(static_cast<uint32_t>(cuda::std::countr_zero(m)));
    return;
  }
  for (uint32_t k = 0; k < ft.count; ++k)
    if (filter_matches(ft, k, e)) f(k);
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS::block
