#include "host/watch/watch_state.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "host/io/durable_file.h"

namespace clickagg::watch {

namespace {
constexpr int kVersion = 1;
using nlohmann::json;

// get<uint64_t>() would turn -1 into 2^64-1; offsets must be written as unsigned numbers.
uint64_t unsigned_field(const json& j, const char* key) {
  const json& v = j.at(key);
  if (!v.is_number_unsigned()) throw std::runtime_error(std::string(key) + " is not an unsigned integer");
  return v.get<uint64_t>();
}
}  // namespace

std::string encode_state(const WatchState& state) {
  json files = json::array();
  for (const FileState& f : state.files) {
    files.push_back({{"path", f.path},
                     {"dev", f.id.dev},
                     {"ino", f.id.ino},
                     {"offset", f.offset},
                     {"fingerprint_len", f.fingerprint.len},
                     {"fingerprint", hash_to_hex(f.fingerprint.hash)},
                     {"skipping", f.skipping}});
  }
  const json doc = {{"version", kVersion}, {"dead_letter_bytes", state.dead_letter_bytes}, {"files", files}};
  // Paths need not be UTF-8; replacing bad bytes only affects the informational name.
  return doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

WatchState decode_state(std::string_view text) {
  try {
    const json doc = json::parse(text);
    if (doc.at("version").get<int>() != kVersion)
      throw std::runtime_error("unsupported version " + doc.at("version").dump());
    WatchState s;
    s.dead_letter_bytes = unsigned_field(doc, "dead_letter_bytes");
    for (const json& f : doc.at("files")) {
      FileState fs;
      fs.path = f.at("path").get<std::string>();
      fs.id.dev = unsigned_field(f, "dev");
      fs.id.ino = unsigned_field(f, "ino");
      fs.offset = unsigned_field(f, "offset");
      const uint64_t fp_len = unsigned_field(f, "fingerprint_len");
      if (fp_len > kFingerprintBytes) throw std::runtime_error("fingerprint_len too large");
      fs.fingerprint.len = static_cast<uint32_t>(fp_len);
      const auto hash = hash_from_hex(f.at("fingerprint").get<std::string>());
      if (!hash) throw std::runtime_error("bad fingerprint");
      fs.fingerprint.hash = *hash;
      fs.skipping = f.at("skipping").get<bool>();
      s.files.push_back(std::move(fs));
    }
    return s;
  } catch (const json::exception& e) {
    throw std::runtime_error(e.what());
  }
}

bool load_state(const std::string& path, WatchState& out) {
  std::string text;
  if (!io::read_file(path, text)) return false;
  try {
    out = decode_state(text);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("watch state " + path + " is unreadable (" + e.what() +
                             "); move it away to start every file from the beginning");
  }
  return true;
}

void save_state(const std::string& path, const WatchState& state) {
  io::write_file_atomic(path, encode_state(state));
}

}  // namespace clickagg::watch
