// Where the archive keeps what: Hive-style hour directories of Avro files, named so that
// name order is (partition, offset) order, plus the archiver's state and dead letters.
//
//   DIR/dt=YYYY-MM-DD/hour=HH/part-PPPPP-OOOOOOOOOOOOOOOOOOOO.avro
//   DIR/_archive_state.json   committed offsets and open-file lengths (archive_state.h)
//   DIR/_dead_letters.txt     one line per rejected record: partition, offset, reason
//   DIR/_archive.lock         held (flock) by the one archiver writing the directory
//
// A file name carries the partition and the Kafka offset of the file's first event (both
// zero-padded): unique without coordination (an offset is archived once) and it tells the
// recovery whether the file was created before or after the last commit. Names starting
// with '_' are skipped by Hive, Spark and the like.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clickagg::archive {

constexpr int64_t kMsPerHour = 3'600'000;

// floor(t_ms / 1 h): hours since the epoch.
int64_t hour_of(int64_t t_ms);
// "dt=2021-01-01/hour=07" for an hour since the epoch.
std::string hour_dir_name(int64_t hour);

struct DataFileName {
  uint32_t partition = 0;
  uint64_t first_offset = 0;
};
std::string data_file_name(uint32_t partition, uint64_t first_offset);
std::optional<DataFileName> parse_data_file_name(std::string_view name);

std::string state_path(const std::string& dir);
std::string dead_letter_path(const std::string& dir);

struct HourDir {
  int64_t hour;
  std::string rel_path;  // relative to the archive directory
};
// The hour directories under `dir` for hours in [first_hour, last_hour], ascending.
// Directories with other names are ignored.
std::vector<HourDir> list_hour_dirs(const std::string& dir, int64_t first_hour, int64_t last_hour);
// Names of the data files directly in `hour_dir` (absolute or relative path), sorted.
std::vector<std::string> list_data_files(const std::string& hour_dir);

}  // namespace clickagg::archive
