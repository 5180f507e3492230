#include "host/common/country.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace clickagg {
namespace {

std::string norm(std::string_view raw) {
  Country c;
  if (!normalize_country(raw, c)) return "<rejected>";
  return std::string(c.view());
}

TEST(Country, TableHoldsEveryAssignedCodeOnce) {
  const auto table = iso3166_alpha3_table();
  ASSERT_EQ(table.size(), 249u);
  std::set<std::string> alpha2;
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(std::string_view(table[i].alpha3).size(), 3u);
    EXPECT_EQ(std::string_view(table[i].alpha2).size(), 2u);
    if (i > 0) {
      EXPECT_LT(std::string_view(table[i - 1].alpha3), std::string_view(table[i].alpha3));
    }
    alpha2.insert(table[i].alpha2);
  }
  EXPECT_EQ(alpha2.size(), table.size()) << "an alpha-2 code appears twice";
}

TEST(Country, EveryAlpha3MapsInAnyCase) {
  for (const auto& p : iso3166_alpha3_table()) {
    std::string lower(p.alpha3);
    for (char& c : lower) c = static_cast<char>(c + 32);
    std::string mixed(p.alpha3);
    mixed[1] = lower[1];
    EXPECT_EQ(norm(p.alpha3), p.alpha2);
    EXPECT_EQ(norm(lower), p.alpha2) << lower;
    EXPECT_EQ(norm(mixed), p.alpha2) << mixed;
    // An alpha-2 code is kept as it is, upper-cased.
    EXPECT_EQ(norm(p.alpha2), p.alpha2);
  }
}

struct Case {
  const char* raw;
  const char* want;
};

TEST(Country, KnownCodes) {
  const Case cases[] = {
      {"USA", "US"}, {"usa", "US"}, {"uSa", "US"}, {"GBR", "GB"}, {"gbr", "GB"},
      {"DEU", "DE"}, {"FRA", "FR"}, {"JPN", "JP"}, {"COM", "KM"}, {"CYM", "KY"},
      {"PRK", "KP"}, {"KOR", "KR"}, {"MYT", "YT"}, {"ALA", "AX"}, {"SRB", "RS"},
      {"SSD", "SS"}, {"CUW", "CW"}, {"SXM", "SX"}, {"BES", "BQ"}, {"ATA", "AQ"},
      {"us", "US"}, {"Gb", "GB"}, {"de", "DE"},
  };
  for (const auto& c : cases) EXPECT_EQ(norm(c.raw), c.want) << c.raw;
}

TEST(Country, UnknownCodesAreKeptUpperCased) {
  const Case cases[] = {
      {"xyz", "XYZ"},   {"XKX", "XKX"}, {"uk", "UK"},     {"eu", "EU"},
      {"usa1", "USA1"}, {"U-S", "U-S"}, {"a b", "A B"},   {"1", "1"},
      {"unknown", "UNKNOWN"},           {"abcdefghijklmnop", "ABCDEFGHIJKLMNOP"},
      {"ZZ", "ZZ"},     {"us!", "US!"}, {"~", "~"},
  };
  for (const auto& c : cases) EXPECT_EQ(norm(c.raw), c.want) << c.raw;
}

TEST(Country, Rejects) {
  const std::string rejects[] = {
      "",
      "abcdefghijklmnopq",          // 17 bytes
      std::string("U\0S", 3),       // NUL
      "U\tS",                       // control byte
      "US\r",
      "\x7f",                       // DEL
      "\xc3\xbc",                   // non-ASCII (UTF-8 u-umlaut)
      "D\xc3\xa9",
  };
  for (const auto& r : rejects) EXPECT_EQ(norm(r), "<rejected>") << r;
}

// Every two-byte input (the common case has a path of its own): printable ASCII is kept
// upper-cased, anything else is rejected, and the unused bytes are zero.
TEST(Country, EveryTwoByteInput) {
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      const char raw[2] = {static_cast<char>(a), static_cast<char>(b)};
      Country c;
      c.code.fill('?');
      const bool ok = normalize_country(std::string_view(raw, 2), c);
      const bool printable = a >= 0x20 && a <= 0x7E && b >= 0x20 && b <= 0x7E;
      ASSERT_EQ(ok, printable) << a << " " << b;
      if (!ok) continue;
      auto up = [](unsigned x) { return static_cast<char>(x >= 'a' && x <= 'z' ? x - 32 : x); };
      ASSERT_EQ(c.view(), std::string({up(a), up(b)})) << a << " " << b;
      for (size_t k = 2; k < c.code.size(); ++k) ASSERT_EQ(c.code[k], 0) << a << " " << b;
    }
  }
}

TEST(Country, OverwritesPreviousValue) {
  Country c;
  ASSERT_TRUE(normalize_country("ABCDEFGHIJKLMNOP", c));
  ASSERT_TRUE(normalize_country("usa", c));
  EXPECT_EQ(c.view(), "US");
  Country fresh;
  ASSERT_TRUE(normalize_country("US", fresh));
  EXPECT_EQ(c, fresh);
  EXPECT_EQ(c.code, fresh.code) << "unused bytes are zeroed so codes compare byte for byte";
}

}  // namespace
}  // namespace clickagg
