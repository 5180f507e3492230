#include "host/common/ip.h"

#include <gtest/gtest.h>

#include <string>

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
