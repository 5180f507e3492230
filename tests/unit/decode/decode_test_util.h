// Shared expectations for the decoder tests.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "host/common/ip.h"
#include "host/decode/decode.h"

namespace clickagg::testing {

// 2021-01-01 00:00:00 UTC: 18628 days after the epoch.
constexpr int64_t kJan2021Ms = 18628LL * 86'400'000;

struct Expect {
  std::string ad_id;
  int64_t t_ms;
  std::string user_id;
  std::string ip;
  std::string country;
  std::string click_id = "";
};

inline void expect_event(const Event& ev, const Expect& want, const std::string& where) {
  EXPECT_EQ(ev.ad_id, want.ad_id) << where;
  EXPECT_EQ(ev.t_ms, want.t_ms) << where;
  EXPECT_EQ(ev.user_id, want.user_id) << where;
  IpAddr ip;
  ASSERT_TRUE(parse_ip(want.ip, ip)) << want.ip;
  EXPECT_EQ(ev.ip, ip) << where;
  EXPECT_EQ(ev.country.view(), want.country) << where;
  EXPECT_EQ(ev.click_id, want.click_id) << where;
}

inline std::string reason(DecodeStatus s) { return s ? s : "<ok>"; }

}  // namespace clickagg::testing
