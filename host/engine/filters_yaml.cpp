// The YAML filter file (see the spec's "Semantics"): a list under `filters:` whose entries
// name an id and any of country, ip, user_id, each a value or a list.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "host/common/country.h"
#include "host/engine/filters.h"

namespace clickagg {

namespace {

std::vector<std::string> scalars(const YAML::Node& node, const std::string& where) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.as<std::string>());
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!item.IsScalar()) throw std::runtime_error(where + ": list items must be plain values");
      out.push_back(item.as<std::string>());
    }
    if (out.empty()) throw std::runtime_error(where + ": empty list");
  } else {
    throw std::runtime_error(where + ": expected a value or a list");
  }
  return out;
}

FilterDef parse_one(const YAML::Node& node, size_t index) {
  const std::string where = "filter #" + std::to_string(index + 1);
  if (!node.IsMap()) throw std::runtime_error(where + ": expected a mapping");
  FilterDef def;
  bool have_id = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& value = kv.second;
    if (key == "id") {
      long long id = 0;
      try {
        id = value.as<long long>();
      } catch (const YAML::Exception&) {
        throw std::runtime_error(where + ": id must be an integer");
      }
      if (id < 1 || id > 65535) throw std::runtime_error(where + ": id must be in 1..65535");
      def.id = static_cast<uint16_t>(id);
      have_id = true;
    } else if (key == "name") {
      def.name = value.as<std::string>();
    } else if (key == "country") {
      for (const auto& c : scalars(value, where + " country")) {
        Country norm;
        if (!normalize_country(c, norm)) throw std::runtime_error(where + ": bad country '" + c + "'");
        def.countries.push_back(norm);
      }
    } else if (key == "ip") {
      for (const auto& s : scalars(value, where + " ip")) {
        auto block = parse_cidr(s);
        if (!block) throw std::runtime_error(where + ": bad address or CIDR block '" + s + "'");
        def.ip_blocks.push_back(*block);
      }
    } else if (key == "user_id") {
      def.user_ids = scalars(value, where + " user_id");
    } else {
      throw std::runtime_error(where + ": unknown field '" + key + "'");
    }
  }
  if (!have_id) throw std::runtime_error(where + ": missing id");
  return def;
}

}  // namespace

FilterSet parse_filters_yaml(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("filters: ") + e.what());
  }
  if (root.IsNull()) return FilterSet{};
  if (!root.IsMap() || !root["filters"]) throw std::runtime_error("filters: expected a top-level 'filters:' list");
  const YAML::Node list = root["filters"];
  if (list.IsNull()) return FilterSet{};
  if (!list.IsSequence()) throw std::runtime_error("filters: 'filters' must be a list");
  std::vector<FilterDef> defs;
  for (size_t i = 0; i < list.size(); ++i) defs.push_back(parse_one(list[i], i));
  try {
    return FilterSet(std::move(defs));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("filters: ") + e.what());
  }
}

FilterSet load_filters_yaml(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read filter file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return parse_filters_yaml(ss.str());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

}  // namespace clickagg
