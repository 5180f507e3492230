#include "host/common/ip.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace clickagg {
namespace {

IpAddr must_parse(std::string_view text) {
  IpAddr ip;
  EXPECT_TRUE(parse_ip(text, ip)) << text;
  return ip;
}

IpAddr v4_mapped(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddr ip;
  ip.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, a, b, c, d};
  ip.is_v4 = true;
  return ip;
}

TEST(ParseIp, Ipv4IsHeldMapped) {
  EXPECT_EQ(must_parse("207.148.22.22"), v4_mapped(207, 148, 22, 22));
  EXPECT_EQ(must_parse("0.0.0.0"), v4_mapped(0, 0, 0, 0));
  EXPECT_EQ(must_parse("255.255.255.255"), v4_mapped(255, 255, 255, 255));
  EXPECT_EQ(must_parse("10.0.0.1"), v4_mapped(10, 0, 0, 1));
  EXPECT_EQ(must_parse("1.20.100.0"), v4_mapped(1, 20, 100, 0));
}

TEST(ParseIp, Ipv4Rejects) {
  const std::string bad[] = {
      "",           "1.2.3",       "1.2.3.4.5",  "256.1.1.1",   "1.2.3.256",  "01.2.3.4",
      "1.2.3.04",   "1.02.3.4",    "00.1.1.1",   " 1.2.3.4",    "1.2.3.4 ",   "1..2.3",
      "1.2.3.a",    "1.2.3.-1",    "+1.2.3.4",   "1.2.3.4/8",   "0x1.2.3.4",  "1234.1.1.1",
      "1.2.3.",     ".1.2.3",      "1,2,3,4",    "1.2.3.4.",    "999.999.999.999",
      std::string("1.2.3.4\0", 8), "localhost",
  };
  for (const auto& s : bad) {
    IpAddr ip;
    EXPECT_FALSE(parse_ip(s, ip)) << s;
  }
}

// IPv4 text is read by a parser of its own: it must accept exactly what inet_pton accepts,
// with the same bytes. Seeded texts: random addresses (octets of one
// to three digits, some with a leading zero or above 255), those with one character replaced,
// inserted or removed, and random strings of digits and dots.
TEST(ParseIp, Ipv4AgreesWithInetPton) {
  std::mt19937_64 rng(20261207);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::string chars = "0123456789....0 a/\xff";
  size_t accepted = 0, rejected = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string text;
    const int kind = static_cast<int>(pick(3));
    if (kind < 2) {
      for (int k = 0; k < 4; ++k) {
        if (k > 0) text += '.';
        const unsigned v = pick(8) == 0 ? static_cast<unsigned>(pick(1000)) : static_cast<unsigned>(pick(256));
        text += (pick(20) == 0 ? "0" : "") + std::to_string(v);
      }
      if (kind == 1) {
        const size_t at = pick(text.size() + 1);
        const char c = chars[pick(chars.size())];
        switch (pick(3)) {
          case 0: if (at < text.size()) text[at] = c; break;
          case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
          default: if (at < text.size()) text.erase(at, 1); break;
        }
      }
    } else {
      const size_t n = pick(18);
      for (size_t k = 0; k < n; ++k) text += chars[pick(chars.size())];
    }
    uint8_t want[4];
    const bool ok = inet_pton(AF_INET, text.c_str(), want) == 1;
    // The text alone in a buffer of its own size: a read past its end is a read out of bounds.
    const std::vector<char> own(text.begin(), text.end());
    IpAddr got;
    ASSERT_EQ(parse_ip(std::string_view(own.data(), own.size()), got), ok) << text;
    if (!ok) {
      ++rejected;
      continue;
    }
    ++accepted;
    ASSERT_TRUE(got.is_v4) << text;
    ASSERT_EQ(got, v4_mapped(want[0], want[1], want[2], want[3])) << text;
  }
  EXPECT_GT(accepted, 50000u);
  EXPECT_GT(rejected, 50000u);
}

TEST(ParseIp, Ipv6) {
  IpAddr loop = must_parse("::1");
  EXPECT_FALSE(loop.is_v4);
  EXPECT_EQ(loop.bytes[15], 1);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(loop.bytes[static_cast<size_t>(i)], 0);

  const IpAddr a = must_parse("2001:db8::1");
  EXPECT_EQ(a, must_parse("2001:0db8:0000:0000:0000:0000:0000:0001"));
  EXPECT_EQ(a, must_parse("2001:DB8::1"));
  EXPECT_EQ(a.bytes[0], 0x20);
  EXPECT_EQ(a.bytes[1], 0x01);
  EXPECT_EQ(a.bytes[2], 0x0d);
  EXPECT_EQ(a.bytes[3], 0xb8);
  EXPECT_FALSE(must_parse("::").is_v4);
  EXPECT_FALSE(must_parse("fe80::1").is_v4);
  must_parse("1:2:3:4:5:6:7:8");
  must_parse("::1.2.3.4");

  // A v4-mapped IPv6 text has the IPv4 bytes but keeps its family.
  const IpAddr m = must_parse("::ffff:1.2.3.4");
  EXPECT_FALSE(m.is_v4);
  EXPECT_EQ(m.bytes, v4_mapped(1, 2, 3, 4).bytes);
  EXPECT_EQ(must_parse("::FFFF:0102:0304").bytes, m.bytes);
}

TEST(ParseIp, Ipv6Rejects) {
  const std::string bad[] = {
      "fe80::1%eth0", "fe80::1%1",         "2001:db8:::1",  "1:2:3:4:5:6:7:8:9", "gggg::",
      ":::",          "2001:db8::1 ",      " ::1",          "[::1]",             "::1/128",
      ":",            "1:2:3:4:5:6:7",     "12345::",       "::ffff:1.2.3",      "::ffff:1.2.3.256",
      std::string("::1\0", 4),
      std::string(46, ':'),
      "0000:0000:0000:0000:0000:0000:0000:00001",
  };
  for (const auto& s : bad) {
    IpAddr ip;
    EXPECT_FALSE(parse_ip(s, ip)) << s;
  }
}

// IPv6 text is read by a fast path for its common forms and by inet_pton for the rest: both
// together must accept exactly what inet_pton accepts, with the same bytes. Seeded texts:
// random addresses written the ways RFC 4291 allows (case, leading zeros, either "::"
// placement or none), those with one character changed, and random strings of the characters
// that matter.
TEST(ParseIp, Ipv6AgreesWithInetPton) {
  std::mt19937_64 rng(20261206);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  auto write = [&](const uint8_t b[16]) {
    uint16_t g[8];
    for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
    // Some run of zero groups (or none) written as "::".
    int from = -1, len = 0;
    if (pick(3) != 0) {
      for (int i = 0; i < 8; ++i) {
        int j = i;
        while (j < 8 && g[j] == 0) ++j;
        if (j > i && (from < 0 || pick(2) == 0)) from = i, len = j - i;
        if (j > i) i = j - 1;
      }
    }
    std::string out;
    for (int i = 0; i < 8; ++i) {
      if (i == from) {
        out += "::";
        i += len - 1;
        continue;
      }
      if (!out.empty() && out.back() != ':') out += ':';
      char buf[8];
      std::snprintf(buf, sizeof buf, pick(4) == 0 ? "%04x" : "%x", g[i]);
      out += buf;
    }
    for (char& c : out)
      if (pick(3) == 0) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  };
  const std::string chars = "0123456789abcdefABCDEFg:::::.%";
  size_t accepted = 0;
  for (int round = 0; round < 60000; ++round) {
    std::string text;
    const int kind = static_cast<int>(pick(3));
    if (kind < 2) {
      uint8_t b[16];
      for (uint8_t& x : b) x = pick(3) == 0 ? 0 : static_cast<uint8_t>(rng());
      text = write(b);
      if (kind == 1 && !text.empty()) {  // one character replaced, inserted or removed
        const size_t at = pick(text.size());
        const char c = chars[pick(chars.size())];
        switch (pick(3)) {
          case 0: text[at] = c; break;
          case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
          default: text.erase(at, 1); break;
        }
      }
    } else {
      const size_t n = pick(20);
      for (size_t k = 0; k < n; ++k) text += chars[pick(chars.size())];
    }
    if (text.find(':') == std::string::npos) continue;
    uint8_t want[16];
    const bool ok = text.size() <= 45 && inet_pton(AF_INET6, text.c_str(), want) == 1 &&
                    text.find('%') == std::string::npos;
    IpAddr got;
    ASSERT_EQ(parse_ip(text, got), ok) << text;
    if (!ok) continue;
    ++accepted;
    ASSERT_FALSE(got.is_v4) << text;
    ASSERT_EQ(std::memcmp(got.bytes.data(), want, 16), 0) << text;
  }
  EXPECT_GT(accepted, 20000u);
}

TEST(FormatIp, RoundTrips) {
  EXPECT_EQ(format_ip(must_parse("207.148.22.22")), "207.148.22.22");
  EXPECT_EQ(format_ip(must_parse("0.0.0.0")), "0.0.0.0");
  EXPECT_EQ(format_ip(must_parse("2001:0DB8::0001")), "2001:db8::1");
  EXPECT_EQ(format_ip(must_parse("::1")), "::1");
  EXPECT_EQ(format_ip(must_parse("::ffff:1.2.3.4")), "::ffff:1.2.3.4");
  for (const char* s : {"10.1.2.3", "fe80::1:2", "2001:db8:1:2:3:4:5:6", "::"}) {
    const IpAddr ip = must_parse(s);
    EXPECT_EQ(must_parse(format_ip(ip)), ip) << s;
  }
}

Cidr must_cidr(std::string_view text) {
  auto c = parse_cidr(text);
  EXPECT_TRUE(c.has_value()) << text;
  return c.value_or(Cidr{});
}

bool contains(std::string_view block, std::string_view addr) {
  return cidr_contains(must_cidr(block), must_parse(addr).bytes.data());
}

TEST(Cidr, Ipv4BlocksLiveInTheMappedRange) {
  const Cidr c = must_cidr("10.0.0.0/8");
  EXPECT_EQ(c.prefix_len, 104);
  const IpAddr base = v4_mapped(10, 0, 0, 0);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(c.addr[i], base.bytes[static_cast<size_t>(i)]);
  EXPECT_EQ(must_cidr("1.2.3.4").prefix_len, 128);
  EXPECT_EQ(must_cidr("1.2.3.4/32").prefix_len, 128);
  EXPECT_EQ(must_cidr("0.0.0.0/0").prefix_len, 96);
  EXPECT_EQ(must_cidr("2001:db8::/32").prefix_len, 32);
  EXPECT_EQ(must_cidr("::/0").prefix_len, 0);
  EXPECT_EQ(must_cidr("::1").prefix_len, 128);
}

TEST(Cidr, HostBitsAreMasked) {
  const Cidr a = must_cidr("10.1.2.3/8");
  const Cidr b = must_cidr("10.0.0.0/8");
  for (int i = 0; i < 16; ++i) EXPECT_EQ(a.addr[i], b.addr[i]);
  const Cidr c = must_cidr("2001:db8:ffff::1/33");
  EXPECT_EQ(c.addr[4], 0x80);
  EXPECT_EQ(c.addr[15], 0);
  const Cidr d = must_cidr("192.168.7.255/22");
  EXPECT_EQ(d.addr[14], 4);
  EXPECT_EQ(d.addr[15], 0);
}

TEST(Cidr, Contains) {
  EXPECT_TRUE(contains("10.0.0.0/8", "10.1.2.3"));
  EXPECT_TRUE(contains("10.0.0.0/8", "10.255.255.255"));
  EXPECT_FALSE(contains("10.0.0.0/8", "11.0.0.1"));
  EXPECT_FALSE(contains("10.0.0.0/8", "9.255.255.255"));
  EXPECT_FALSE(contains("10.0.0.0/8", "2001:db8::1"));
  EXPECT_TRUE(contains("207.0.0.0/8", "207.148.22.22"));
  EXPECT_TRUE(contains("192.168.0.0/22", "192.168.3.255"));
  EXPECT_FALSE(contains("192.168.0.0/22", "192.168.4.0"));
  EXPECT_TRUE(contains("1.2.3.4", "1.2.3.4"));
  EXPECT_FALSE(contains("1.2.3.4", "1.2.3.5"));
  EXPECT_TRUE(contains("0.0.0.0/0", "8.8.8.8"));
  EXPECT_FALSE(contains("0.0.0.0/0", "::1"));
  EXPECT_TRUE(contains("2001:db8::/32", "2001:db8:ffff::1"));
  EXPECT_FALSE(contains("2001:db8::/32", "2001:db9::"));
  EXPECT_TRUE(contains("::/0", "2001:db8::1"));
  EXPECT_TRUE(contains("::/0", "1.2.3.4"));
  EXPECT_TRUE(contains("2001:db8::1", "2001:db8::1"));
  EXPECT_FALSE(contains("2001:db8::1", "2001:db8::2"));
  EXPECT_TRUE(contains("fe80::/10", "febf::1"));
  EXPECT_FALSE(contains("fe80::/10", "fec0::1"));
  // An IPv6 block over the mapped range holds IPv4 addresses too.
  EXPECT_TRUE(contains("::ffff:0:0/96", "1.2.3.4"));
  EXPECT_TRUE(contains("::ffff:10.0.0.0/104", "10.9.9.9"));
}

TEST(Cidr, Rejects) {
  for (const char* s : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "/8", "2001:db8::/129",
                        "10.0.0.0/-1", "10.0.0.0/8/8", "x/8", "10.0.0.0/ 8", "10.0.0.0 /8",
                        "10.0.0.0/1000", "", "10.0.0/8", "::/a"}) {
    EXPECT_FALSE(parse_cidr(s).has_value()) << s;
  }
}

}  // namespace
}  // namespace clickagg
