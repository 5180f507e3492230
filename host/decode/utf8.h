// UTF-8 validation for text records (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
#pragma once
#include <cstddef>

namespace clickagg {

bool valid_utf8(const char* data, size_t len);
// No byte above 0x7F (then valid UTF-8 however the bytes are split into fields).
bool all_ascii(const char* data, size_t len);

}  // namespace clickagg
