// Helpers for the archive tests: records as the log format writes them, and archived events
// copied into plain rows that outlive the reader's callback.
#pragma once
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "host/archive/archive_reader.h"
#include "host/common/ip.h"
#include "tests/unit/store/temp_dir.h"

namespace clickagg::testing {

inline std::string log_record(const std::string& ad, const std::string& ts, const std::string& user,
                              const std::string& ip, const std::string& country, const std::string& click_id = "") {
  std::string s = "[AdClickEvent] " + ad + ", " + ts + ", " + user + ", " + ip + ", " + country;
  if (!click_id.empty()) s += ", " + click_id;
  return s;
}

struct Row {
  uint32_t partition = 0;
  uint64_t offset = 0;
  std::string ad_id;
  int64_t t_ms = 0;
  std::string user_id, ip, country, click_id;
  auto key() const { return std::tie(partition, offset, ad_id, t_ms, user_id, ip, country, click_id); }
  bool operator==(const Row& o) const { return key() == o.key(); }
  bool operator<(const Row& o) const { return key() < o.key(); }
};

inline Row to_row(const archive::ArchivedEvent& e) {
  return Row{e.partition,
             e.offset,
             std::string(e.event.ad_id),
             e.event.t_ms,
             std::string(e.event.user_id),
             format_ip(e.event.ip),
             std::string(e.event.country.view()),
             std::string(e.event.click_id)};
}

inline std::vector<Row> read_rows(const std::string& dir, int64_t from_ms = INT64_MIN, int64_t to_ms = INT64_MAX) {
  std::vector<Row> rows;
  archive::read_archive(dir, from_ms, to_ms, [&](const archive::ArchivedEvent& e) { rows.push_back(to_row(e)); });
  return rows;
}

}  // namespace clickagg::testing
