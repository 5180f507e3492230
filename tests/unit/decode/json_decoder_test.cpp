#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "decode_test_util.h"
#include "host/decode/decode.h"

namespace clickagg {
namespace {

using testing::Expect;
using testing::kJan2021Ms;
using testing::reason;

const std::string kBase =
    R"("ad_id":"ad001","click_timestamp":"2021-01-01 00:00:01","user_id":"user 1",)"
    R"("ip":"207.148.22.22","country":"USA")";

// A record whose `key` holds the raw JSON `value` (other fields as in kBase).
std::string with(const std::string& key, const std::string& value) {
  std::string ad = R"("ad001")", ts = R"("2021-01-01 00:00:01")", user = R"("user 1")",
              ip = R"("207.148.22.22")", country = R"("USA")";
  std::string extra;
  if (key == "ad_id") ad = value;
  else if (key == "click_timestamp") ts = value;
  else if (key == "user_id") user = value;
  else if (key == "ip") ip = value;
  else if (key == "country") country = value;
  else extra = R"(,")" + key + R"(":)" + value;
  return R"({"ad_id":)" + ad + R"(,"click_timestamp":)" + ts + R"(,"user_id":)" + user +
         R"(,"ip":)" + ip + R"(,"country":)" + country + extra + "}";
}

const Expect kDefault{"ad001", kJan2021Ms + 1000, "user 1", "207.148.22.22", "US"};

Expect but(Expect e, int field, const std::string& v) {
  switch (field) {
    case 0: e.ad_id = v; break;
    case 2: e.user_id = v; break;
    case 3: e.ip = v; break;
    case 4: e.country = v; break;
    case 5: e.click_id = v; break;
  }
  return e;
}
Expect at(int64_t t_ms) {
  Expect e = kDefault;
  e.t_ms = t_ms;
  return e;
}

struct Good {
  std::string json;
  Expect want;
};

TEST(JsonDecoder, GoodRecords) {
  const Good cases[] = {
      {"{" + kBase + "}", kDefault},
      {" \t{ \"ad_id\" : \"ad001\" ,\n\"click_timestamp\"\t:\"2021-01-01 00:00:01\", \"user_id\": "
       "\"user 1\", \"ip\": \"207.148.22.22\", \"country\": \"USA\" } \r\n ",
       kDefault},
      {R"({"country":"usa","ip":"207.148.22.22","user_id":"user 1",)"
       R"("click_timestamp":"2021-01-01 00:00:01","ad_id":"ad001"})",
       kDefault},
      {with("click_id", R"("c-1")"), but(kDefault, 5, "c-1")},
      {with("click_id", "null"), kDefault},
      {with("click_id", R"("")"), kDefault},
      // Unknown keys are skipped, whatever their values hold.
      {with("extra", R"({"a":[1,2,{"b":null,"c":[true,false]}],"d":"}"})"), kDefault},
      {with("n", "-1.5e+3"), kDefault},
      {with("arr", R"([[], {}, "x\"y", 0, -0.0, 1E9])"), kDefault},
      {with("t", "true"), kDefault},
      {with("nul", "null"), kDefault},
      {with("esc\\u0041", R"("\ud83d\ude00")"), kDefault},
      // Escapes.
      {with("user_id", R"("user\u0020\"q\"")"), but(kDefault, 2, "user \"q\"")},
      {with("user_id", R"("a\\b\/c\n\t\r\b\f")"), but(kDefault, 2, "a\\b/c\n\t\r\b\f")},
      {with("user_id", R"("caf\u00e9 \u20AC")"), but(kDefault, 2, "caf\xc3\xa9 \xe2\x82\xac")},
      {with("user_id", R"("\ud83d\ude00 smile")"), but(kDefault, 2, "\xf0\x9f\x98\x80 smile")},
      {with("user_id", R"("\uDBFF\uDFFF")"), but(kDefault, 2, "\xf4\x8f\xbf\xbf")},
      {with("user_id", R"("\u0000")"), but(kDefault, 2, std::string(1, '\0'))},
      {with("user_id", "\"raw \xc3\xa9\""), but(kDefault, 2, "raw \xc3\xa9")},
      {with("ad_id", R"("ad\u0030\u0030\u0031")"), kDefault},
      {with("country", R"("\u0055SA")"), kDefault},
      {with("ip", R"("207.148.22.\u0032\u0032")"), kDefault},
      {with("ip", R"("2001:db8::1")"), but(kDefault, 3, "2001:db8::1")},
      {with("country", R"("zz")"), but(kDefault, 4, "ZZ")},
      {R"({"ad\u005fid":"ad001","click_timestamp":"2021-01-01 00:00:01","user_id":"user 1",)"
       R"("ip":"207.148.22.22","country":"USA"})",
       kDefault},
      // Timestamps: the log form, ISO-8601 with offsets, epoch milliseconds.
      {with("click_timestamp", R"("2021-01-01 00:00:01.250")"), at(kJan2021Ms + 1250)},
      {with("click_timestamp", R"("2021-01-01T00:00:01")"), at(kJan2021Ms + 1000)},
      {with("click_timestamp", R"("2021-01-01T00:00:01Z")"), at(kJan2021Ms + 1000)},
      {with("click_timestamp", R"("2021-01-01T00:00:01.5Z")"), at(kJan2021Ms + 1500)},
      {with("click_timestamp", R"("2021-01-01T00:00:01.123456Z")"), at(kJan2021Ms + 1123)},
      {with("click_timestamp", R"("2021-01-01T00:00:01.999999999Z")"), at(kJan2021Ms + 1999)},
      {with("click_timestamp", R"("2021-01-01T01:00:01+01:00")"), at(kJan2021Ms + 1000)},
      {with("click_timestamp", R"("2021-01-01T05:30:01+0530")"), at(kJan2021Ms + 1000)},
      {with("click_timestamp", R"("2021-01-01T02:00:01+02")"), at(kJan2021Ms + 1000)},
      {with("click_timestamp", R"("2020-12-31T19:00:01-05:00")"), at(kJan2021Ms + 1000)},
      {with("click_timestamp", R"("2020-12-31T23:00:01.250-01:00")"), at(kJan2021Ms + 1250)},
      {with("click_timestamp", R"("2020-02-29T12:00:00Z")"),
       at(kJan2021Ms - 306LL * 86'400'000 - 12 * 3'600'000)},
      {with("click_timestamp", R"("2021-01-01 00:00:01Z")"), at(kJan2021Ms + 1000)},
      {with("click_timestamp", "1609459201000"), at(kJan2021Ms + 1000)},
      {with("click_timestamp", "0"), at(0)},
      {with("click_timestamp", "253402300799999"), at(253402300799999)},
      {with("click_timestamp", R"("1970-01-01T00:00:00Z")"), at(0)},
      {with("click_timestamp", R"("9999-12-31T23:59:59.999Z")"), at(253402300799999)},
  };
  for (const auto& c : cases) {
    Event ev;
    Arena arena;
    ASSERT_EQ(reason(decode_json(c.json, ev, arena)), "<ok>") << c.json;
    testing::expect_event(ev, c.want, c.json);
  }
}

TEST(JsonDecoder, OnlyEscapedStringsAreCopied) {
  const std::string json = with("user_id", R"("us\u0065r")");
  Event ev;
  Arena arena;
  ASSERT_EQ(decode_json(json, ev, arena), nullptr);
  const auto inside = [&](std::string_view v) {
    return v.data() >= json.data() && v.data() + v.size() <= json.data() + json.size();
  };
  EXPECT_TRUE(inside(ev.ad_id));
  EXPECT_FALSE(inside(ev.user_id));
  EXPECT_EQ(ev.user_id, "user");
}

TEST(JsonDecoder, ArenaViewsSurviveLaterRecords) {
  Arena arena;
  std::vector<std::string> lines;
  for (int i = 0; i < 20'000; ++i)
    lines.push_back(
        with("user_id", "\"u\\u0020" + std::to_string(i) + std::string(i % 50, 'x') + "\""));
  std::vector<Event> events(lines.size());
  for (size_t i = 0; i < lines.size(); ++i)
    ASSERT_EQ(decode_json(lines[i], events[i], arena), nullptr);
  for (size_t i = 0; i < lines.size(); ++i)
    ASSERT_EQ(events[i].user_id, "u " + std::to_string(i) + std::string(i % 50, 'x'));
  arena.reset();
  Event ev;
  ASSERT_EQ(decode_json(lines[7], ev, arena), nullptr);
  EXPECT_EQ(ev.user_id, "u 7" + std::string(7, 'x'));
}

struct Bad {
  std::string json;
  const char* reason;
};

TEST(JsonDecoder, Rejects) {
  const Bad cases[] = {
      // Not JSON, or not one object.
      {"", "malformed JSON"},
      {"{", "malformed JSON"},
      {"}", "malformed JSON"},
      {"[]", "malformed JSON"},
      {"null", "malformed JSON"},
      {"\"x\"", "malformed JSON"},
      {"{" + kBase, "malformed JSON"},
      {"{" + kBase + "} x", "malformed JSON"},
      {"{" + kBase + "}{}", "malformed JSON"},
      {"{" + kBase + "},", "malformed JSON"},
      {"{" + kBase + ",}", "malformed JSON"},
      {"{," + kBase + "}", "malformed JSON"},
      {"{'ad_id':'ad001'}", "malformed JSON"},
      {"{ad_id:\"ad001\"}", "malformed JSON"},
      {R"({"ad_id" "ad001"})", "malformed JSON"},
      {R"({"ad_id":})", "malformed JSON"},
      {with("x", R"("\x")"), "malformed JSON"},
      {with("x", R"("\u12")"), "malformed JSON"},
      {with("x", R"("\u12g4")"), "malformed JSON"},
      {with("user_id", R"("\ud800")"), "malformed JSON"},
      {with("user_id", R"("\udc00")"), "malformed JSON"},
      {with("user_id", R"("\ud800\u0041")"), "malformed JSON"},
      {with("user_id", R"("\ud800x")"), "malformed JSON"},
      {with("x", R"("\ud800\ud800")"), "malformed JSON"},
      {with("user_id", "\"tab\there\""), "malformed JSON"},
      {with("user_id", "\"nl\nhere\""), "malformed JSON"},
      {with("user_id", R"("unterminated})"), "malformed JSON"},
      {with("x", "01"), "malformed JSON"},
      {with("x", "1."), "malformed JSON"},
      {with("x", ".5"), "malformed JSON"},
      {with("x", "-"), "malformed JSON"},
      {with("x", "+1"), "malformed JSON"},
      {with("x", "1e"), "malformed JSON"},
      {with("x", "tru"), "malformed JSON"},
      {with("x", "nul"), "malformed JSON"},
      {with("x", "NaN"), "malformed JSON"},
      {with("x", "[1,]"), "malformed JSON"},
      {with("x", "[1 2]"), "malformed JSON"},
      {with("x", R"({"a"})"), "malformed JSON"},
      {with("x", std::string(100, '[') + std::string(100, ']')), "malformed JSON"},
      {with("click_id", "nul"), "malformed JSON"},
      {with("click_timestamp", "01"), "malformed JSON"},
      // Fields.
      {with("ad_id", R"("ad001","ad_id":"ad002")"), "duplicate field"},
      {with("click_id", R"("a","click_id":"b")"), "duplicate field"},
      {with("click_id", R"(null,"click_id":null)"), "duplicate field"},
      {with("x", R"(1,"x":2)"), "<ok>"},
      {R"({"click_timestamp":"2021-01-01 00:00:01","user_id":"u","ip":"1.2.3.4","country":"US"})",
       "missing field ad_id"},
      {R"({"ad_id":"a","user_id":"u","ip":"1.2.3.4","country":"US"})",
       "missing field click_timestamp"},
      {R"({"ad_id":"a","click_timestamp":"2021-01-01 00:00:01","ip":"1.2.3.4","country":"US"})",
       "missing field user_id"},
      {R"({"ad_id":"a","click_timestamp":"2021-01-01 00:00:01","user_id":"u","country":"US"})",
       "missing field ip"},
      {R"({"ad_id":"a","click_timestamp":"2021-01-01 00:00:01","user_id":"u","ip":"1.2.3.4"})",
       "missing field country"},
      {"{}", "missing field ad_id"},
      {R"({"AD_ID":"a","click_timestamp":"2021-01-01 00:00:01","user_id":"u","ip":"1.2.3.4",)"
       R"("country":"US"})",
       "missing field ad_id"},
      {with("ad_id", "1"), "bad ad_id"},
      {with("ad_id", "null"), "bad ad_id"},
      {with("ad_id", R"(["a"])"), "bad ad_id"},
      {with("ad_id", R"("")"), "empty ad_id"},
      {with("ad_id", R"("a,b")"), "bad ad_id"},
      {with("ad_id", R"("a\u002cb")"), "bad ad_id"},
      {with("ad_id", R"("a\nb")"), "bad ad_id"},
      {with("ad_id", "\"" + std::string(65, 'a') + "\""), "bad ad_id"},
      {with("click_timestamp", "1.5"), "bad timestamp"},
      {with("click_timestamp", "1609459201000.0"), "bad timestamp"},
      {with("click_timestamp", "1e3"), "bad timestamp"},
      {with("click_timestamp", "-1"), "bad timestamp"},
      {with("click_timestamp", "253402300800000"), "bad timestamp"},
      {with("click_timestamp", "99999999999999999999999"), "bad timestamp"},
      {with("click_timestamp", "true"), "bad timestamp"},
      {with("click_timestamp", "null"), "bad timestamp"},
      {with("click_timestamp", R"({"t":1})"), "bad timestamp"},
      {with("click_timestamp", R"("1609459201000")"), "bad timestamp"},
      {with("click_timestamp", R"("")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-02-29T00:00:00Z")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00:01z")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01t00:00:01Z")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00:01+24:00")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00:01+01:60")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00:01+1:00")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00:01+01:00Z")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00:01Z ")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00:01.Z")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00:01.1234567890Z")"), "bad timestamp"},
      {with("click_timestamp", R"("2021-01-01T00:00")"), "bad timestamp"},
      {with("click_timestamp", R"("1970-01-01T00:00:00+01:00")"), "bad timestamp"},
      {with("click_timestamp", R"("9999-12-31T23:59:59-01:00")"), "bad timestamp"},
      {with("click_timestamp", "\"2021-01-01T00:00:01" + std::string(80, '0') + "\""),
       "bad timestamp"},
      {with("user_id", "5"), "bad user_id"},
      {with("user_id", R"("")"), "empty user_id"},
      {with("ip", R"("1.2.3")"), "bad ip"},
      {with("ip", "123"), "bad ip"},
      {with("ip", R"(" 1.2.3.4")"), "bad ip"},
      {with("ip", R"("fe80::1%eth0")"), "bad ip"},
      {with("country", R"("")"), "bad country"},
      {with("country", "null"), "bad country"},
      {with("country", R"("U\u0001S")"), "bad country"},
      {with("country", "\"" + std::string(17, 'A') + "\""), "bad country"},
      {with("click_id", "5"), "bad click_id"},
      {with("click_id", "{}"), "bad click_id"},
      {with("click_id", "false"), "bad click_id"},
      {with("user_id", "\"bad\xff\""), "invalid UTF-8"},
      {with("x", "\"\xed\xa0\x80\""), "invalid UTF-8"},
      {with("user_id", "\"" + std::string(4100, 'u') + "\""), "oversized record"},
  };
  for (const auto& c : cases) {
    Event ev;
    Arena arena;
    EXPECT_EQ(reason(decode_json(c.json, ev, arena)), c.reason) << c.json.substr(0, 200);
  }
}

TEST(JsonDecoder, NeverReadsPastTheRecord) {
  const std::string json = with("user_id", R"("a\u00e9\ud83d\ude00")") ;
  for (size_t n = 0; n <= json.size(); ++n) {
    const std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
    std::memcpy(copy.get(), json.data(), n);
    Event ev;
    Arena arena;
    const DecodeStatus s = decode_json(std::string_view(copy.get(), n), ev, arena);
    if (n < json.size()) EXPECT_NE(s, nullptr) << n;
    else EXPECT_EQ(s, nullptr);
  }
}

}  // namespace
}  // namespace clickagg
