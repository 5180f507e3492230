#include "host/stream/batch_log.h"

#include <cstring>
#include <filesystem>

#include "host/common/hash128.h"

namespace clickagg::stream {

namespace {
// Entry: u32 payload length | u64 checksum of payload | payload.
// Payload: i64 now_ms | u8 finish | u32 runs | runs x (u32 partition, i64 from, i64 to).
template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
bool get(std::string_view& s, T& v) {
  if (s.size() < sizeof v) return false;
  std::memcpy(&v, s.data(), sizeof v);
  s.remove_prefix(sizeof v);
  return true;
}
uint64_t checksum(std::string_view payload) { return hash128(payload.data(), payload.size(), 0x77616c).lo; }
}  // namespace

std::string BatchLog::path_of(const std::string& dir, uint64_t generation) {
  return dir + "/batches-" + std::to_string(generation) + ".log";
}

BatchLog::BatchLog(const std::string& dir, uint64_t generation) : generation_(generation) {
  const std::string path = path_of(dir, generation);
  std::string bytes;
  io::read_file(path, bytes);
  std::string_view rest = bytes;
  uint64_t valid = 0;
  for (;;) {
    std::string_view cur = rest;
    uint32_t len = 0;
    uint64_t sum = 0;
    if (!get(cur, len) || !get(cur, sum) || cur.size() < len) break;
    std::string_view payload = cur.substr(0, len);
    if (checksum(payload) != sum) break;
    LoggedBatch b;
    uint32_t runs = 0;
    std::string_view p = payload;
    uint8_t finish = 0;
    if (!get(p, b.now_ms) || !get(p, finish) || !get(p, runs)) break;
    b.finish = finish != 0;
    bool ok = true;
    for (uint32_t i = 0; i < runs && ok; ++i) {
      PartitionRun r;
      ok = get(p, r.partition) && get(p, r.from) && get(p, r.to);
      b.runs.push_back(r);
    }
    if (!ok) break;
    recovered_.push_back(std::move(b));
    cur.remove_prefix(len);
    valid += rest.size() - cur.size();
    rest = cur;
  }
  out_ = io::DurableAppender(path, valid);
}

void BatchLog::append(const LoggedBatch& batch) {
  std::string payload;
  put(payload, batch.now_ms);
  put(payload, static_cast<uint8_t>(batch.finish ? 1 : 0));
  put(payload, static_cast<uint32_t>(batch.runs.size()));
  for (const auto& r : batch.runs) {
    put(payload, r.partition);
    put(payload, r.from);
    put(payload, r.to);
  }
  std::string entry;
  put(entry, static_cast<uint32_t>(payload.size()));
  put(entry, checksum(payload));
  entry += payload;
  out_.append(entry);
}

void BatchLog::remove_older(const std::string& dir, uint64_t generation) {
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    if (name.rfind("batches-", 0) != 0) continue;
    const uint64_t g = std::strtoull(name.c_str() + 8, nullptr, 10);
    if (g < generation) std::filesystem::remove(f.path());
  }
}

}  // namespace clickagg::stream
