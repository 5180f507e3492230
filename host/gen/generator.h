// The deterministic click stream: record i depends only on the configuration and the records
// before it, so the same configuration gives the same stream however it is pulled (one record
// at a time, in chunks, or all at once).
#pragma once
#include <cstdint>
#include <vector>

#include "host/gen/ad_permutation.h"
#include "host/gen/gen_event.h"
#include "host/gen/rng.h"
#include "host/gen/workload_config.h"
#include "host/gen/zipf.h"

namespace clickagg::gen {

class Generator {
 public:
  // Throws std::invalid_argument when validate(config) reports a problem.
  explicit Generator(const GenConfig& config);

  // True once config.count records were produced (never for an unbounded stream).
  bool done() const { return config_.count != 0 && produced_ >= config_.count; }
  uint64_t produced() const { return produced_; }
  const GenConfig& config() const { return config_; }

  // The next record; the reference stays valid until the following call. Must not be called
  // once done().
  const GenEvent& next();
  // Moves past the next n records (fewer once done()) as next() would, without rendering
  // them: a stream resumed at record n is the stream from 0 with n skipped.
  void skip(uint64_t n);

 private:
  // Everything random about one event, as numbers: small enough to keep thousands of recent
  // events for duplicates, and rendered to text only for the record being emitted.
  struct Draw {
    uint64_t ad = 0;
    uint64_t user = 0;
    uint64_t click_id = 0;
    int64_t t_ms = 0;
    IpAddr ip;
    bool ipv6_compressed = false;
    bool has_click_id = false;
    uint8_t country = 0;  // index into country_table()
    TimestampForm ts_form = TimestampForm::LogText;
  };

  void advance(bool rendered);
  RecordKind draw_kind();
  Draw draw_fields(uint64_t seq);
  void draw_ip(Draw& d);
  int64_t disordered_time(RecordKind kind);
  void render(const Draw& d, GenEvent& ev) const;

  GenConfig config_;
  Rng rng_;
  ZipfSampler zipf_;
  AdPermutation ad_of_rank_;
  int ad_width_;
  double ms_per_event_;
  uint64_t click_key_;

  uint64_t produced_ = 0;
  bool have_max_ = false;
  int64_t max_t_ = 0;  // largest event time of a well-formed record so far

  // Recent countable events, the pool duplicates are drawn from (a ring).
  std::vector<Draw> recent_;
  size_t recent_next_ = 0;
  size_t recent_filled_ = 0;

  GenEvent current_;
};

}  // namespace clickagg::gen
