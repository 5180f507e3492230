#include "host/engine/filter_program.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <stdexcept>

#include "host/common/bytes_hash.h"

namespace clickagg {

namespace {

enum Field { kCountry = 0, kIp = 1, kUser = 2 };

// Triples up to this many get a precomputed table of their slots.
constexpr size_t kMaxDenseTriples = 1 << 16;
// Classes per field: memo keys hold three of them in 21 bits each.
constexpr uint32_t kMaxClasses = 1u << 21;

using Addr = std::pair<uint64_t, uint64_t>;  // big-endian words: compares like the address

Addr addr_of(const uint8_t b[16]) {
  uint64_t hi, lo;
  std::memcpy(&hi, b, 8);
  std::memcpy(&lo, b + 8, 8);
  return {__builtin_bswap64(hi), __builtin_bswap64(lo)};
}

// IPv4 addresses as IPv6 ones: ::ffff:a.b.c.d.
constexpr uint64_t kV4Lo = 0x0000ffff00000000ULL;
bool is_v4(const Addr& a) { return a.first == 0 && (a.second >> 32) == 0xffff; }

// First and last address of a block.
std::pair<Addr, Addr> block_range(const Cidr& c) {
  const Addr a = addr_of(c.addr);
  const unsigned len = c.prefix_len;
  const uint64_t hi_mask = len >= 64 ? ~0ULL : (len == 0 ? 0 : ~0ULL << (64 - len));
  const uint64_t lo_mask = len <= 64 ? 0 : (len >= 128 ? ~0ULL : ~0ULL << (128 - len));
  const Addr first{a.first & hi_mask, a.second & lo_mask};
  const Addr last{first.first | ~hi_mask, first.second | ~lo_mask};
  return {first, last};
}

}  // namespace

uint32_t FilterProgram::intern(int field, const Bits& bits) {
  auto [it, fresh] = class_index_[field].try_emplace(bits, static_cast<uint32_t>(class_bits_[field].size()));
  if (fresh) {
    if (it->second >= kMaxClasses) throw std::invalid_argument("filter table too large to compile");
    class_bits_[field].push_back(bits);
  }
  return it->second;
}

FilterProgram::FilterProgram(const FilterSet& filters) : filters_(filters.size()), words_((filters.size() + 63) / 64) {
  const auto& defs = filters.defs();
  auto set = [](Bits& b, size_t k) { b[k / 64] |= 1ULL << (k % 64); };
  Bits any[3] = {Bits(words_, 0), Bits(words_, 0), Bits(words_, 0)};
  for (size_t k = 0; k < defs.size(); ++k) {
    if (defs[k].countries.empty()) set(any[kCountry], k); else names_field_[kCountry] = true;
    if (defs[k].ip_blocks.empty()) set(any[kIp], k); else names_field_[kIp] = true;
    if (defs[k].user_ids.empty()) set(any[kUser], k); else names_field_[kUser] = true;
  }

  // Countries: every fixed index, then the named codes that have none.
  std::map<std::string, Bits> named;
  for (size_t k = 0; k < defs.size(); ++k)
    for (const Country& c : defs[k].countries) {
      auto [it, fresh] = named.try_emplace(std::string(c.view()), any[kCountry]);
      set(it->second, k);
    }
  country_default_ = intern(kCountry, any[kCountry]);
  country_class_.assign(kFixedCountries, country_default_);
  for (const auto& [code, bits] : named) {
    Country c;
    std::copy(code.begin(), code.end(), c.code.begin());
    c.len = static_cast<uint8_t>(code.size());
    const uint16_t fixed = fixed_country_index(c);
    const uint32_t cls = intern(kCountry, bits);
    if (fixed != kCountryOverflow) country_class_[fixed] = cls;
    else other_country_class_.emplace(code, cls);
  }

  // Addresses: a sweep over block edges keeps, per filter, how many of its blocks cover the
  // current interval.
  std::vector<std::pair<Addr, int64_t>> edges;  // (address, +/- (filter + 1))
  for (size_t k = 0; k < defs.size(); ++k)
    for (const Cidr& b : defs[k].ip_blocks) {
      const auto [first, last] = block_range(b);
      edges.emplace_back(first, static_cast<int64_t>(k) + 1);
      if (last != Addr{~0ULL, ~0ULL}) {
        const Addr after = last.second == ~0ULL ? Addr{last.first + 1, 0} : Addr{last.first, last.second + 1};
        edges.emplace_back(after, -(static_cast<int64_t>(k) + 1));
      }
    }
  std::sort(edges.begin(), edges.end());
  std::vector<uint32_t> cover(defs.size(), 0);
  const uint32_t ip_default = intern(kIp, any[kIp]);
  ip_starts_.push_back({0, 0});
  ip_interval_class_.push_back(ip_default);
  for (size_t e = 0; e < edges.size();) {
    const Addr at = edges[e].first;
    for (; e < edges.size() && edges[e].first == at; ++e) {
      const size_t k = static_cast<size_t>(std::abs(edges[e].second) - 1);
      if (edges[e].second > 0) ++cover[k]; else --cover[k];
    }
    Bits bits = any[kIp];
    for (size_t k = 0; k < defs.size(); ++k)
      if (cover[k] > 0) set(bits, k);
    const uint32_t cls = intern(kIp, bits);
    if (at == Addr{0, 0}) ip_interval_class_[0] = cls;
    else if (cls != ip_interval_class_.back()) {
      ip_starts_.push_back(at);
      ip_interval_class_.push_back(cls);
    }
  }

  // The same intervals over IPv4 alone, as 32-bit addresses: the common case, searched with
  // one word per step.
  v4_starts_.push_back(0);
  v4_class_.push_back(ip_class_of({0, kV4Lo}));
  for (size_t k = 0; k < ip_starts_.size(); ++k) {
    const Addr& at = ip_starts_[k];
    if (!is_v4(at) || at == Addr{0, kV4Lo}) continue;
    v4_starts_.push_back(static_cast<uint32_t>(at.second));
    v4_class_.push_back(ip_interval_class_[k]);
  }

  // Users named by any filter.
  std::map<std::string, Bits> users;
  for (size_t k = 0; k < defs.size(); ++k)
    for (const std::string& u : defs[k].user_ids) {
      auto [it, fresh] = users.try_emplace(u, any[kUser]);
      set(it->second, k);
    }
  user_default_ = intern(kUser, any[kUser]);
  size_t cap = 16;
  while (cap < 2 * users.size()) cap *= 2;
  user_slots_.assign(users.empty() ? 0 : cap, UserSlot{});
  for (const auto& [u, bits] : users) {
    users_.push_back(u);
    const uint64_t h = bytes_hash64(u.data(), u.size());
    size_t i = h & (cap - 1);
    while (user_slots_[i].user != 0) i = (i + 1) & (cap - 1);
    user_slots_[i] = UserSlot{h, static_cast<uint32_t>(users_.size()), intern(kUser, bits)};
  }

  const size_t triples = static_cast<size_t>(classes(0)) * classes(1) * classes(2);
  if (triples <= kMaxDenseTriples) {
    dense_offsets_.reserve(triples + 1);
    dense_offsets_.push_back(0);
    for (uint32_t c = 0; c < classes(0); ++c)
      for (uint32_t a = 0; a < classes(1); ++a)
        for (uint32_t u = 0; u < classes(2); ++u) {
          const std::vector<uint16_t> s = slots_of(c, a, u);
          dense_slots_.insert(dense_slots_.end(), s.begin(), s.end());
          dense_offsets_.push_back(static_cast<uint32_t>(dense_slots_.size()));
        }
  }
}

uint32_t FilterProgram::country_class(const Country& c) const {
  const uint16_t fixed = fixed_country_index(c);
  if (fixed != kCountryOverflow) return country_class_[fixed];
  auto it = other_country_class_.find(std::string(c.view()));
  return it == other_country_class_.end() ? country_default_ : it->second;
}

uint32_t FilterProgram::ip_class_of(const std::pair<uint64_t, uint64_t>& a) const {
  const auto it = std::upper_bound(ip_starts_.begin(), ip_starts_.end(), a);
  return ip_interval_class_[static_cast<size_t>(it - ip_starts_.begin()) - 1];
}

uint32_t FilterProgram::ip_class_v6(const uint8_t ip[16]) const { return ip_class_of(addr_of(ip)); }

std::vector<uint16_t> FilterProgram::slots_of(uint32_t c, uint32_t i, uint32_t u) const {
  std::vector<uint16_t> out;
  for (size_t w = 0; w < words_; ++w) {
    uint64_t bits = class_bits_[kCountry][c][w] & class_bits_[kIp][i][w] & class_bits_[kUser][u][w];
    for (; bits != 0; bits &= bits - 1)
      out.push_back(static_cast<uint16_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)) + 1));
  }
  return out;
}

void FilterMatcher::begin_batch(const EventColumns& batch) {
  extra_.clear();
  for (const Country& c : batch.extra_countries()) extra_.push_back(p_.country_class(c));
}

uint32_t FilterMatcher::extra_class(const EventColumns& batch, size_t i) {
  const uint16_t ci = batch.country[i];
  if (ci != kCountryOverflow) return extra_[ci - kFixedCountries];
  return p_.country_class(batch.country_of(i));
}

std::span<const uint16_t> FilterMatcher::memo(uint64_t key, uint32_t c, uint32_t a, uint32_t u) {
  auto it = memo_.find(key);
  if (it == memo_.end()) it = memo_.emplace(key, p_.slots_of(c, a, u)).first;
  return it->second;
}

}  // namespace clickagg
