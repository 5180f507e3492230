#include "host/decode/event_columns.h"

#include <algorithm>
#include <stdexcept>

#include "host/common/bytes_hash.h"
#include "host/decode/dedup_key.h"

namespace clickagg {

Country fixed_country(uint16_t index) {
  Country c;
  c.code[0] = static_cast<char>('A' + index / 26);
  c.code[1] = static_cast<char>('A' + index % 26);
  c.len = 2;
  return c;
}

EventColumns::EventColumns(std::pmr::memory_resource* r)
    : t_ms(r), position(r), fp(r), ad_hash(r), ad_off(r), ad_len(r), user_hash(r), user_off(r), user_len(r),
      ip(r), country(r), text(r) {}

void EventColumns::clear() {
  t_ms.clear();
  position.clear();
  fp.clear();
  ad_hash.clear();
  ad_off.clear();
  ad_len.clear();
  user_hash.clear();
  user_off.clear();
  user_len.clear();
  ip.clear();
  country.clear();
  text.clear();
  extra_countries_.clear();
  extra_index_.clear();
  overflow_countries_.clear();
}

void EventColumns::reserve(size_t events, size_t text_bytes) {
  // Every event column keeps the same capacity (append checks one).
  events = std::max(events, t_ms.capacity());
  t_ms.reserve(events);
  position.reserve(events);
  fp.reserve(events);
  ad_hash.reserve(events);
  ad_off.reserve(events);
  ad_len.reserve(events);
  user_hash.reserve(events);
  user_off.reserve(events);
  user_len.reserve(events);
  ip.reserve(events);
  country.reserve(events);
  text.reserve(text_bytes);
}

uint16_t EventColumns::country_index(const Country& c, size_t event) {
  const uint16_t fixed = fixed_country_index(c);
  if (fixed != kCountryOverflow) return fixed;
  std::string key(c.view());
  if (auto it = extra_index_.find(key); it != extra_index_.end()) return it->second;
  if (extra_countries_.size() < kMaxExtraCountries) {
    const auto index = static_cast<uint16_t>(kFixedCountries + extra_countries_.size());
    extra_countries_.push_back(c);
    extra_index_.emplace(std::move(key), index);
    return index;
  }
  overflow_countries_.emplace_back(static_cast<uint32_t>(event), c);
  return kCountryOverflow;
}

Country EventColumns::country_of(size_t i) const {
  const uint16_t index = country[i];
  if (index < kFixedCountries) return fixed_country(index);
  if (index != kCountryOverflow) return extra_countries_[index - kFixedCountries];
  auto it = std::lower_bound(overflow_countries_.begin(), overflow_countries_.end(), static_cast<uint32_t>(i),
                             [](const auto& e, uint32_t v) { return e.first < v; });
  return it->second;
}

void EventColumns::grow_events() {
  const size_t cap = t_ms.capacity() < 1024 ? 1024 : 2 * t_ms.capacity();
  t_ms.reserve(cap);
  position.reserve(cap);
  fp.reserve(cap);
  ad_hash.reserve(cap);
  ad_off.reserve(cap);
  ad_len.reserve(cap);
  user_hash.reserve(cap);
  user_off.reserve(cap);
  user_len.reserve(cap);
  ip.reserve(cap);
  country.reserve(cap);
}

void EventColumns::append(const Event& ev) {
  const size_t ad_n = ev.ad_id.size(), user_n = ev.user_id.size();
  if (ad_n > 255 || user_n > 0xFFFF) throw std::invalid_argument("event columns: ad_id over 255 bytes or user_id over 65535");
  if (text.size() + ad_n + user_n > kMaxTextBytes) throw std::length_error("event columns: batch text full");
  // Every event column has the same capacity: one check covers them all.
  if (t_ms.size() == t_ms.capacity()) grow_events();
  const size_t i = size();
  const auto off = static_cast<uint32_t>(text.size());
  char* dst = text.extend(ad_n + user_n);
  if (ad_n > 0) std::memcpy(dst, ev.ad_id.data(), ad_n);
  if (user_n > 0) std::memcpy(dst + ad_n, ev.user_id.data(), user_n);

  t_ms.push_unchecked(ev.t_ms);
  position.push_unchecked(ev.position);
  fp.push_unchecked(dedup_fingerprint(ev.ad_id.data(), static_cast<uint32_t>(ad_n), ev.t_ms, ev.user_id.data(),
                                      static_cast<uint32_t>(user_n), ev.ip.bytes.data(), ev.country.code.data(),
                                      ev.country.len, ev.click_id.data(), static_cast<uint32_t>(ev.click_id.size())));
  ad_hash.push_unchecked(bytes_hash64(ev.ad_id.data(), ad_n));
  ad_off.push_unchecked(off);
  ad_len.push_unchecked(static_cast<uint8_t>(ad_n));
  user_hash.push_unchecked(bytes_hash64(ev.user_id.data(), user_n));
  user_off.push_unchecked(static_cast<uint32_t>(off + ad_n));
  user_len.push_unchecked(static_cast<uint16_t>(user_n));
  Ip16 a;
  std::memcpy(a.b, ev.ip.bytes.data(), 16);
  ip.push_unchecked(a);
  country.push_unchecked(country_index(ev.country, i));
}

void EventColumns::append(const EventColumns& o, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    const size_t ad_n = o.ad_len[i], user_n = o.user_len[i];
    if (text.size() + ad_n + user_n > kMaxTextBytes) throw std::length_error("event columns: batch text full");
    if (t_ms.size() == t_ms.capacity()) grow_events();
    const size_t j = size();
    const auto off = static_cast<uint32_t>(text.size());
    char* dst = text.extend(ad_n + user_n);
    std::memcpy(dst, o.text.data() + o.ad_off[i], ad_n);
    if (user_n > 0) std::memcpy(dst + ad_n, o.text.data() + o.user_off[i], user_n);
    t_ms.push_unchecked(o.t_ms[i]);
    position.push_unchecked(o.position[i]);
    fp.push_unchecked(o.fp[i]);
    ad_hash.push_unchecked(o.ad_hash[i]);
    ad_off.push_unchecked(off);
    ad_len.push_unchecked(o.ad_len[i]);
    user_hash.push_unchecked(o.user_hash[i]);
    user_off.push_unchecked(static_cast<uint32_t>(off + ad_n));
    user_len.push_unchecked(o.user_len[i]);
    ip.push_unchecked(o.ip[i]);
    const uint16_t c = o.country[i];
    country.push_unchecked(c < kFixedCountries ? c : country_index(o.country_of(i), j));
  }
}

EventColumns columns_of(std::span<const Event> events) {
  EventColumns c;
  c.reserve(events.size(), events.size() * 24);
  for (const Event& ev : events) c.append(ev);
  return c;
}

}  // namespace clickagg
