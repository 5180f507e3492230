// The emission order of a window's rows (filter, then ad_id bytes) against a plain sort by
// (filter, name) on names chosen to defeat key shortcuts: equal 16-byte prefixes, NUL bytes,
// bytes above 0x7F, prefixes of each other; and random names of every length.
#include "host/engine/row_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <tuple>

#include "host/engine/thread_pool.h"

namespace clickagg {
namespace {

std::vector<std::pair<uint16_t, std::string>> plain(const std::vector<CountRow>& rows, const AdNames& names) {
  std::vector<std::pair<uint16_t, std::string>> out;
  for (const CountRow& r : rows) out.emplace_back(r.filter_id, std::string(names.name(r.ad)));
  return out;
}

void check(const std::vector<std::string>& ads, uint64_t seed, ThreadPool* pool) {
  std::mt19937_64 rng(seed);
  AdNames names;
  std::vector<CountRow> rows;
  for (const std::string& a : ads) {
    const uint32_t id = names.add(a);
    for (uint16_t f : {uint16_t{0}, uint16_t{7}, uint16_t{300}})
      if (rng() % 3 != 0) rows.push_back(CountRow{id, f, rng() % 100 + 1});
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  auto want = plain(rows, names);
  std::sort(want.begin(), want.end());
  sort_rows(rows, names, pool);
  EXPECT_EQ(plain(rows, names), want) << "seed " << seed;
}

TEST(RowOrder, NamesThatDefeatTheKeys) {
  const std::string p16 = "0123456789abcdef";
  const std::vector<std::string> ads = {
      "a", "ab", std::string("ab\0", 3), std::string("ab\0\0", 4), "abc", "B", "b", p16, p16 + "x", p16 + "xy",
      p16 + std::string("\0", 1), p16 + "\xff", "\xce\xa9", "\xce\xa9" "1", "z", "ad0001234", "ad0001235", "ad000123"};
  for (uint64_t seed = 1; seed <= 20; ++seed) check(ads, seed, nullptr);
}

TEST(RowOrder, RandomNamesAnyThreadCount) {
  std::mt19937_64 rng(7);
  std::vector<std::string> ads;
  for (int i = 0; i < 40'000; ++i) {
    std::string s(1 + rng() % 40, '\0');
    const int alphabet = rng() % 2 ? 3 : 256;  // few distinct bytes: long shared prefixes
    for (char& c : s) c = static_cast<char>(rng() % alphabet + (alphabet == 3 ? 'a' : 0));
    ads.push_back(s);
  }
  std::sort(ads.begin(), ads.end());
  ads.erase(std::unique(ads.begin(), ads.end()), ads.end());
  ThreadPool two(2), three(3);
  check(ads, 11, nullptr);
  check(ads, 12, &two);
  check(ads, 13, &three);
}

// Ids numbered in decimal, as generated ones are: the keys compact to a few bits per digit, and
// the sort runs on one 64-bit word per row; and the same ids with a byte of any value after
// the digits, whose keys need more bits than that.
TEST(RowOrder, DecimalIdsCompactKeys) {
  std::mt19937_64 rng(5);
  std::vector<std::string> ads, wide;
  for (int i = 0; i < 30'000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "ad%07llu", static_cast<unsigned long long>(rng() % 2'000'000));
    ads.emplace_back(buf);
    wide.push_back(ads.back() + static_cast<char>(rng() % 256) + static_cast<char>(rng() % 256) +
                   static_cast<char>(rng() % 256) + static_cast<char>(rng() % 256));
  }
  for (auto* v : {&ads, &wide}) {
    std::sort(v->begin(), v->end());
    v->erase(std::unique(v->begin(), v->end()), v->end());
  }
  ThreadPool two(2);
  check(ads, 21, nullptr);
  check(ads, 22, &two);
  check(wide, 23, nullptr);
}

}  // namespace
}  // namespace clickagg
