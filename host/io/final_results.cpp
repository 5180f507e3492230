#include "host/io/final_results.h"

#include <cinttypes>

#include "host/common/time_util.h"

namespace clickagg {

FinalResults::FinalResults(std::FILE* late_out) : late_out_(late_out) {
  if (late_out_) std::fputs("partition,position,ad_id,event_time_ms,watermark_ms\n", late_out_);
}

void FinalResults::on_late(const LateRecord& r) {
  if (!late_out_) return;
  std::fprintf(late_out_, "%" PRIu32 ",%" PRIu64 ",%s,%" PRId64 ",%" PRId64 "\n", r.partition, r.position, r.ad_id.c_str(), r.t_ms,
               r.watermark_ms);
}

void FinalResults::write_counts_csv(std::FILE* out) const {
  std::fputs("ad_id,minute,filter_id,count\n", out);
  for (const auto& [minute, w] : windows_) {
    const std::string m = format_minute(minute);
    for (const CountRow& row : w.rows) {
      const std::string_view ad = w.ad_id(row);
      std::fprintf(out, "%.*s,%s,%u,%" PRIu64 "\n", static_cast<int>(ad.size()), ad.data(), m.c_str(),
                   static_cast<unsigned>(row.filter_id), row.count);
    }
  }
}

void FinalResults::write_topn_csv(std::FILE* out) const {
  std::fputs("minute,window,filter_id,rank,ad_id,count\n", out);
  for (const auto& [key, list] : lists_) {
    const std::string m = format_minute(list.minute);
    for (size_t i = 0; i < list.entries.size(); ++i) {
      const std::string_view ad = list.ad_id(list.entries[i]);
      std::fprintf(out, "%s,%u,%u,%zu,%.*s,%" PRIu64 "\n", m.c_str(), list.window,
                   static_cast<unsigned>(list.filter_id), i + 1, static_cast<int>(ad.size()), ad.data(),
                   list.entries[i].count);
    }
  }
}

}  // namespace clickagg
