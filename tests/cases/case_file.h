// Reads the window-semantics case files of this folder (format in README.md). Header-only and
// standard-library-only so every test executable, whatever it links, can run the cases.
#pragma once
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace clickagg::cases {

struct CaseRecord {
  uint64_t line = 0;  // 1-based line in the extracted input (markers removed)
  std::string text;
};

// One process() call's worth of records.
struct CaseBatch {
  uint32_t partition = 0;
  bool restart_before = false;  // save the engine state and resume in a fresh engine first
  std::vector<CaseRecord> records;
};

struct CaseFile {
  std::string name;  // file stem
  std::string description;
  std::map<std::string, std::string> config;  // delay, allowed-lateness, top, topn-windows, format
  std::string filters_yaml;                   // empty: no filter file
  std::vector<CaseBatch> batches;
  std::string input_text;  // the input as a file: markers removed, every line '\n'-terminated
  uint64_t record_count = 0;  // non-blank input lines
  std::vector<std::string> counts_rows;  // expected counts.csv rows, header excluded
  std::vector<std::string> topn_rows;    // expected topn.csv rows, header excluded
  std::map<std::string, uint64_t> summary;
  std::vector<uint64_t> reject_lines;

  bool single_partition() const {
    return std::all_of(batches.begin(), batches.end(),
                       [](const CaseBatch& b) { return b.partition == 0; });
  }
  std::string config_or(const std::string& key, const std::string& fallback) const {
    const auto it = config.find(key);
    return it == config.end() ? fallback : it->second;
  }
};

// Test names and failure messages show the file name, not the object's bytes.
inline void PrintTo(const CaseFile& c, std::ostream* os) { *os << c.name; }

inline constexpr const char* kCountsHeader = "ad_id,minute,filter_id,count";
inline constexpr const char* kTopnHeader = "minute,window,filter_id,rank,ad_id,count";

namespace detail {

inline std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

inline bool skippable(const std::string& line) {
  const std::string t = trim(line);
  return t.empty() || t.front() == '#';
}

inline std::pair<std::string, std::string> key_value(const std::string& line,
                                                     const std::string& where) {
  const size_t colon = line.find(':');
  if (colon == std::string::npos) throw std::runtime_error(where + ": expected 'key: value'");
  return {trim(line.substr(0, colon)), trim(line.substr(colon + 1))};
}

inline void parse_input(CaseFile& c, const std::vector<std::string>& lines) {
  size_t n = lines.size();
  while (n > 0 && trim(lines[n - 1]).empty()) --n;  // trailing blank lines are layout
  CaseBatch current;
  bool restart_next = false;
  uint64_t line_no = 0;
  auto flush = [&](uint32_t next_partition) {
    if (!current.records.empty() || current.restart_before) c.batches.push_back(current);
    current = CaseBatch{};
    current.partition = next_partition;
    current.restart_before = restart_next;
    restart_next = false;
  };
  for (size_t i = 0; i < n; ++i) {
    const std::string& line = lines[i];
    if (!line.empty() && line.front() == '#') continue;  // a comment, not part of the input
    if (!line.empty() && line.front() == '@') {
      std::istringstream words(line);
      std::string marker;
      words >> marker;
      if (marker == "@partition") {
        uint32_t p = 0;
        if (!(words >> p)) throw std::runtime_error(c.name + ": bad @partition");
        flush(p);
      } else if (marker == "@batch") {
        flush(current.partition);
      } else if (marker == "@restart") {
        restart_next = true;
        flush(current.partition);
      } else {
        throw std::runtime_error(c.name + ": unknown marker " + marker);
      }
      continue;
    }
    ++line_no;
    c.input_text += line + "\n";
    if (line.empty()) continue;  // readers skip empty lines; they still count for positions
    ++c.record_count;
    current.records.push_back({line_no, line});
  }
  flush(0);
}

}  // namespace detail

inline CaseFile load_case(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  CaseFile c;
  c.name = path.stem().string();
  std::map<std::string, std::vector<std::string>> sections;
  std::string section, line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("### ", 0) == 0) {
      section = detail::trim(line.substr(4));
      if (sections.count(section)) throw std::runtime_error(c.name + ": repeated ### " + section);
      sections[section];
      continue;
    }
    if (section.empty()) {
      if (!detail::skippable(line)) throw std::runtime_error(c.name + ": text before a section");
      continue;
    }
    sections[section].push_back(line);
  }
  for (const auto& [name, body] : sections) {
    const std::string where = c.name + " ### " + name;
    if (name == "case") {
      for (const auto& l : body) c.description += l + "\n";
    } else if (name == "config") {
      for (const auto& l : body) {
        if (!detail::skippable(l)) c.config.insert(detail::key_value(l, where));
      }
    } else if (name == "filters") {
      for (const auto& l : body) c.filters_yaml += l + "\n";
    } else if (name == "input") {
      detail::parse_input(c, body);
    } else if (name == "counts" || name == "topn") {
      const char* header = name == "counts" ? kCountsHeader : kTopnHeader;
      auto& rows = name == "counts" ? c.counts_rows : c.topn_rows;
      bool header_seen = false;
      for (const auto& l : body) {
        if (detail::skippable(l)) continue;
        if (!header_seen) {
          if (l != header) throw std::runtime_error(where + ": first row must be the header");
          header_seen = true;
          continue;
        }
        rows.push_back(l);
      }
      if (!header_seen) throw std::runtime_error(where + ": missing header");
    } else if (name == "summary") {
      for (const auto& l : body) {
        if (detail::skippable(l)) continue;
        const auto [k, v] = detail::key_value(l, where);
        c.summary[k] = std::stoull(v);
      }
    } else if (name == "rejects") {
      for (const auto& l : body) {
        if (detail::skippable(l)) continue;
        std::istringstream words(l);
        std::string word;
        uint64_t n = 0;
        if (!(words >> word >> n) || word != "line") {
          throw std::runtime_error(where + ": expected 'line N'");
        }
        c.reject_lines.push_back(n);
      }
    } else {
      throw std::runtime_error(where + ": unknown section");
    }
  }
  for (const char* required : {"input", "counts", "topn", "summary"}) {
    if (!sections.count(required)) {
      throw std::runtime_error(c.name + ": missing ### " + std::string(required));
    }
  }
  return c;
}

// Every *.case file of the folder, by file name.
inline std::vector<CaseFile> load_cases(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".case") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<CaseFile> out;
  for (const auto& p : paths) out.push_back(load_case(p));
  return out;
}

}  // namespace clickagg::cases
