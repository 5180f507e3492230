#include "host/engine/ad_names.h"

#include <bit>
#include <cstring>
#include <stdexcept>

namespace clickagg {

NameKey AdNames::key_of(std::string_view s) {
  unsigned char b[16] = {};
  if (!s.empty()) std::memcpy(b, s.data(), s.size() < 16 ? s.size() : 16);
  uint64_t hi, lo;
  std::memcpy(&hi, b, 8);
  std::memcpy(&lo, b + 8, 8);
  if constexpr (std::endian::native == std::endian::little) {
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
  }
  return NameKey{hi, lo};
}

uint32_t AdNames::add(std::string_view s) {
  const size_t at = bytes_.size();
  const uint32_t i = extend(1, s.size());
  place(i, at, s);
  return i;
}

uint32_t AdNames::extend(size_t names, size_t bytes) {
  if (bytes_.size() + bytes > UINT32_MAX || keys_.size() + names >= UINT32_MAX)
    throw std::length_error("ad names table full");
  const auto first = static_cast<uint32_t>(keys_.size());
  bytes_.resize(bytes_.size() + bytes);
  offsets_.resize(offsets_.size() + names);
  keys_.resize(keys_.size() + names);
  return first;
}

void AdNames::place(uint32_t i, size_t offset, std::string_view name) {
  if (!name.empty()) std::memcpy(bytes_.data() + offset, name.data(), name.size());
  offsets_[i + 1] = static_cast<uint32_t>(offset + name.size());
  keys_[i] = key_of(name);
}

void AdNames::reserve(size_t names, size_t bytes) {
  bytes_.reserve(bytes);
  offsets_.reserve(names + 1);
  keys_.reserve(names);
}

}  // namespace clickagg
