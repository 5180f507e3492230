#include "tests/reference/reference_model.h"

#include <algorithm>
#include <set>

namespace clickagg::ref {

namespace {

constexpr int64_t kMinuteMs = 60'000;

std::optional<int> parse_decimal_octet(std::string_view s) {
  if (s.empty() || s.size() > 3) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;  // no octal-looking octets
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > 255) return std::nullopt;
  return v;
}

std::optional<std::array<uint8_t, 4>> parse_v4(std::string_view s) {
  std::array<uint8_t, 4> out{};
  for (int i = 0; i < 4; ++i) {
    const size_t dot = s.find('.');
    const std::string_view part = (i < 3) ? s.substr(0, dot) : s;
    if (i < 3 && dot == std::string_view::npos) return std::nullopt;
    const auto v = parse_decimal_octet(part);
    if (!v) return std::nullopt;
    out[i] = static_cast<uint8_t>(*v);
    if (i < 3) s.remove_prefix(dot + 1);
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  if (s.empty()) return parts;
  while (true) {
    const size_t at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return parts;
}

// Hex groups of one side of "::"; a dotted quad may end the last side.
bool parse_groups(std::string_view side, bool may_end_in_v4, std::vector<uint16_t>& out) {
  const auto parts = split(side, ':');
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string_view g = parts[i];
    if (may_end_in_v4 && i + 1 == parts.size() && g.find('.') != std::string_view::npos) {
      const auto v4 = parse_v4(g);
      if (!v4) return false;
      out.push_back(static_cast<uint16_t>((*v4)[0] << 8 | (*v4)[1]));
      out.push_back(static_cast<uint16_t>((*v4)[2] << 8 | (*v4)[3]));
      continue;
    }
    if (g.empty() || g.size() > 4) return false;
    unsigned v = 0;
    for (char c : g) {
      unsigned d;
      if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
      else return false;
      v = v * 16 + d;
    }
    out.push_back(static_cast<uint16_t>(v));
  }
  return true;
}

std::optional<Ip16> parse_v6(std::string_view s) {
  std::vector<uint16_t> head, tail;
  const size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_groups(s, true, head) || head.size() != 8) return std::nullopt;
  } else {
    const std::string_view left = s.substr(0, gap);
    const std::string_view right = s.substr(gap + 2);
    if (right.find("::") != std::string_view::npos) return std::nullopt;
    if (!parse_groups(left, false, head) || !parse_groups(right, true, tail)) return std::nullopt;
    if (head.size() + tail.size() > 7) return std::nullopt;
    head.resize(8 - tail.size(), 0);
    head.insert(head.end(), tail.begin(), tail.end());
  }
  Ip16 out{};
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<uint8_t>(head[i] >> 8);
    out[2 * i + 1] = static_cast<uint8_t>(head[i] & 0xFF);
  }
  return out;
}

Ip16 mapped_v4(const std::array<uint8_t, 4>& v4) {
  Ip16 out{};
  out[10] = 0xFF;
  out[11] = 0xFF;
  for (int i = 0; i < 4; ++i) out[12 + i] = v4[i];
  return out;
}

// The dedup key: a click id, or the whole tuple when there is none. The leading flag keeps
// the two kinds apart.
using DedupKey = std::tuple<bool, std::string, std::string, int64_t, std::string, Ip16, std::string>;

DedupKey key_of(const RefEvent& ev) {
  if (ev.click_id) return {true, *ev.click_id, "", 0, "", Ip16{}, ""};
  return {false, "", ev.ad_id, ev.t_ms, ev.user_id, ev.ip, ev.country};
}

bool contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

std::optional<Ip16> parse_ip(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  const auto v4 = parse_v4(text);
  if (!v4) return std::nullopt;
  return mapped_v4(*v4);
}

std::optional<RefCidr> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  const bool v6 = addr.find(':') != std::string_view::npos;
  const auto ip = parse_ip(addr);
  if (!ip) return std::nullopt;
  RefCidr block{*ip, 128};
  if (slash == std::string_view::npos) return block;
  const std::string_view len = text.substr(slash + 1);
  if (len.empty() || len.size() > 3) return std::nullopt;
  int n = 0;
  for (char c : len) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n > (v6 ? 128 : 32)) return std::nullopt;
  block.prefix_len = v6 ? n : 96 + n;
  return block;
}

bool cidr_contains(const RefCidr& block, const Ip16& ip) {
  for (int bit = 0; bit < block.prefix_len; ++bit) {
    const int byte = bit / 8;
    const int mask = 0x80 >> (bit % 8);
    if ((block.addr[byte] & mask) != (ip[byte] & mask)) return false;
  }
  return true;
}

bool RefFilter::matches(const RefEvent& ev) const {
  if (!countries.empty() && !contains(countries, ev.country)) return false;
  if (!user_ids.empty() && !contains(user_ids, ev.user_id)) return false;
  if (!ip_blocks.empty()) {
    bool any = false;
    for (const auto& b : ip_blocks) any = any || cidr_contains(b, ev.ip);
    if (!any) return false;
  }
  return true;
}

int64_t minute_of(int64_t t_ms) {
  int64_t m = t_ms / kMinuteMs;
  if (t_ms % kMinuteMs < 0) --m;
  return m;
}

RefResult run_reference(const std::vector<RefEvent>& events, const RefConfig& config) {
  RefResult r;
  std::map<uint32_t, int64_t> partition_max;  // only partitions that have seen an event
  // Closing and purging happen once and are not undone, so the watermark an event is
  // judged against is the highest W reached so far (W itself can only fall when a new
  // partition starts far behind the others).
  int64_t w = kNoWatermark;
  std::map<int64_t, std::set<DedupKey>> seen;  // minute -> keys that reached step 5

  for (const RefEvent& ev : events) {
    ++r.stats.events_total;
    const int64_t minute = minute_of(ev.t_ms);
    const int64_t end = (minute + 1) * kMinuteMs;
    const bool closed = w != kNoWatermark && w >= end;
    const bool purged = w != kNoWatermark && w >= end + config.lateness_ms;

    if (purged) {
      ++r.stats.dropped_late;
      r.outcomes.push_back(Outcome::DroppedLate);
      r.dropped.push_back({ev.partition, ev.ad_id, ev.t_ms, w});
    } else if (!seen[minute].insert(key_of(ev)).second) {
      ++r.stats.duplicates;
      r.outcomes.push_back(Outcome::Duplicate);
    } else {
      ++r.stats.counted;
      ++r.counts[{minute, uint16_t{0}, ev.ad_id}];
      for (const RefFilter& f : config.filters) {
        if (f.matches(ev)) ++r.counts[{minute, f.id, ev.ad_id}];
      }
      if (closed) {
        ++r.stats.late_counted;
        ++r.late_counted_by_minute[minute];
      }
      r.outcomes.push_back(closed ? Outcome::LateCounted : Outcome::Counted);
    }

    // Every event handed over advances its partition's largest event time, then W follows.
    auto [it, fresh] = partition_max.try_emplace(ev.partition, ev.t_ms);
    if (!fresh) it->second = std::max(it->second, ev.t_ms);
    int64_t lowest = INT64_MAX;
    for (const auto& [p, mx] : partition_max) lowest = std::min(lowest, mx - config.delay_ms);
    w = std::max(w, lowest);
  }

  if (r.counts.empty()) return r;
  const int64_t first = std::get<0>(r.counts.begin()->first);
  const int64_t last = std::get<0>(r.counts.rbegin()->first);
  std::vector<uint16_t> filter_ids{0};
  for (const RefFilter& f : config.filters) filter_ids.push_back(f.id);
  for (int64_t e = first; e <= last; ++e) {
    for (uint32_t window : config.windows) {
      for (uint16_t fid : filter_ids) {
        std::map<std::string, uint64_t> sums;
        for (const auto& [key, count] : r.counts) {
          const auto& [m, f, ad] = key;
          if (f == fid && m <= e && m > e - static_cast<int64_t>(window)) sums[ad] += count;
        }
        TopList list(sums.begin(), sums.end());
        // std::string compares as unsigned bytes, which is the byte order the text asks for.
        std::stable_sort(list.begin(), list.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        if (list.size() > config.top_n) list.resize(config.top_n);
        r.topn[{e, window, fid}] = std::move(list);
      }
    }
  }
  return r;
}

}  // namespace clickagg::ref
