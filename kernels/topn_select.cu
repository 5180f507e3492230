#include "kernels/topn_select.h"

#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/block/search.h"
#include "kernels/device_layout.h"
#include "kernels/system/atomics.h"
#include "kernels/system/launch.h"
#include "kernels/system/warp.h"

namespace clickagg::CLICKAGG_DEVICE_NS {

namespace {

// Rank key: slot in the top bits, then the count inverted, so an ascending sort orders each
// slot's entries by count descending. 53 bits of count: sums up to 9e15 clicks.
constexpr int kRankCountBits = 53;
constexpr unsigned long long kRankCountMask = (1ull << kRankCountBits) - 1;
// Keep the groups within the algorithms' int item counts.
constexpr uint64_t kMaxGroups = 1ull << 30;

CLICKAGG_HD uint32_t rank_slot(unsigned long long r) { return static_cast<uint32_t>(r >> kRankCountBits); }
CLICKAGG_HD unsigned long long rank_count(unsigned long long r) { return kRankCountMask - (r & kRankCountMask); }

struct Rank {
  const unsigned long long* keys;
  const unsigned long long* counts;
  unsigned long long* rank;
  uint32_t* ad;
  unsigned* error;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    unsigned long long c = counts[i];
    if (c > kRankCountMask) {
      sys::fetch_or(error, kErrCountTooLarge);
      c = kRankCountMask;
    }
    rank[i] = (static_cast<unsigned long long>(key_slot(keys[i])) << kRankCountBits) | (kRankCountMask - c);
    ad[i] = key_ad(keys[i]);
  }
};

// [seg_begin[s], seg_end[s]) is slot s's run in the sorted ranks (both 0 when it has none).
struct Segment {
  const unsigned long long* rank;
  unsigned long long n;
  unsigned long long* seg_begin;
  unsigned long long* seg_end;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    const uint32_t s = rank_slot(rank[i]);
    if (i == 0 || rank_slot(rank[i - 1]) != s) seg_begin[s] = i;
    if (i + 1 == n || rank_slot(rank[i + 1]) != s) seg_end[s] = i + 1;
  }
};

// Slot s's run [b, e) of sorted ranks, against its top_n: `strict` entries rank above the
// N-th count and are in; the next `tied` share the N-th count, of which `need` are in, the
// first by name. A slot with at most top_n entries keeps them all (strict = e - b).
struct Take {
  const unsigned long long* rank;
  const unsigned long long* seg_begin;
  const unsigned long long* seg_end;
  uint32_t top_n;
  unsigned long long* strict;
  unsigned long long* tied;
  unsigned long long* need;
  CLICKAGG_DEV void operator()(unsigned long long s, bool active) const {
    if (!active) return;
    const unsigned long long b = seg_begin[s], e = seg_end[s];
    if (e - b <= top_n) {
      strict[s] = e - b;
      tied[s] = need[s] = 0;
      return;
    }
    const unsigned long long nth = rank_count(rank[b + top_n - 1]);
    // Counts never rise along the run: the first entry at the N-th count, and the first below.
    const unsigned long long first =
        block::partition_point(b, b + top_n - 1, [&](unsigned long long k) { return rank_count(rank[k]) > nth; });
    const unsigned long long past =
        block::partition_point(b + top_n, e, [&](unsigned long long k) { return rank_count(rank[k]) >= nth; });
    strict[s] = first - b;
    tied[s] = past - first;
    need[s] = b + top_n - first;
  }
};

// Entries above the N-th count go out; those tied with it go to the tie list (slot << 32 | ad),
// unless all of them are in.
struct Keep {
  const unsigned long long* rank;
  const uint32_t* ad;
  const unsigned long long* seg_begin;
  const unsigned long long* strict;
  const unsigned long long* tied;
  const unsigned long long* need;
  unsigned long long* out_rank;
  uint32_t* out_ad;
  unsigned long long* out_cursor;
  unsigned long long* ties;
  unsigned long long* tie_cursor;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    bool out = false, tie = false;
    uint32_t s = 0;
    if (active) {
      s = rank_slot(rank[i]);
      const unsigned long long pos = i - seg_begin[s];
      const unsigned long long in = strict[s] + (tied[s] == need[s] ? tied[s] : 0);
      out = pos < in;
      tie = !out && pos < strict[s] + tied[s];
    }
    const unsigned long long o = sys::append_slot(out_cursor, out);
    if (out) {
      out_rank[o] = rank[i];
      out_ad[o] = ad[i];
    }
    const unsigned long long t = sys::append_slot(tie_cursor, tie);
    if (tie) ties[t] = (static_cast<unsigned long long>(s) << 32) | ad[i];
  }
};

// [tie_begin[s], ...) is slot s's run in the sorted tie list.
struct TieSegment {
  const unsigned long long* ties;
  unsigned long long* tie_begin;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    if (!active) return;
    const auto s = static_cast<uint32_t>(ties[i] >> 32);
    if (i == 0 || static_cast<uint32_t>(ties[i - 1] >> 32) != s) tie_begin[s] = i;
  }
};

// The first `need` of each slot's ties, by name, go out at the N-th count.
struct KeepTies {
  const unsigned long long* ties;
  const unsigned long long* tie_begin;
  const unsigned long long* need;
  const unsigned long long* rank;       // the sorted ranks, for the N-th count
  const unsigned long long* seg_begin;  // and where each slot's run starts
  uint32_t top_n;
  unsigned long long* out_rank;
  uint32_t* out_ad;
  unsigned long long* out_cursor;
  CLICKAGG_DEV void operator()(unsigned long long i, bool active) const {
    bool keep = false;
    unsigned long long r = 0;
    if (active) {
      const auto s = static_cast<uint32_t>(ties[i] >> 32);
      keep = i - tie_begin[s] < need[s];
      r = rank[seg_begin[s] + top_n - 1];
    }
    const unsigned long long o = sys::append_slot(out_cursor, keep);
    if (keep) {
      out_rank[o] = r;
      out_ad[o] = static_cast<uint32_t>(ties[i]);
    }
  }
};

}  // namespace

TopNSelector::TopNSelector(sys::Stream stream, unsigned* d_error)
    : stream_(stream),
      d_error_(d_error),
      temp_(stream),
      keys_(stream),
      counts_(stream),
      rank_(stream),
      rank_sorted_(stream),
      out_rank_(stream),
      ad_(stream),
      ad_sorted_(stream),
      out_ad_(stream),
      ties_(stream),
      seg_begin_(stream),
      seg_end_(stream),
      strict_(stream),
      tied_(stream),
      need_(stream),
      tie_begin_(stream),
      cursor_(stream) {
  cursor_.reserve_discard(3);
}

void TopNSelector::check_error() {
  unsigned error = 0;
  sys::copy_async(&error, d_error_, sizeof error, sys::Copy::DeviceToHost, stream_);
  sys::sync(stream_);
  if (error != 0) throw std::runtime_error("GPU engine: internal top-N error (code " + std::to_string(error) + ")");
}

void TopNSelector::minute_candidates(const DeviceWindowTable& table, int64_t minute, uint32_t top_n, uint32_t slots,
                                    const NamesRef& names, std::vector<TopNCandidate>& out) {
  const uint64_t n = table.count_size(minute);
  if (n == 0) {
    out.clear();
    return;
  }
  keys_.reserve_discard(n);
  counts_.reserve_discard(n);
  sys::fill_async(cursor_.data(), 0, sizeof(unsigned long long), stream_);
  table.gather_counts_async(minute, keys_.data(), counts_.data(), cursor_.data(), n);
  unsigned long long found = 0;
  sys::copy_async(&found, cursor_.data(), sizeof found, sys::Copy::DeviceToHost, stream_);
  check_error();
  if (found != n) throw std::logic_error("GPU engine: count table holds another number of keys than noted");
  candidates(GroupsRef{keys_.data(), counts_.data(), n}, top_n, slots, names, out);
}

void TopNSelector::candidates(const GroupsRef& groups, uint32_t top_n, uint32_t slots, const NamesRef& names,
                             std::vector<TopNCandidate>& out) {
  out.clear();
  const uint64_t m = groups.n;
  if (m == 0 || top_n == 0) return;
  if (m > kMaxGroups) throw std::runtime_error("GPU engine: top-N window holds too many groups");
  if (slots == 0 || slots > (1u << (64 - kRankCountBits))) throw std::logic_error("GPU engine: bad slot count");
  rank_.reserve_discard(m);
  rank_sorted_.reserve_discard(m);
  ad_.reserve_discard(m);
  ad_sorted_.reserve_discard(m);
  out_rank_.reserve_discard(m);
  out_ad_.reserve_discard(m);
  ties_.reserve_discard(m);
  for (DeviceArray<unsigned long long>* a : {&seg_begin_, &seg_end_, &strict_, &tied_, &need_, &tie_begin_})
    a->reserve_discard(slots);

  sys::launch(stream_, m, Rank{groups.keys, groups.counts, rank_.data(), ad_.data(), d_error_}, "rank");
  const int end_bit = kRankCountBits + bits_for(slots);
  sys::sort_pairs(temp_, rank_.data(), rank_sorted_.data(), ad_.data(), ad_sorted_.data(), m, 0, end_bit);
  sys::fill_async(seg_begin_.data(), 0, slots * sizeof(unsigned long long), stream_);
  sys::fill_async(seg_end_.data(), 0, slots * sizeof(unsigned long long), stream_);
  sys::launch(stream_, m, Segment{rank_sorted_.data(), m, seg_begin_.data(), seg_end_.data()}, "segment");
  sys::launch(stream_, slots,
              Take{rank_sorted_.data(), seg_begin_.data(), seg_end_.data(), top_n, strict_.data(), tied_.data(),
                   need_.data()},
              "take");
  sys::fill_async(cursor_.data() + 1, 0, 2 * sizeof(unsigned long long), stream_);
  sys::launch(stream_, m,
              Keep{rank_sorted_.data(), ad_sorted_.data(), seg_begin_.data(), strict_.data(), tied_.data(), need_.data(),
                   out_rank_.data(), out_ad_.data(), cursor_.data() + 1, ties_.data(), cursor_.data() + 2},
              "keep");
  unsigned long long found[2] = {0, 0};  // kept, tied to settle by name
  sys::copy_async(found, cursor_.data() + 1, sizeof found, sys::Copy::DeviceToHost, stream_);
  check_error();
  if (found[0] > m || found[1] > m) throw std::logic_error("GPU engine: more top-N candidates than entries");
  if (found[1] > 0) {
    // Ties at the N-th place: each slot keeps the first names (the CPU engine's tie-break).
    sys::sort_by_slot_and_name(temp_, ties_.data(), found[1], names);
    sys::launch(stream_, found[1], TieSegment{ties_.data(), tie_begin_.data()}, "tie_segment");
    sys::launch(stream_, found[1],
                KeepTies{ties_.data(), tie_begin_.data(), need_.data(), rank_sorted_.data(), seg_begin_.data(), top_n,
                         out_rank_.data(), out_ad_.data(), cursor_.data() + 1},
                "keep_ties");
    sys::copy_async(found, cursor_.data() + 1, sizeof(unsigned long long), sys::Copy::DeviceToHost, stream_);
    check_error();
    if (found[0] > m) throw std::logic_error("GPU engine: more top-N entries than entries");
  }
  const uint64_t kept = found[0];
  host_rank_.resize(kept);
  host_ad_.resize(kept);
  if (kept > 0) {
    sys::copy_async(host_rank_.data(), out_rank_.data(), kept * sizeof(unsigned long long), sys::Copy::DeviceToHost,
                    stream_);
    sys::copy_async(host_ad_.data(), out_ad_.data(), kept * sizeof(uint32_t), sys::Copy::DeviceToHost, stream_);
    sys::sync(stream_);
  }
  out.reserve(kept);
  for (uint64_t i = 0; i < kept; ++i) {
    const unsigned long long r = host_rank_[i];
    out.push_back(TopNCandidate{static_cast<uint32_t>(r >> kRankCountBits), host_ad_[i], kRankCountMask - (r & kRankCountMask)});
  }
}

}  // namespace clickagg::CLICKAGG_DEVICE_NS
