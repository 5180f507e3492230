#include "host/stream/checkpoint.h"

#include <cstring>
#include <stdexcept>

#include "host/common/hash128.h"
#include "host/stream/file_util.h"

namespace clickagg::stream {

namespace {
constexpr uint32_t kMagic = 0x4b434143;  // "CACK"
// Version 2 added the reject counter; version 1 files still load (counter 0).
constexpr uint32_t kVersion = 2;
template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get(std::string_view& s) {
  T v;
  if (s.size() < sizeof v) throw std::runtime_error("checkpoint: truncated");
  std::memcpy(&v, s.data(), sizeof v);
  s.remove_prefix(sizeof v);
  return v;
}
uint64_t checksum(std::string_view body) { return hash128(body.data(), body.size(), 0x636b7074).lo; }
}  // namespace

std::string checkpoint_path(const std::string& dir) { return dir + "/checkpoint.bin"; }

void save_checkpoint(const std::string& dir, const Checkpoint& cp) {
  std::string body;
  put(body, kMagic);
  put(body, kVersion);
  put(body, cp.log_generation);
  put(body, cp.out_seq);
  put(body, static_cast<uint32_t>(cp.next_offset.size()));
  for (const auto& [p, off] : cp.next_offset) {
    put(body, p);
    put(body, off);
  }
  put(body, cp.rejected);
  put(body, static_cast<uint64_t>(cp.engine_state.size()));
  body += cp.engine_state;
  put(body, checksum(body));
  write_file_atomic(checkpoint_path(dir), body);
}

std::optional<Checkpoint> load_checkpoint(const std::string& dir) {
  std::string bytes;
  if (!read_file(checkpoint_path(dir), bytes)) return std::nullopt;
  if (bytes.size() < 8) throw std::runtime_error("checkpoint: truncated " + checkpoint_path(dir));
  std::string_view body(bytes.data(), bytes.size() - 8);
  uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (checksum(body) != sum) throw std::runtime_error("checkpoint: checksum mismatch in " + checkpoint_path(dir));
  const uint32_t magic = get<uint32_t>(body);
  const uint32_t version = get<uint32_t>(body);
  if (magic != kMagic || version < 1 || version > kVersion)
    throw std::runtime_error("checkpoint: not a clickagg checkpoint of a known version: " + checkpoint_path(dir));
  Checkpoint cp;
  cp.log_generation = get<uint64_t>(body);
  cp.out_seq = get<uint64_t>(body);
  const auto n = get<uint32_t>(body);
  for (uint32_t i = 0; i < n; ++i) {
    const auto p = get<uint32_t>(body);
    cp.next_offset[p] = get<int64_t>(body);
  }
  if (version >= 2) cp.rejected = get<uint64_t>(body);
  const auto len = get<uint64_t>(body);
  if (body.size() != len) throw std::runtime_error("checkpoint: bad engine state length");
  cp.engine_state.assign(body.data(), body.size());
  return cp;
}

}  // namespace clickagg::stream
