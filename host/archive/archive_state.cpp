#include "host/archive/archive_state.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

#include "host/io/durable_file.h"

namespace clickagg::archive {

namespace {
constexpr int kVersion = 1;
}

std::optional<uint64_t> ArchiveState::committed_bytes(const std::string& rel_path, const DataFileName& name) const {
  const auto next = next_offset.find(name.partition);
  if (next == next_offset.end() || next->second < 0 || name.first_offset >= static_cast<uint64_t>(next->second))
    return std::nullopt;
  const auto open = open_files.find(rel_path);
  return open == open_files.end() ? UINT64_MAX : open->second;
}

std::optional<ArchiveState> load_archive_state(const std::string& dir) {
  const std::string path = state_path(dir);
  std::string text;
  if (!io::read_file(path, text)) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.at("version").get<int>() != kVersion)
      throw std::runtime_error("unsupported version " + j.at("version").dump());
    ArchiveState s;
    s.topic = j.at("topic").get<std::string>();
    for (const auto& [p, off] : j.at("next_offset").items())
      s.next_offset[static_cast<uint32_t>(std::stoul(p))] = off.get<int64_t>();
    for (const auto& [f, len] : j.at("open_files").items()) s.open_files[f] = len.get<uint64_t>();
    s.dead_letter_bytes = j.at("dead_letter_bytes").get<uint64_t>();
    s.commits = j.at("commits").get<uint64_t>();
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error("corrupt archive state " + path + ": " + e.what());
  }
}

void save_archive_state(const std::string& dir, const ArchiveState& s) {
  nlohmann::json j;
  j["version"] = kVersion;
  j["topic"] = s.topic;
  j["next_offset"] = nlohmann::json::object();
  for (const auto& [p, off] : s.next_offset) j["next_offset"][std::to_string(p)] = off;
  j["open_files"] = nlohmann::json::object();
  for (const auto& [f, len] : s.open_files) j["open_files"][f] = len;
  j["dead_letter_bytes"] = s.dead_letter_bytes;
  j["commits"] = s.commits;
  io::write_file_atomic(state_path(dir), j.dump(1) + "\n");
}

}  // namespace clickagg::archive
