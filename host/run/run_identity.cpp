#include "host/run/run_identity.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "host/io/durable_file.h"

namespace clickagg::run {

namespace {

const char* kFile = "run.json";

nlohmann::json to_json(const RunIdentity& id) {
  const gen::GenConfig& g = id.gen;
  return {{"seed", g.seed},
          {"count", g.count},
          {"ads", g.ads},
          {"zipf", g.zipf},
          {"start_ms", g.start_ms},
          {"events_per_second", g.events_per_second},
          {"users", g.users},
          {"ipv6_fraction", g.ipv6_fraction},
          {"click_id_fraction", g.click_id_fraction},
          {"out_of_order", g.out_of_order},
          {"late", g.late},
          {"very_late", g.very_late},
          {"duplicate", g.duplicate},
          {"malformed", g.malformed},
          {"format", std::string(format_name(id.format))},
          {"rate", id.rate},
          {"first_start_ms", id.first_start_ms}};
}

}  // namespace

std::optional<RunIdentity> load_identity(const std::string& state_dir) {
  const std::string path = state_dir + "/" + kFile;
  std::string text;
  if (!io::read_file(path, text)) return std::nullopt;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    RunIdentity id;
    gen::GenConfig& g = id.gen;
    g.seed = j.at("seed");
    g.count = j.at("count");
    g.ads = j.at("ads");
    g.zipf = j.at("zipf");
    g.start_ms = j.at("start_ms");
    g.events_per_second = j.at("events_per_second");
    g.users = j.at("users");
    g.ipv6_fraction = j.at("ipv6_fraction");
    g.click_id_fraction = j.at("click_id_fraction");
    g.out_of_order = j.at("out_of_order");
    g.late = j.at("late");
    g.very_late = j.at("very_late");
    g.duplicate = j.at("duplicate");
    g.malformed = j.at("malformed");
    const auto format = parse_format(j.at("format").get<std::string>());
    if (!format) throw std::runtime_error("unknown format");
    id.format = *format;
    id.rate = j.at("rate");
    id.first_start_ms = j.at("first_start_ms");
    return id;
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot read " + path + ": " + e.what());
  }
}

void save_identity(const std::string& state_dir, const RunIdentity& id) {
  std::filesystem::create_directories(state_dir);
  io::write_file_atomic(state_dir + "/" + kFile, to_json(id).dump(2) + "\n");
}

std::string differences(const RunIdentity& saved, const RunIdentity& wanted, bool seed_given, bool start_given) {
  const nlohmann::json a = to_json(saved), b = to_json(wanted);
  std::string out;
  for (const auto& [key, value] : a.items()) {
    if (key == "first_start_ms") continue;
    if ((key == "seed" && !seed_given) || (key == "start_ms" && !start_given)) continue;
    if (b.at(key) != value) out += (out.empty() ? "" : ", ") + key + " (" + value.dump() + " before, " + b.at(key).dump() + " now)";
  }
  return out;
}

}  // namespace clickagg::run
