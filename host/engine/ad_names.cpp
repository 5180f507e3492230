#include "host/engine/ad_names.h"

#include <stdexcept>

namespace clickagg {

NameKey AdNames::key_of(std::string_view s) {
  NameKey k;
  for (size_t i = 0; i < 8; ++i) k.hi = (k.hi << 8) | (i < s.size() ? static_cast<unsigned char>(s[i]) : 0u);
  for (size_t i = 8; i < 16; ++i) k.lo = (k.lo << 8) | (i < s.size() ? static_cast<unsigned char>(s[i]) : 0u);
  return k;
}

uint32_t AdNames::add(std::string_view s) {
  if (bytes_.size() + s.size() > UINT32_MAX || keys_.size() == UINT32_MAX - 1)
    throw std::length_error("ad names table full");
  bytes_.insert(bytes_.end(), s.begin(), s.end());
  offsets_.push_back(static_cast<uint32_t>(bytes_.size()));
  keys_.push_back(key_of(s));
  return static_cast<uint32_t>(keys_.size() - 1);
}

void AdNames::reserve(size_t names, size_t bytes) {
  bytes_.reserve(bytes);
  offsets_.reserve(names + 1);
  keys_.reserve(names);
}

}  // namespace clickagg
