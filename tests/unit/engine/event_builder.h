// Builds engine input events with owned storage for tests that bypass the decoders.
#pragma once
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "host/common/time_util.h"
#include "host/common/event.h"
#include "host/engine/results.h"

namespace clickagg::testing_support {

// 2021-01-01T00:00:00Z, the design's example day.
constexpr int64_t kDay0 = 1609459200000LL;
inline int64_t at(int minute, int second, int ms = 0) { return kDay0 + minute * 60'000LL + second * 1000LL + ms; }
inline int64_t minute_index(int minute) { return kDay0 / 60'000 + minute; }

class EventBuilder {
 public:
  Event make(const std::string& ad, int64_t t_ms, const std::string& user = "user 1",
             const std::string& click_id = "", uint8_t ip_last = 1, const std::string& country = "US") {
    Event ev;
    ev.ad_id = keep(ad);
    ev.user_id = keep(user);
    ev.click_id = click_id.empty() ? std::string_view{} : keep(click_id);
    ev.t_ms = t_ms;
    ev.ip.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, ip_last};
    ev.ip.is_v4 = true;
    std::memcpy(ev.country.code.data(), country.data(), country.size());
    ev.country.len = static_cast<uint8_t>(country.size());
    return ev;
  }

 private:
  std::string_view keep(const std::string& s) { return store_.emplace_back(s); }
  std::deque<std::string> store_;
};

// Records every emission, and the final state (last emission per minute / list).
class RecordingSink final : public ResultSink {
 public:
  void on_window(const WindowResult& w) override {
    windows.push_back(w);
    final_windows[w.minute] = w;
  }
  void on_topn(const TopNList& t) override {
    lists.push_back(t);
    final_lists[{t.minute, t.window, t.filter_id}] = t;
  }
  void on_late(const LateRecord& r) override { late.push_back(r); }

  // Final count of (ad, minute, filter); 0 when absent.
  uint64_t count(const std::string& ad, int64_t minute, uint16_t filter = 0) const {
    auto it = final_windows.find(minute);
    if (it == final_windows.end()) return 0;
    for (const auto& row : it->second.rows)
      if (it->second.ad_id(row) == ad && row.filter_id == filter) return row.count;
    return 0;
  }

  std::vector<WindowResult> windows;
  std::vector<TopNList> lists;
  std::vector<LateRecord> late;
  std::map<int64_t, WindowResult> final_windows;
  std::map<std::tuple<int64_t, uint32_t, uint16_t>, TopNList> final_lists;
};

}  // namespace clickagg::testing_support
