// The store read a recount builds on: every count row of a minute range, per minute, rows by
// filter then ad_id byte order, on every backend.
#include <gtest/gtest.h>

#include "tests/unit/named_results.h"
#include "tests/unit/store/store_backends.h"

namespace clickagg::store {
namespace {

using testing::BackendTest;

class CountRowsTest : public BackendTest {};

TEST_P(CountRowsTest, RangeOfMinutesInByteOrder) {
  auto db = writer();
  ResultBatch b;
  // Byte-order traps: upper case before lower, a space, UTF-8 above 0x7F last.
  b.windows = testing_support::windows_of({{9, false, {{"early", 0, 1}}},
               {10, false, {{"b", 0, 2}, {"B", 0, 1}, {"\xCE\xA9", 0, 4}, {"a b", 0, 3}, {"a", 7, 5}}},
               {12, false, {{"c", 300, 6}}},
               {13, false, {{"late", 0, 1}}}});
  db->write(b);
  const std::vector<WindowResult> got = db->count_rows(10, 13);
  ASSERT_EQ(got.size(), 2u);  // minute 11 holds nothing
  EXPECT_EQ(got[0].minute, 10);
  EXPECT_EQ(named_rows(got[0]), (std::vector<NamedRow>{{"B", 0, 1}, {"a b", 0, 3}, {"b", 0, 2}, {"\xCE\xA9", 0, 4}, {"a", 7, 5}}));
  EXPECT_EQ(got[1].minute, 12);
  EXPECT_EQ(named_rows(got[1]), (std::vector<NamedRow>{{"c", 300, 6}}));
  EXPECT_TRUE(db->count_rows(11, 12).empty());
  EXPECT_TRUE(db->count_rows(13, 10).empty());
  // Readers may list rows too.
  EXPECT_EQ(named_rows(reader()->count_rows(9, 10).at(0)), (std::vector<NamedRow>{{"early", 0, 1}}));
}

INSTANTIATE_TEST_SUITE_P(Backends, CountRowsTest, ::testing::Values("sqlite", "postgresql"), testing::backend_name);

}  // namespace
}  // namespace clickagg::store
