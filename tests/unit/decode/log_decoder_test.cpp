#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "decode_test_util.h"
#include "host/decode/decode.h"

namespace clickagg {
namespace {

using testing::Expect;
using testing::kJan2021Ms;
using testing::reason;

struct Good {
  std::string line;
  Expect want;
};

TEST(LogDecoder, GoodLines) {
  const std::string ad64(64, 'a');
  const Good cases[] = {
      {"[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 207.148.22.22, USA",
       {"ad001", kJan2021Ms + 1000, "user 1", "207.148.22.22", "US"}},
      {"[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 207.148.22.22, USA, c-42",
       {"ad001", kJan2021Ms + 1000, "user 1", "207.148.22.22", "US", "c-42"}},
      // An empty sixth field means no click_id.
      {"[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 207.148.22.22, USA, ",
       {"ad001", kJan2021Ms + 1000, "user 1", "207.148.22.22", "US"}},
      {"[AdClickEvent] ad001, 2021-01-01 00:00:01,user 1,207.148.22.22,USA,",
       {"ad001", kJan2021Ms + 1000, "user 1", "207.148.22.22", "US"}},
      {"[AdClickEvent]ad2,2021-01-01 00:00:01.5,u,1.2.3.4,gb",
       {"ad2", kJan2021Ms + 1500, "u", "1.2.3.4", "GB"}},
      {"[AdClickEvent] ad2, 2021-01-01 00:00:01.05, u, 1.2.3.4, gbr",
       {"ad2", kJan2021Ms + 1050, "u", "1.2.3.4", "GB"}},
      {"[AdClickEvent] ad2, 2021-01-01 00:00:01.123, u, 1.2.3.4, DEU",
       {"ad2", kJan2021Ms + 1123, "u", "1.2.3.4", "DE"}},
      {"[AdClickEvent] ad2, 2021-01-01 00:00:01.000, u, 1.2.3.4, de",
       {"ad2", kJan2021Ms + 1000, "u", "1.2.3.4", "DE"}},
      {"[AdClickEvent] ad3, 2021-06-15 12:34:56, John  Q  Public, 2001:db8::1, zz",
       {"ad3", kJan2021Ms + (165LL * 86400 + 12 * 3600 + 34 * 60 + 56) * 1000, "John  Q  Public",
        "2001:db8::1", "ZZ"}},
      {"[AdClickEvent]\tad4\t,\t2021-01-01 00:01:00\t,\tuser 4\t,\t::ffff:1.2.3.4\t,\tJPN\t",
       {"ad4", kJan2021Ms + 60'000, "user 4", "::ffff:1.2.3.4", "JP"}},
      // Leap days and the ends of the accepted range.
      {"[AdClickEvent] ad5, 2020-02-29 23:59:59.999, u, 1.2.3.4, US",
       {"ad5", kJan2021Ms - (306LL * 86400) * 1000 - 1, "u", "1.2.3.4", "US"}},
      {"[AdClickEvent] ad5, 2000-02-29 00:00:00, u, 1.2.3.4, US",
       {"ad5", 11016LL * 86'400'000, "u", "1.2.3.4", "US"}},
      {"[AdClickEvent] ad6, 1970-01-01 00:00:00, u, 1.2.3.4, US", {"ad6", 0, "u", "1.2.3.4", "US"}},
      {"[AdClickEvent] ad7, 9999-12-31 23:59:59.999, u, 1.2.3.4, US",
       {"ad7", 253402300799999, "u", "1.2.3.4", "US"}},
      {"[AdClickEvent] " + ad64 + ", 2021-01-01 00:00:01, u, 1.2.3.4, US",
       {ad64, kJan2021Ms + 1000, "u", "1.2.3.4", "US"}},
      // UTF-8 beyond ASCII is fine where it is valid.
      {"[AdClickEvent] ad\xc3\xa9, 2021-01-01 00:00:01, us\xc3\xa9r \xf0\x9f\x98\x80, 1.2.3.4, US",
       {"ad\xc3\xa9", kJan2021Ms + 1000, "us\xc3\xa9r \xf0\x9f\x98\x80", "1.2.3.4", "US"}},
      {"[AdClickEvent] x] ad8, 2021-01-01 00:00:01, u, 1.2.3.4, US",
       {"x] ad8", kJan2021Ms + 1000, "u", "1.2.3.4", "US"}},
  };
  for (const auto& c : cases) {
    Event ev;
    ASSERT_EQ(reason(decode_log(c.line, ev)), "<ok>") << c.line;
    testing::expect_event(ev, c.want, c.line);
  }
}

TEST(LogDecoder, FieldsAreViewsIntoTheLine) {
  const std::string line = "[AdClickEvent] ad001, 2021-01-01 00:00:01, user 1, 1.2.3.4, USA, c1";
  Event ev;
  ASSERT_EQ(decode_log(line, ev), nullptr);
  const char* b = line.data();
  const char* e = b + line.size();
  for (std::string_view v : {ev.ad_id, ev.user_id, ev.click_id}) {
    EXPECT_GE(v.data(), b);
    EXPECT_LE(v.data() + v.size(), e);
  }
}

struct Bad {
  std::string line;
  const char* reason;
};

std::string with_field(int index, const std::string& value) {
  std::string f[5] = {"ad001", "2021-01-01 00:00:01", "user 1", "207.148.22.22", "USA"};
  f[index] = value;
  return "[AdClickEvent] " + f[0] + ", " + f[1] + ", " + f[2] + ", " + f[3] + ", " + f[4];
}

TEST(LogDecoder, Rejects) {
  const std::string good = with_field(0, "ad001");
  const Bad cases[] = {
      {"", "missing [AdClickEvent] tag"},
      {"AdClickEvent ad001, 2021-01-01 00:00:01, u, 1.2.3.4, US", "missing [AdClickEvent] tag"},
      {"[adclickevent] ad001, 2021-01-01 00:00:01, u, 1.2.3.4, US", "missing [AdClickEvent] tag"},
      {" [AdClickEvent] ad001, 2021-01-01 00:00:01, u, 1.2.3.4, US", "missing [AdClickEvent] tag"},
      {"[AdClickEvent", "missing [AdClickEvent] tag"},
      {"[AdClickEvent]", "wrong field count"},
      {"[AdClickEvent] ad001, 2021-01-01 00:00:01, u, 1.2.3.4", "wrong field count"},
      {"[AdClickEvent] ad001, 2021-01-01 00:00:01, u, 1.2.3.4, US, c1, x", "wrong field count"},
      {"[AdClickEvent] ad001, 2021-01-01 00:00:01, u, 1.2.3.4, US, c1,", "wrong field count"},
      {"[AdClickEvent] ,,,,,,,,", "wrong field count"},
      {with_field(0, ""), "empty ad_id"},
      {with_field(0, "  \t "), "empty ad_id"},
      {with_field(0, std::string(65, 'a')), "bad ad_id"},
      {with_field(0, "ad\x01"), "bad ad_id"},
      {with_field(0, "ad\x7f"), "bad ad_id"},
      {with_field(1, ""), "bad timestamp"},
      {with_field(1, "2021-02-29 00:00:00"), "bad timestamp"},
      {with_field(1, "1900-02-29 00:00:00"), "bad timestamp"},
      {with_field(1, "2021-13-01 00:00:00"), "bad timestamp"},
      {with_field(1, "2021-00-01 00:00:00"), "bad timestamp"},
      {with_field(1, "2021-01-32 00:00:00"), "bad timestamp"},
      {with_field(1, "2021-04-31 00:00:00"), "bad timestamp"},
      {with_field(1, "2021-01-01 24:00:00"), "bad timestamp"},
      {with_field(1, "2021-01-01 00:60:00"), "bad timestamp"},
      {with_field(1, "2021-01-01 00:00:60"), "bad timestamp"},
      {with_field(1, "2021-01-01T00:00:01"), "bad timestamp"},
      {with_field(1, "2021-01-01 00:00:01Z"), "bad timestamp"},
      {with_field(1, "2021-01-01 00:00:01."), "bad timestamp"},
      {with_field(1, "2021-01-01 00:00:01.1234"), "bad timestamp"},
      {with_field(1, "2021-01-01 00:00:01.12a"), "bad timestamp"},
      {with_field(1, "2021-01-01 00:00:01,5"), "bad ip"},  // six fields, shifted
      {with_field(1, "1969-12-31 23:59:59"), "bad timestamp"},
      {with_field(1, "2021-1-01 00:00:01"), "bad timestamp"},
      {with_field(1, "2021-01-01  00:00:01"), "bad timestamp"},
      {with_field(1, "20210101 000001"), "bad timestamp"},
      {with_field(1, "1609459201000"), "bad timestamp"},
      {with_field(1, "+021-01-01 00:00:01"), "bad timestamp"},
      {with_field(2, ""), "empty user_id"},
      {with_field(2, " \t "), "empty user_id"},
      {with_field(3, ""), "bad ip"},
      {with_field(3, "300.1.1.1"), "bad ip"},
      {with_field(3, "1.2.3"), "bad ip"},
      {with_field(3, "01.2.3.4"), "bad ip"},
      {with_field(3, "fe80::1%eth0"), "bad ip"},
      {with_field(3, "2001:db8:::1"), "bad ip"},
      {with_field(3, "1.2.3.4 x"), "bad ip"},
      {with_field(4, ""), "bad country"},
      {with_field(4, std::string(17, 'A')), "bad country"},
      {with_field(4, "U\x01S"), "bad country"},
      {with_field(2, "user\xff"), "invalid UTF-8"},
      {with_field(2, "user\xc0\xaf"), "invalid UTF-8"},          // overlong '/'
      {with_field(2, "user\xe0\x80\xaf"), "invalid UTF-8"},      // overlong, 3 bytes
      {with_field(2, "user\xed\xa0\x80"), "invalid UTF-8"},      // surrogate
      {with_field(2, "user\xe2\x82"), "invalid UTF-8"},          // truncated
      {with_field(2, "user\xf4\x90\x80\x80"), "invalid UTF-8"},  // past U+10FFFF
      {with_field(2, "user\x80"), "invalid UTF-8"},              // lone continuation
      {good + "\xc3", "invalid UTF-8"},                          // truncated at the end
      {with_field(2, std::string(4097, 'u')), "oversized record"},
  };
  for (const auto& c : cases) {
    Event ev;
    EXPECT_EQ(reason(decode_log(c.line, ev)), c.reason) << c.line.substr(0, 120);
  }
}

TEST(LogDecoder, CommasAtEveryAlignment) {
  // Field boundaries fall at every offset within an 8-byte word.
  for (size_t ad_len = 1; ad_len <= 24; ++ad_len) {
    for (size_t user_len = 1; user_len <= 9; ++user_len) {
      const std::string ad(ad_len, 'a'), user(user_len, 'u');
      for (const char* tail : {"", ", c", ",", ",,", ", c, d"}) {
        const std::string line =
            "[AdClickEvent] " + ad + ",2021-01-01 00:00:01," + user + ",1.2.3.4,US" + tail;
        Event ev;
        const DecodeStatus s = decode_log(line, ev);
        if (std::string_view(tail).find(',', 1) != std::string_view::npos) {
          EXPECT_EQ(reason(s), "wrong field count") << line;
          continue;
        }
        ASSERT_EQ(reason(s), "<ok>") << line;
        EXPECT_EQ(ev.ad_id, ad);
        EXPECT_EQ(ev.user_id, user);
        EXPECT_EQ(ev.click_id, std::string_view(tail) == ", c" ? "c" : "");
        EXPECT_EQ(ev.country.view(), "US");
      }
    }
  }
}

TEST(LogDecoder, SizeLimitIsInclusive) {
  std::string line = with_field(2, "u");
  const std::string head = "[AdClickEvent] ad001, 2021-01-01 00:00:01, ";
  const std::string tail = ", 207.148.22.22, USA";
  const std::string user(kMaxRecordLen - head.size() - tail.size(), 'u');
  line = head + user + tail;
  ASSERT_EQ(line.size(), kMaxRecordLen);
  Event ev;
  EXPECT_EQ(decode_log(line, ev), nullptr);
  EXPECT_EQ(ev.user_id.size(), user.size());
  line.insert(head.size(), "u");
  EXPECT_EQ(reason(decode_log(line, ev)), "oversized record");
}

TEST(LogDecoder, NeverReadsPastTheRecord) {
  // Each prefix of a good line is decoded from its own exact-size heap copy, so a read past
  // the end would show under a sanitizer; none may crash.
  const std::string line =
      "[AdClickEvent] ad001, 2021-01-01 00:00:01.123, user 1, 2001:db8::1, USA, click";
  for (size_t n = 0; n <= line.size(); ++n) {
    const std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
    std::memcpy(copy.get(), line.data(), n);
    Event ev;
    (void)decode_log(std::string_view(copy.get(), n), ev);
  }
}

}  // namespace
}  // namespace clickagg
