// One generated record with owned strings, plus what the generator meant it to be. Writers
// render it in any input format; view() gives the decoded form engines consume.
#pragma once
#include <cstdint>
#include <string>

#include "host/common/event.h"

namespace clickagg::gen {

// The outcome a record is built for (single partition, default delay and lateness).
enum class RecordKind : uint8_t {
  Normal,      // at the head of event time
  OutOfOrder,  // behind, but inside the watermark delay
  Late,        // into a closed, still retained window
  VeryLate,    // into a purged window
  Duplicate,   // a verbatim repeat of an earlier Normal/OutOfOrder/Late record
  Malformed,   // corrupt bytes
};

enum class MalformedKind : uint8_t { WrongFieldCount, EmptyAdId, BadTimestamp, BadIp, InvalidUtf8, Oversized };
constexpr int kMalformedKinds = 6;

// How a JSON record writes click_timestamp; part of the event so a duplicate repeats it.
enum class TimestampForm : uint8_t { LogText, Iso8601, EpochMs };

const char* kind_name(RecordKind kind);
const char* malformed_name(MalformedKind kind);

struct GenEvent {
  uint64_t seq = 0;  // 0-based position of the record in the stream
  RecordKind kind = RecordKind::Normal;
  MalformedKind malformed = MalformedKind::WrongFieldCount;  // when kind == Malformed
  uint8_t variant = 0;  // picks among the corruptions of one MalformedKind
  TimestampForm ts_form = TimestampForm::LogText;

  std::string ad_id;
  std::string user_id;
  std::string ip_text;
  std::string country_raw;  // as written: "usa", "GBR", ...
  std::string click_id;     // empty when absent
  int64_t t_ms = 0;
  IpAddr ip;                // the bytes ip_text spells
  Country country;          // normalised alpha-2

  // The event a decoder yields for this record (meaningless for Malformed). Views point into
  // this object.
  Event view() const {
    Event e;
    e.ad_id = ad_id;
    e.user_id = user_id;
    e.click_id = click_id;
    e.t_ms = t_ms;
    e.ip = ip;
    e.country = country;
    return e;
  }
};

}  // namespace clickagg::gen
