#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "decode_test_util.h"
#include "host/common/country.h"
#include "host/decode/binary_format.h"
#include "host/decode/decode.h"

namespace clickagg {
namespace {

using testing::kJan2021Ms;
using testing::reason;

Event sample_event() {
  Event ev;
  ev.ad_id = "ad001";
  ev.user_id = "user 1";
  ev.click_id = "c-9";
  ev.t_ms = kJan2021Ms + 1000;
  EXPECT_TRUE(parse_ip("207.148.22.22", ev.ip));
  EXPECT_TRUE(normalize_country("USA", ev.country));
  return ev;
}

std::string encoded(const Event& ev) {
  std::string out;
  binfmt::encode(ev, out);
  return out;
}

TEST(BinaryFormat, LayoutIsAsDocumented) {
  const std::string r = encoded(sample_event());
  const size_t total = 40 + 5 + 6 + 3 + 2;
  ASSERT_EQ(r.size(), total);
  const auto b = [&](size_t i) { return static_cast<uint8_t>(r[i]); };
  EXPECT_EQ(b(0), 'C');
  EXPECT_EQ(b(1), 'K');
  EXPECT_EQ(b(2), 1);
  EXPECT_EQ(b(3), binfmt::kFlagIpv4 | binfmt::kFlagClickId);
  EXPECT_EQ(b(4) | (b(5) << 8), static_cast<int>(total));
  EXPECT_EQ(b(6), 5);
  EXPECT_EQ(b(7), 2);
  uint64_t t = 0;
  for (int i = 7; i >= 0; --i) t = (t << 8) | b(8 + static_cast<size_t>(i));
  EXPECT_EQ(static_cast<int64_t>(t), kJan2021Ms + 1000);
  const uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 207, 148, 22, 22};
  EXPECT_EQ(std::memcmp(r.data() + 16, ip, 16), 0);
  EXPECT_EQ(b(32) | (b(33) << 8), 6);
  EXPECT_EQ(b(34) | (b(35) << 8), 3);
  for (size_t i = 36; i < 40; ++i) EXPECT_EQ(b(i), 0);
  EXPECT_EQ(r.substr(40), "ad001user 1c-9US");
  EXPECT_EQ(binfmt::kHeaderLen, 40u);
}

TEST(BinaryFormat, DecodesSample) {
  const std::string r = encoded(sample_event());
  Event ev;
  ASSERT_EQ(reason(decode_binary(r, ev)), "<ok>");
  testing::expect_event(
      ev, {"ad001", kJan2021Ms + 1000, "user 1", "207.148.22.22", "US", "c-9"}, "sample");
  EXPECT_TRUE(ev.ip.is_v4);
}

std::string random_text(std::mt19937_64& rng, size_t min_len, size_t max_len, bool allow_comma) {
  static const std::string pieces[] = {"a", "Z", "0", " ",        "-",           "_",
                                       ".", ",", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  const size_t len = min_len + rng() % (max_len - min_len + 1);
  std::string s;
  while (s.size() < len) {
    const std::string& p = pieces[rng() % std::size(pieces)];
    if (!allow_comma && p == ",") continue;
    if (s.size() + p.size() > len) {
      s.push_back('x');
      continue;
    }
    s += p;
  }
  return s;
}

TEST(BinaryFormat, RandomRoundTrips) {
  for (uint64_t seed : {1u, 2u, 3u, 20210101u}) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < 5000; ++i) {
      const std::string ad = random_text(rng, 1, 64, false);
      const std::string user = random_text(rng, 1, 200, true);
      const std::string click = rng() % 3 == 0 ? std::string() : random_text(rng, 1, 40, true);
      static const char* countries[] = {"US",  "usa", "gb", "DEU",
                                        "zz",  "XKX", "1",  "abcdefghijklmnop"};
      Event ev;
      ev.ad_id = ad;
      ev.user_id = user;
      ev.click_id = click;
      ev.t_ms = static_cast<int64_t>(rng() % 253402300800000ULL);
      ASSERT_TRUE(normalize_country(countries[rng() % std::size(countries)], ev.country));
      if (rng() % 2) {
        IpAddr v4;
        ASSERT_TRUE(parse_ip("0.0.0.0", v4));
        for (size_t k = 12; k < 16; ++k) v4.bytes[k] = static_cast<uint8_t>(rng());
        ev.ip = v4;
      } else {
        for (auto& byte : ev.ip.bytes) byte = static_cast<uint8_t>(rng());
        ev.ip.is_v4 = false;
      }
      const std::string rec = encoded(ev);
      Event got;
      ASSERT_EQ(reason(decode_binary(rec, got)), "<ok>") << "seed " << seed << " #" << i;
      EXPECT_EQ(got.ad_id, ev.ad_id);
      EXPECT_EQ(got.user_id, ev.user_id);
      EXPECT_EQ(got.click_id, ev.click_id);
      EXPECT_EQ(got.t_ms, ev.t_ms);
      EXPECT_EQ(got.ip, ev.ip);
      EXPECT_EQ(got.country, ev.country);
      // And through the auto-detecting dispatcher.
      Arena arena;
      Event via_auto;
      ASSERT_EQ(decode_record(Format::Auto, rec, via_auto, arena), nullptr);
      EXPECT_EQ(via_auto.ad_id, ev.ad_id);
    }
  }
}

// A sample record with one byte changed.
std::string patched(size_t offset, uint8_t value) {
  std::string r = encoded(sample_event());
  r[offset] = static_cast<char>(value);
  return r;
}

std::string encoded_with(void (*edit)(Event&)) {
  Event ev = sample_event();
  edit(ev);
  return encoded(ev);
}

TEST(BinaryFormat, Rejects) {
  std::string long_rec = encoded(sample_event());
  long_rec.push_back('x');
  std::string oversized(kMaxRecordLen + 1, 'x');
  oversized[0] = 'C';
  oversized[1] = 'K';
  const struct {
    std::string rec;
    const char* reason;
  } cases[] = {
      {"", "bad magic"},
      {"C", "bad magic"},
      {patched(0, 'X'), "bad magic"},
      {patched(1, 'k'), "bad magic"},
      {"CK\x01", "truncated record"},
      {encoded(sample_event()).substr(0, 39), "truncated record"},
      {encoded(sample_event()).substr(0, 50), "truncated record"},
      {patched(2, 2), "unsupported version"},
      {patched(2, 0), "unsupported version"},
      {patched(4, 100), "bad record length"},
      {patched(5, 0x10), "bad record length"},
      {patched(6, 6), "bad record length"},  // ad_id_len disagrees with record_len
      {long_rec, "bad record length"},
      {oversized, "oversized record"},
      {patched(3, 0x07), "bad flags"},
      {patched(3, 0x80), "bad flags"},
      {patched(36, 1), "nonzero reserved bytes"},
      {patched(39, 0x80), "nonzero reserved bytes"},
      {encoded_with([](Event& e) { e.ad_id = ""; }), "empty ad_id"},
      {encoded_with([](Event& e) { e.ad_id = "a,b"; }), "bad ad_id"},
      {encoded_with([](Event& e) { e.ad_id = "a\nb"; }), "bad ad_id"},
      {encoded_with([](Event& e) {
         static const std::string s(65, 'a');
         e.ad_id = s;
       }),
       "bad ad_id"},
      {encoded_with([](Event& e) { e.t_ms = -1; }), "bad timestamp"},
      {encoded_with([](Event& e) { e.t_ms = 253402300800000; }), "bad timestamp"},
      {encoded_with([](Event& e) { e.user_id = ""; }), "empty user_id"},
      {encoded_with([](Event& e) { e.user_id = "bad\xff"; }), "invalid UTF-8"},
      {encoded_with([](Event& e) { e.click_id = "\xed\xa0\x80"; }), "invalid UTF-8"},
      // A character split across two fields: valid only when the fields are read joined.
      {encoded_with([](Event& e) {
         e.ad_id = "adX\xc3";
         e.user_id = "\xa9user 2";
       }),
       "invalid UTF-8"},
      {encoded_with([](Event& e) {
         e.user_id = "user \xe2\x82";
         e.click_id = "\xac" "1";
       }),
       "invalid UTF-8"},
      {encoded_with([](Event& e) { e.country = Country{}; }), "bad country"},
      {encoded_with([](Event& e) {
         e.country.code[0] = '\x01';
       }),
       "bad country"},
      {patched(3, binfmt::kFlagIpv4), "bad click_id"},  // click_id bytes but no flag
      {encoded_with([](Event& e) { e.ip.bytes[10] = 0; }), "bad ip"},  // v4 flag, not mapped
  };
  for (const auto& c : cases) {
    Event ev;
    EXPECT_EQ(reason(decode_binary(c.rec, ev)), c.reason) << c.reason;
  }
  // The flag announces a click_id the record does not hold.
  std::string no_click = encoded_with([](Event& e) { e.click_id = ""; });
  no_click[3] = static_cast<char>(binfmt::kFlagIpv4 | binfmt::kFlagClickId);
  Event ev;
  EXPECT_EQ(reason(decode_binary(no_click, ev)), "bad click_id");
}

TEST(BinaryFormat, CountryIsNormalised) {
  Event in = sample_event();
  in.country = Country{};
  std::memcpy(in.country.code.data(), "gbr", 3);
  in.country.len = 3;
  Event ev;
  ASSERT_EQ(decode_binary(encoded(in), ev), nullptr);
  EXPECT_EQ(ev.country.view(), "GB");
}

TEST(BinaryFormat, Ipv6KeepsItsFamily) {
  Event in = sample_event();
  ASSERT_TRUE(parse_ip("::ffff:1.2.3.4", in.ip));
  Event ev;
  ASSERT_EQ(decode_binary(encoded(in), ev), nullptr);
  EXPECT_FALSE(ev.ip.is_v4);
  EXPECT_EQ(ev.ip, in.ip);
}

TEST(BinaryFormat, NeverReadsPastTheRecord) {
  const std::string r = encoded(sample_event());
  for (size_t n = 0; n <= r.size(); ++n) {
    const std::unique_ptr<char[]> copy(new char[n == 0 ? 1 : n]);
    std::memcpy(copy.get(), r.data(), n);
    Event ev;
    const DecodeStatus s = decode_binary(std::string_view(copy.get(), n), ev);
    EXPECT_EQ(s == nullptr, n == r.size()) << n;
  }
}

}  // namespace
}  // namespace clickagg
