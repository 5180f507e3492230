// Text of the generated fields, rendered from the numbers the generator draws. Rendering is a
// pure function of those numbers, which is what lets a duplicate be re-rendered verbatim.
#pragma once
#include <cstdint>
#include <string>

#include "host/common/event.h"

namespace clickagg::gen {

// "ad" + the number zero-padded to `width` digits: "ad0001234".
void assign_ad_id(std::string& s, uint64_t number, int width);
// "user " + the number: "user 123".
void assign_user_id(std::string& s, uint64_t number);
// Dotted quad for IPv4; for IPv6 all eight groups, or with "::" for groups 4-6 when
// `compressed` (those groups must then be zero).
void assign_ip_text(std::string& s, const IpAddr& ip, bool compressed);
// "ck" + 16 lowercase hex digits.
void assign_click_id(std::string& s, uint64_t id);

}  // namespace clickagg::gen
