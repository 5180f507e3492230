#include "host/decode/timestamp.h"

#include <cstring>

#include "host/common/time_util.h"

namespace clickagg {
namespace {

constexpr int64_t kMsPerDay = 86'400'000;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads `n` decimal digits at p; false if any is not a digit.
inline bool digits(const char* p, int n, unsigned& v) {
  v = 0;
  for (int i = 0; i < n; ++i) {
    if (!is_digit(p[i])) return false;
    v = v * 10 + static_cast<unsigned>(p[i] - '0');
  }
  return true;
}

// "YYYY-MM-DD?HH:MM:SS" (19 bytes; the separator ' ', or also 'T' when allowed) -> ms since
// the epoch. Every byte is checked before one branch: timestamps are on the hot path. The
// date of the record before is nearly always this one's: its ten bytes are compared with the
// last valid date this thread read, and only a new date is checked and converted.
bool parse_civil(const char* p, bool allow_t, int64_t& ms) {
  struct LastDate {
    uint64_t head = 0;  // bytes 0..7
    uint16_t tail = 0;  // bytes 8..9
    bool valid = false;
    int64_t day_ms = 0;
  };
  thread_local LastDate last;
  static constexpr int kTimeDigitAt[6] = {11, 12, 14, 15, 17, 18};
  unsigned d[6];
  bool bad = false;
  for (int k = 0; k < 6; ++k) {
    d[k] = static_cast<unsigned>(static_cast<unsigned char>(p[kTimeDigitAt[k]])) - '0';
    bad |= d[k] > 9;
  }
  bad |= p[13] != ':' || p[16] != ':';
  bad |= !(p[10] == ' ' || (allow_t && p[10] == 'T'));
  if (bad) return false;
  const unsigned h = d[0] * 10 + d[1], mi = d[2] * 10 + d[3], s = d[4] * 10 + d[5];
  if (h > 23 || mi > 59 || s > 59) return false;

  uint64_t head;
  uint16_t tail;
  std::memcpy(&head, p, 8);
  std::memcpy(&tail, p + 8, 2);
  if (!last.valid || head != last.head || tail != last.tail) {
    static constexpr int kDateDigitAt[8] = {0, 1, 2, 3, 5, 6, 8, 9};
    unsigned v[8];
    for (int k = 0; k < 8; ++k) {
      v[k] = static_cast<unsigned>(static_cast<unsigned char>(p[kDateDigitAt[k]])) - '0';
      bad |= v[k] > 9;
    }
    bad |= p[4] != '-' || p[7] != '-';
    if (bad) return false;
    const unsigned y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    const unsigned mo = v[4] * 10 + v[5], day = v[6] * 10 + v[7];
    if (y < 1970 || !valid_civil(y, mo, day)) return false;
    last = LastDate{head, tail, true, days_from_civil(y, mo, day) * kMsPerDay};
  }
  ms = last.day_ms + ((h * 60 + mi) * 60 + s) * int64_t{1000};
  return true;
}

// ".f…" at p (p < end points at '.'): up to `max_digits` digits, the first three counted as
// milliseconds. Advances p past the fraction.
bool parse_fraction(const char*& p, const char* end, int max_digits, int64_t& ms) {
  ++p;  // '.'
  int n = 0;
  int64_t frac = 0;
  while (p < end && is_digit(*p)) {
    if (++n > max_digits) return false;
    if (n <= 3) frac = frac * 10 + (*p - '0');
    ++p;
  }
  if (n == 0) return false;
  for (int k = n; k < 3; ++k) frac *= 10;
  ms = frac;
  return true;
}

}  // namespace

bool parse_log_timestamp(std::string_view text, int64_t& t_ms) {
  const size_t n = text.size();
  if (n != 19 && (n < 21 || n > 23)) return false;
  int64_t ms;
  if (!parse_civil(text.data(), false, ms)) return false;
  if (n > 19) {
    if (text[19] != '.') return false;
    const char* p = text.data() + 19;
    int64_t frac;
    if (!parse_fraction(p, text.data() + n, 3, frac) || p != text.data() + n) return false;
    ms += frac;
  }
  t_ms = ms;
  return true;
}

bool parse_text_timestamp(std::string_view text, int64_t& t_ms) {
  if (text.size() < 19) return false;
  int64_t ms;
  if (!parse_civil(text.data(), true, ms)) return false;
  const char* p = text.data() + 19;
  const char* end = text.data() + text.size();
  if (p < end && *p == '.') {
    int64_t frac;
    if (!parse_fraction(p, end, 9, frac)) return false;
    ms += frac;
  }
  if (p < end) {
    if (*p == 'Z') {
      ++p;
    } else if (*p == '+' || *p == '-') {
      const int64_t sign = *p == '+' ? 1 : -1;
      ++p;
      unsigned oh = 0, om = 0;
      const size_t left = static_cast<size_t>(end - p);
      if (left == 2) {  // +HH
        if (!digits(p, 2, oh)) return false;
      } else if (left == 4) {  // +HHMM
        if (!digits(p, 2, oh) || !digits(p + 2, 2, om)) return false;
      } else if (left == 5) {  // +HH:MM
        if (!digits(p, 2, oh) || p[2] != ':' || !digits(p + 3, 2, om)) return false;
      } else {
        return false;
      }
      if (oh > 23 || om > 59) return false;
      p = end;
      // Local time = UTC + offset.
      ms -= sign * static_cast<int64_t>(oh * 60 + om) * 60'000;
    } else {
      return false;
    }
  }
  if (p != end || ms < 0 || ms > kMaxEventTimeMs) return false;
  t_ms = ms;
  return true;
}

bool parse_epoch_ms(std::string_view number, int64_t& t_ms) {
  // 15 digits cover every value up to kMaxEventTimeMs; more cannot be in range.
  if (number.empty() || number.size() > 15) return false;
  if (number.size() > 1 && number[0] == '0') return false;
  int64_t v = 0;
  for (char c : number) {
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  if (v > kMaxEventTimeMs) return false;
  t_ms = v;
  return true;
}

}  // namespace clickagg
