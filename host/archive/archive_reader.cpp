#include "host/archive/archive_reader.h"

#include <filesystem>
#include <stdexcept>

#include "host/archive/archive_layout.h"
#include "host/archive/archive_state.h"
#include "host/archive/data_file_reader.h"

namespace clickagg::archive {

void read_archive(const std::string& dir, int64_t from_ms, int64_t to_ms,
                  const std::function<void(const ArchivedEvent&)>& fn) {
  if (from_ms >= to_ms) return;
  if (!std::filesystem::is_directory(dir)) throw std::runtime_error("archive directory " + dir + " does not exist");
  // Without a state file (files copied elsewhere, say) every data file counts as whole.
  const std::optional<ArchiveState> state = load_archive_state(dir);
  for (const HourDir& h : list_hour_dirs(dir, hour_of(from_ms), hour_of(to_ms - 1))) {
    const std::string hour_path = (std::filesystem::path(dir) / h.rel_path).string();
    for (const std::string& name : list_data_files(hour_path)) {
      const std::string rel = h.rel_path + "/" + name;
      uint64_t length = UINT64_MAX;
      if (state) {
        const auto committed = state->committed_bytes(rel, *parse_data_file_name(name));
        if (!committed) continue;
        length = *committed;
      }
      read_data_file(hour_path + "/" + name, length, [&](const ArchivedEvent& e) {
        if (e.event.t_ms >= from_ms && e.event.t_ms < to_ms) fn(e);
      });
    }
  }
}

}  // namespace clickagg::archive
