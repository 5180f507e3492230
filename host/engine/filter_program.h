// The filter table compiled for evaluation per event at a cost independent of its size.
//
// Each field a filter can name (country, IP, user id) splits its values into classes: two
// values are in the same class when exactly the same filters accept them (a filter that does
// not name the field accepts every value). A country's class is one array read (its index),
// an address's a binary search over the interval boundaries of every CIDR block, a user id's
// one hash probe. The filters an event matches are the intersection of its three classes; the
// result for each triple of classes is a list of group slots (filter k counts into slot k + 1,
// slot 0 is "all clicks"), precomputed when the triples are few and memoised per matcher when
// they are many. FilterDef::matches stays as the plain definition the tests compare with.
#pragma once
#include <cstdint>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "host/decode/event_columns.h"
#include "host/engine/filters.h"

namespace clickagg {

class FilterProgram {
 public:
  explicit FilterProgram(const FilterSet& filters);

  uint32_t slots() const { return static_cast<uint32_t>(filters_) + 1; }
  bool empty() const { return filters_ == 0; }
  uint32_t country_class(uint16_t fixed_index) const { return country_class_[fixed_index]; }
  uint32_t country_class(const Country& c) const;
  uint32_t ip_class(const uint8_t ip[16]) const {
    uint64_t hi, lo;
    std::memcpy(&hi, ip, 8);
    std::memcpy(&lo, ip + 8, 8);
    // IPv4 (::ffff:a.b.c.d), the common case: a branch-free search over 32-bit starts.
    if (hi != 0 || static_cast<uint32_t>(lo) != 0xFFFF0000u) return ip_class_v6(ip);
    const uint32_t v = __builtin_bswap32(static_cast<uint32_t>(lo >> 32));
    const uint32_t* base = v4_starts_.data();
    size_t n = v4_starts_.size();
    while (n > 1) {
      const size_t half = n / 2;
      base = base[half] <= v ? base + half : base;
      n -= half;
    }
    return v4_class_[static_cast<size_t>(base - v4_starts_.data())];
  }
  uint32_t user_class(uint64_t hash, std::string_view user) const {
    if (user_slots_.empty()) return user_default_;
    const size_t mask = user_slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const UserSlot& s = user_slots_[i];
      if (s.user == 0) return user_default_;
      if (s.hash == hash && users_[s.user - 1] == user) return s.cls;
    }
  }
  uint32_t classes(int field) const { return static_cast<uint32_t>(class_bits_[field].size()); }
  // The slots (ascending, >= 1) of the filters accepting classes (c, i, u).
  std::vector<uint16_t> slots_of(uint32_t c, uint32_t i, uint32_t u) const;
  // Dense table of every triple's slots when there are few triples; empty otherwise.
  bool dense() const { return !dense_offsets_.empty(); }
  std::span<const uint16_t> dense_slots(uint32_t c, uint32_t i, uint32_t u) const {
    const size_t t = (static_cast<size_t>(c) * classes(1) + i) * classes(2) + u;
    return {dense_slots_.data() + dense_offsets_[t], dense_offsets_[t + 1] - dense_offsets_[t]};
  }
  bool names_ips() const { return names_field_[1]; }
  bool names_users() const { return names_field_[2]; }

 private:
  using Bits = std::vector<uint64_t>;
  uint32_t intern(int field, const Bits& bits);

  size_t filters_ = 0;
  size_t words_ = 0;
  bool names_field_[3] = {false, false, false};
  std::vector<Bits> class_bits_[3];          // per field: class -> filters accepting it
  std::map<Bits, uint32_t> class_index_[3];
  std::vector<uint32_t> country_class_;      // fixed country index -> class
  std::unordered_map<std::string, uint32_t> other_country_class_;  // codes without a fixed index
  uint32_t country_default_ = 0;             // class of a code no filter names
  // IP: interval starts (addresses as two big-endian words), ascending, the first at 0; each
  // interval's class.
  std::vector<std::pair<uint64_t, uint64_t>> ip_starts_;
  std::vector<uint32_t> ip_interval_class_;
  std::vector<uint32_t> v4_starts_, v4_class_;  // the same over ::ffff:0:0/96, by IPv4 address
  uint32_t ip_class_of(const std::pair<uint64_t, uint64_t>& addr) const;
  uint32_t ip_class_v6(const uint8_t ip[16]) const;
  // Users named by any filter: open addressing over bytes_hash64, class per user.
  struct UserSlot {
    uint64_t hash = 0;
    uint32_t user = 0;  // index + 1 into users_; 0 = empty
    uint32_t cls = 0;
  };
  std::vector<UserSlot> user_slots_;
  std::vector<std::string> users_;
  uint32_t user_default_ = 0;
  std::vector<uint32_t> dense_offsets_;
  std::vector<uint16_t> dense_slots_;
};

// Evaluates a FilterProgram over batches; one per thread (it memoises triples when the program
// is not dense, and resolves each batch's extra country codes once).
class FilterMatcher {
 public:
  explicit FilterMatcher(const FilterProgram& program) : p_(program) {}
  // Call before classes() or match() on events of a new batch.
  void begin_batch(const EventColumns& batch);
  // Event i's three classes, packed into one key (21 bits each).
  uint64_t classes(const EventColumns& batch, size_t i) {
    if (p_.empty()) return 0;
    const uint16_t ci = batch.country[i];
    const uint64_t c = ci < kFixedCountries ? p_.country_class(ci) : extra_class(batch, i);
    const uint64_t a = p_.names_ips() ? p_.ip_class(batch.ip[i].b) : 0;
    const uint64_t u = p_.names_users() ? p_.user_class(batch.user_hash[i], batch.user_id(i)) : 0;
    return (c << 42) | (a << 21) | u;
  }
  // The filter slots (beyond slot 0) of a class key.
  std::span<const uint16_t> slots(uint64_t key) {
    if (p_.empty()) return {};
    const auto c = static_cast<uint32_t>(key >> 42), a = static_cast<uint32_t>(key >> 21) & 0x1FFFFF,
               u = static_cast<uint32_t>(key) & 0x1FFFFF;
    if (p_.dense()) return p_.dense_slots(c, a, u);
    return memo(key, c, a, u);
  }
  // The filter slots event i of the current batch counts into (beyond slot 0).
  std::span<const uint16_t> match(const EventColumns& batch, size_t i) { return slots(classes(batch, i)); }

 private:
  uint32_t extra_class(const EventColumns& batch, size_t i);
  std::span<const uint16_t> memo(uint64_t key, uint32_t c, uint32_t a, uint32_t u);

  const FilterProgram& p_;
  std::vector<uint32_t> extra_;  // class of each extra country of the current batch
  std::unordered_map<uint64_t, std::vector<uint16_t>> memo_;
};

}  // namespace clickagg
