// A micro-batch of decoded events as columns: one array per field, the form every engine
// consumes. Decoders append validated events; what an engine needs per event and would
// otherwise recompute at every stage is derived here once: the dedup fingerprint, 64-bit
// hashes of the ad id and user id, and the country as a small index. The ad id and user id
// bytes are copied into one text buffer that the columns address by offset, so a batch owns
// everything it refers to and the input can be released once it is decoded.
//
// Every buffer comes from a memory resource the caller chooses (new/delete by default; a GPU
// engine passes pinned host memory so the columns can be copied to the device directly). A
// batch is reused: clear() keeps the buffers, so a steady stream allocates nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory_resource>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/common/hash128.h"
#include "host/common/event.h"

namespace clickagg {

// A growable array of trivially copyable values in memory from a std::pmr::memory_resource.
// Unlike std::pmr::vector it never value-initialises, so filling a column writes each byte once.
// Every column may be read up to kColumnPad bytes past its end (word-wise string loads).
constexpr size_t kColumnPad = 64;

template <class T>
class Column {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit Column(std::pmr::memory_resource* r = std::pmr::new_delete_resource()) : r_(r) {}
  ~Column() { release(); }
  Column(Column&& o) noexcept : r_(o.r_), data_(std::exchange(o.data_, nullptr)),
                                size_(std::exchange(o.size_, 0)), cap_(std::exchange(o.cap_, 0)) {}
  Column& operator=(Column&& o) noexcept {
    if (this != &o) {
      release();
      r_ = o.r_;
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      cap_ = std::exchange(o.cap_, 0);
    }
    return *this;
  }
  Column(const Column&) = delete;
  Column& operator=(const Column&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  bool empty() const { return size_ == 0; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  const T* begin() const { return data_; }
  const T* end() const { return data_ + size_; }

  void clear() { size_ = 0; }
  void reserve(size_t n) {
    if (n > cap_) regrow(n);
  }
  void push_back(const T& v) {
    if (size_ == cap_) regrow(cap_ < 1024 ? 1024 : cap_ * 2);
    data_[size_++] = v;
  }
  // The caller has made room (reserve).
  void push_unchecked(const T& v) { data_[size_++] = v; }
  // Grows by n elements left unwritten; returns the first of them.
  T* extend(size_t n) {
    if (size_ + n > cap_) regrow(std::max(size_ + n, cap_ * 2));
    T* p = data_ + size_;
    size_ += n;
    return p;
  }
  // Sets the size; new elements are left unwritten.
  void resize_uninitialized(size_t n) {
    reserve(n);
    size_ = n;
  }

 private:
  void regrow(size_t cap) {
    T* fresh = static_cast<T*>(r_->allocate(cap * sizeof(T) + kColumnPad, alignof(T) < 64 ? 64 : alignof(T)));
    if (size_ > 0) std::memcpy(static_cast<void*>(fresh), data_, size_ * sizeof(T));
    release();
    data_ = fresh;
    cap_ = cap;
  }
  void release() {
    if (data_ != nullptr) r_->deallocate(data_, cap_ * sizeof(T) + kColumnPad, alignof(T) < 64 ? 64 : alignof(T));
    data_ = nullptr;
    cap_ = 0;
  }

  std::pmr::memory_resource* r_;
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t cap_ = 0;
};

struct Ip16 {
  uint8_t b[16];
};

// Countries as 16-bit indexes: a two-letter code of capitals A-Z (every ISO 3166 alpha-2 code)
// is 26 * first + second; any other normalised code is listed in the batch's own table at
// kFixedCountries + k. In the (hostile) case of more distinct other codes in one batch than
// 16 bits hold, the rest share kCountryOverflow and keep their code beside the batch.
constexpr uint16_t kFixedCountries = 26 * 26;
constexpr uint16_t kCountryOverflow = 0xFFFF;
constexpr size_t kMaxExtraCountries = kCountryOverflow - kFixedCountries;

// The fixed index of `c`, or kCountryOverflow when it has none.
inline uint16_t fixed_country_index(const Country& c) {
  if (c.len != 2) return kCountryOverflow;
  const auto a = static_cast<unsigned char>(c.code[0]), b = static_cast<unsigned char>(c.code[1]);
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return kCountryOverflow;
  return static_cast<uint16_t>((a - 'A') * 26 + (b - 'A'));
}
Country fixed_country(uint16_t index);

class EventColumns {
 public:
  explicit EventColumns(std::pmr::memory_resource* r = std::pmr::new_delete_resource());
  EventColumns(EventColumns&&) noexcept = default;
  EventColumns& operator=(EventColumns&&) noexcept = default;

  size_t size() const { return t_ms.size(); }
  bool empty() const { return t_ms.empty(); }
  // Keeps every buffer for the next batch.
  void clear();
  void reserve(size_t events, size_t text_bytes);
  // The text buffer's offsets are 32-bit: a batch that reaches this many bytes of ad and user
  // ids takes no more events (appending to a full batch throws std::length_error).
  static constexpr size_t kMaxTextBytes = (size_t(1) << 32) - (size_t(1) << 16);
  bool full() const { return text.size() >= kMaxTextBytes - 2 * kMaxRecordLen; }

  // Appends one decoded event, its fingerprint computed from all of its fields. Throws
  // std::invalid_argument, appending nothing, for an ad_id over 255 bytes or a user_id over
  // 65535 (decoders reject far shorter ones).
  void append(const Event& ev);
  // Appends every event of another batch (its derived columns as they are).
  void append(const EventColumns& other, size_t begin, size_t end);

  std::string_view ad_id(size_t i) const { return {text.data() + ad_off[i], ad_len[i]}; }
  std::string_view user_id(size_t i) const { return {text.data() + user_off[i], user_len[i]}; }
  // The normalised country code of event i.
  Country country_of(size_t i) const;
  // The codes behind indexes kFixedCountries + k.
  const std::vector<Country>& extra_countries() const { return extra_countries_; }
  // The codes of events whose index is kCountryOverflow: (event, code), by event.
  const std::vector<std::pair<uint32_t, Country>>& overflow_countries() const { return overflow_countries_; }

  Column<int64_t> t_ms;         // event time, UTC milliseconds
  Column<uint64_t> position;    // where the record came from (line, byte offset, Kafka offset)
  Column<Hash128> fp;           // dedup fingerprint (dedup_key.h)
  Column<uint64_t> ad_hash;     // bytes_hash64 of the ad id
  Column<uint32_t> ad_off;      // ad id bytes: text[ad_off, ad_off + ad_len)
  Column<uint8_t> ad_len;       // 1..kMaxAdIdLen
  Column<uint64_t> user_hash;   // bytes_hash64 of the user id
  Column<uint32_t> user_off;    // user id bytes: text[user_off, user_off + user_len)
  Column<uint16_t> user_len;
  Column<Ip16> ip;              // IPv6 bytes, IPv4 mapped (::ffff:a.b.c.d)
  Column<uint16_t> country;     // country index (above)
  Column<char> text;

 private:
  uint16_t country_index(const Country& c, size_t event);
  void grow_events();

  std::vector<Country> extra_countries_;
  std::unordered_map<std::string, uint16_t> extra_index_;
  std::vector<std::pair<uint32_t, Country>> overflow_countries_;  // (event, code), by event
};

// Columns of `events` (tests and one-off tools that hold Event records).
EventColumns columns_of(std::span<const Event> events);

}  // namespace clickagg
