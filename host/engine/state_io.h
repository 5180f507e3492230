// Little binary helpers for engine state snapshots: fixed-width little-endian values and
// length-prefixed strings; a truncated or corrupt snapshot throws instead of half-loading.
#pragma once
#include <cstdint>
#include <istream>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace clickagg::state_io {

template <class T>
void put(std::ostream& out, T v) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get(std::istream& in) {
  static_assert(std::is_trivially_copyable_v<T>);
  T v{};
  if (!in.read(reinterpret_cast<char*>(&v), sizeof v)) throw std::runtime_error("engine state: truncated snapshot");
  return v;
}
inline void put_string(std::ostream& out, std::string_view s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.write(s.data(), static_cast<std::streamsize>(s.size()));
}
inline std::string get_string(std::istream& in) {
  const auto n = get<uint32_t>(in);
  if (n > (1u << 20)) throw std::runtime_error("engine state: corrupt string length");
  std::string s(n, '\0');
  if (!in.read(s.data(), n)) throw std::runtime_error("engine state: truncated snapshot");
  return s;
}
inline void expect_tag(std::istream& in, uint32_t tag, const char* what) {
  if (get<uint32_t>(in) != tag) throw std::runtime_error(std::string("engine state: bad section ") + what);
}

}  // namespace clickagg::state_io
