#include "host/serve/query_params.h"

#include <gtest/gtest.h>

#include "host/common/time_util.h"
#include "host/http/listen_address.h"

namespace clickagg::serve {
namespace {

TEST(QueryParamsTest, IntegerParameters) {
  EXPECT_EQ(int_param({}, "count", 100, 1, 1000), 100);
  EXPECT_EQ(int_param({{"count", "7"}}, "count", 100, 1, 1000), 7);
  EXPECT_EQ(int_param({{"count", "1000"}}, "count", 100, 1, 1000), 1000);
  for (const char* bad : {"", "0", "1001", "-1", "+1", " 1", "1 ", "0x10", "1e3", "9223372036854775808"})
    EXPECT_THROW(int_param({{"count", bad}}, "count", 100, 1, 1000), BadRequest) << bad;
  EXPECT_THROW(int_param({{"count", "1"}, {"count", "2"}}, "count", 100, 1, 1000), BadRequest);
}

TEST(QueryParamsTest, MinuteParameters) {
  EXPECT_FALSE(minute_param({}, "from"));
  EXPECT_EQ(minute_param({{"from", "197001010001"}}, "from"), 1);
  EXPECT_EQ(minute_param({{"from", "202101010000"}}, "from"), parse_minute("202101010000"));
  for (const char* bad : {"202113010000", "202100010000", "202101320000", "202102290000",
                          "202101012400", "202101010060", "2021010100", "2021010100000", "x"})
    EXPECT_THROW(minute_param({{"from", bad}}, "from"), BadRequest) << bad;
  EXPECT_TRUE(minute_param({{"from", "202402290000"}}, "from"));  // leap day
  // Only the years event times can have.
  EXPECT_EQ(minute_param({{"to", "197001010000"}}, "to"), 0);
  EXPECT_EQ(minute_param({{"to", "999912312359"}}, "to"), 253402300799999 / 60'000);
  for (const char* outside : {"000001010000", "196912312359", "000002290000"})
    EXPECT_THROW(minute_param({{"to", outside}}, "to"), BadRequest) << outside;
}

TEST(QueryParamsTest, FiltersAndAdIds) {
  const std::set<uint16_t> known{12};
  EXPECT_EQ(filter_param({}, known), 0);
  EXPECT_EQ(filter_param({{"filter", "0"}}, known), 0);
  EXPECT_EQ(filter_param({{"filter", "12"}}, known), 12);
  EXPECT_THROW(filter_param({{"filter", "13"}}, known), BadRequest);
  EXPECT_THROW(filter_param({{"filter", "65536"}}, known), BadRequest);
  EXPECT_NO_THROW(check_ad_id("a"));
  EXPECT_NO_THROW(check_ad_id(std::string(64, 'x')));
  EXPECT_THROW(check_ad_id(""), BadRequest);
  EXPECT_THROW(check_ad_id(std::string(65, 'x')), BadRequest);
  EXPECT_THROW(check_ad_id("a,b"), BadRequest);
}

TEST(ListenAddressTest, Forms) {
  auto a = http::parse_listen_address("127.0.0.1:8080");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8080);
  auto b = http::parse_listen_address("[::1]:0");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 0);
  auto c = http::parse_listen_address("9000");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 9000);
  auto d = http::parse_listen_address("0.0.0.0:80");
  EXPECT_EQ(d.host, "0.0.0.0");
  for (const char* bad : {"", "host:", ":80", "h:65536", "h:x", "::1:80", "[::1]80", "[::1]"})
    EXPECT_THROW(http::parse_listen_address(bad), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace clickagg::serve
