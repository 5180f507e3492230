// Host convenience over dedup_fingerprint for a decoded Event.
#pragma once
#include "host/decode/event.h"
#include "host/engine/dedup_key.h"

namespace clickagg {

inline Hash128 fingerprint_of(const Event& ev) {
  return dedup_fingerprint(ev.ad_id.data(), static_cast<uint32_t>(ev.ad_id.size()), ev.t_ms,
                           ev.user_id.data(), static_cast<uint32_t>(ev.user_id.size()),
                           ev.ip.bytes.data(), ev.country.code.data(), ev.country.len,
                           ev.click_id.data(), static_cast<uint32_t>(ev.click_id.size()));
}

}  // namespace clickagg
