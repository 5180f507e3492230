#include "host/io/final_results.h"

#include <charconv>
#include <cinttypes>
#include <string>
#include <string_view>

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

namespace {

// Rows are formatted into a buffer with to_chars and written in large blocks: printf's
// format parsing per field was a tenth of a batch run's time.
class CsvOut {
 public:
  explicit CsvOut(std::FILE* f) : f_(f) { buf_.reserve(kFlushAt + 1024); }
  ~CsvOut() { flush(); }
  CsvOut(const CsvOut&) = delete;
  CsvOut& operator=(const CsvOut&) = delete;

  CsvOut& text(std::string_view s) {
    buf_.append(s);
    return *this;
  }
  CsvOut& ch(char c) {
    buf_.push_back(c);
    return *this;
  }
  CsvOut& num(uint64_t v) {
    char tmp[24];
    const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, r.ptr);
    return *this;
  }
  void end_row() {
    buf_.push_back('\n');
    if (buf_.size() >= kFlushAt) flush();
  }
  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 20;
  std::FILE* f_;
  std::string buf_;
};

}  // namespace

void FinalResults::write_counts_csv(std::FILE* out) const {
  CsvOut csv(out);
  csv.text("ad_id,minute,filter_id,count").end_row();
  for (const auto& [minute, w] : windows_) {
    const std::string m = format_minute(minute);
    for (const CountRow& row : w.rows) {
      csv.text(w.ad_id(row)).ch(',').text(m).ch(',').num(row.filter_id).ch(',').num(row.count);
      csv.end_row();
    }
  }
}

void FinalResults::write_topn_csv(std::FILE* out) const {
  CsvOut csv(out);
  csv.text("minute,window,filter_id,rank,ad_id,count").end_row();
  for (const auto& [key, list] : lists_) {
    const std::string m = format_minute(list.minute);
    for (size_t i = 0; i < list.entries.size(); ++i) {
      csv.text(m).ch(',').num(list.window).ch(',').num(list.filter_id).ch(',').num(i + 1).ch(',');
      csv.text(list.ad_id(list.entries[i])).ch(',').num(list.entries[i].count);
      csv.end_row();
    }
  }
}

}  // namespace clickagg
