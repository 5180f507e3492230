// Fills an aggregate store with a synthetic day for the API load benchmark (bench/api_bench.sh):
// per minute, clicks drawn from Zipf(s) over `--ads` ad ids until `--per-minute` distinct ads
// have clicks (a bounded, realistic spread: a few hot ads with many clicks, a long tail with
// one), and the top-N lists of every minute for the given windows under filter 0, computed
// exactly from those counts. Everything goes through the store's normal write path, many
// minutes per transaction. Prints the row counts it wrote.
//
// fill_store --db PATH [--ads 2000000] [--per-minute 20000] [--minutes 1440] [--zipf 1.1]
//            [--start 202101010000] [--top 100] [--windows 1,5,60] [--minutes-per-tx 30] [--seed 7]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "host/common/time_util.h"
#include "host/gen/ad_permutation.h"
#include "host/gen/field_text.h"
#include "host/gen/rng.h"
#include "host/gen/zipf.h"
#include "host/store/aggregate_store.h"

namespace {

using namespace clickagg;

struct Options {
  std::string db;
  uint64_t ads = 2'000'000;
  uint64_t per_minute = 20'000;
  int64_t minutes = 1440;
  double zipf = 1.1;
  std::string start = "202101010000";
  uint32_t top = 100;
  std::vector<uint32_t> windows = {1, 5, 60};
  int64_t minutes_per_tx = 30;
  uint64_t seed = 7;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "fill_store: %s\nusage: fill_store --db PATH [--ads N] [--per-minute N] "
                       "[--minutes N] [--zipf S] [--start yyyyMMddHHmm] [--top N] [--windows 1,5,60] "
                       "[--minutes-per-tx N] [--seed N]\n", why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view key = argv[i];
    if (i + 1 >= argc) usage("an option without a value");
    const char* v = argv[i + 1];
    if (key == "--db") o.db = v;
    else if (key == "--ads") o.ads = std::strtoull(v, nullptr, 10);
    else if (key == "--per-minute") o.per_minute = std::strtoull(v, nullptr, 10);
    else if (key == "--minutes") o.minutes = std::strtoll(v, nullptr, 10);
    else if (key == "--zipf") o.zipf = std::strtod(v, nullptr);
    else if (key == "--start") o.start = v;
    else if (key == "--top") o.top = static_cast<uint32_t>(std::strtoul(v, nullptr, 10));
    else if (key == "--minutes-per-tx") o.minutes_per_tx = std::strtoll(v, nullptr, 10);
    else if (key == "--seed") o.seed = std::strtoull(v, nullptr, 10);
    else if (key == "--windows") {
      o.windows.clear();
      for (std::string_view s = v; !s.empty();) {
        const size_t comma = s.find(',');
        o.windows.push_back(static_cast<uint32_t>(std::strtoul(std::string(s.substr(0, comma)).c_str(), nullptr, 10)));
        s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
      }
    } else {
      usage(("unknown option " + std::string(key)).c_str());
    }
  }
  if (o.db.empty()) usage("--db is required");
  if (o.ads == 0 || o.ads > (1ULL << 32) || o.per_minute == 0 || o.per_minute > o.ads / 2 || o.minutes <= 0 ||
      o.minutes_per_tx <= 0 || o.top == 0)
    usage("an out-of-range value");
  for (const uint32_t w : o.windows)
    if (w == 0) usage("window sizes must be positive");
  if (!parse_minute(o.start)) usage("--start must be yyyyMMddHHmm");
  return o;
}

using Counts = std::vector<std::pair<uint32_t, uint64_t>>;  // (ad number, clicks), one minute

// Draws clicks until `distinct` ads have one.
Counts draw_minute(gen::Rng& rng, const gen::ZipfSampler& zipf, const gen::AdPermutation& perm,
                   uint64_t distinct) {
  std::unordered_map<uint32_t, uint64_t> clicks;
  clicks.reserve(distinct * 2);
  while (clicks.size() < distinct) ++clicks[static_cast<uint32_t>(perm(zipf.sample(rng)))];
  Counts out(clicks.begin(), clicks.end());
  std::sort(out.begin(), out.end());
  return out;
}

// The running sums over the last `size` minutes and their top-N, exact.
class SlidingTop {
 public:
  explicit SlidingTop(uint32_t size) : size_(size) {}

  void push(const Counts* minute) {
    for (const auto& [ad, n] : *minute) sums_[ad] += n;
    window_.push_back(minute);
    if (window_.size() > size_) {
      for (const auto& [ad, n] : *window_.front())
        if (auto it = sums_.find(ad); (it->second -= n) == 0) sums_.erase(it);
      window_.pop_front();
    }
  }

  // Sum descending, then ad id ascending (ids are zero-padded, so number order is byte order).
  std::vector<std::pair<uint32_t, uint64_t>> top(uint32_t n) const {
    std::vector<std::pair<uint32_t, uint64_t>> all(sums_.begin(), sums_.end());
    auto better = [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; };
    const size_t k = std::min<size_t>(n, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(), better);
    all.resize(k);
    return all;
  }

 private:
  uint32_t size_;
  std::deque<const Counts*> window_;
  std::unordered_map<uint32_t, uint64_t> sums_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t first = *parse_minute(o.start);
    const int width = static_cast<int>(std::to_string(o.ads - 1).size());
    auto ad_id = [width](uint32_t number) {
      std::string s;
      gen::assign_ad_id(s, number, width);
      return s;
    };
    gen::Rng rng(o.seed);
    const gen::ZipfSampler zipf(o.ads, o.zipf);
    const gen::AdPermutation perm(o.ads);
    auto store = store::open_store(o.db, store::OpenMode::Writer);
    store->set_filters({});

    uint32_t max_window = 1;
    for (const uint32_t w : o.windows) max_window = std::max(max_window, w);
    std::deque<Counts> recent;  // the last max_window minutes, owned here
    std::vector<SlidingTop> tops;
    for (const uint32_t w : o.windows) tops.emplace_back(w);

    store::ResultBatch batch;
    batch.top_n = o.top;
    uint64_t count_rows = 0, list_rows = 0, clicks = 0;
    auto flush = [&](int64_t last_minute) {
      store::Progress p;
      p.last_closed_minute = last_minute;
      p.events = p.counted = clicks;
      p.windows_closed = static_cast<uint64_t>(last_minute - first + 1);
      batch.progress = p;
      store->write(batch);
      batch.windows.clear();
      batch.topn.clear();
    };
    for (int64_t m = 0; m < o.minutes; ++m) {
      recent.push_back(draw_minute(rng, zipf, perm, o.per_minute));
      const Counts& counts = recent.back();
      std::vector<NamedRow> rows;
      rows.reserve(counts.size());
      for (const auto& [ad, n] : counts) {
        rows.push_back(NamedRow{ad_id(ad), 0, n});
        clicks += n;
      }
      WindowResult win = make_window(first + m, rows);
      count_rows += counts.size();
      batch.windows.push_back(std::move(win));
      for (size_t i = 0; i < tops.size(); ++i) {
        tops[i].push(&counts);
        TopNList list{first + m, o.windows[i], 0, false, {}, nullptr};
        std::vector<NamedEntry> entries;
        for (const auto& [ad, sum] : tops[i].top(o.top)) entries.push_back(NamedEntry{ad_id(ad), sum});
        set_entries(list, entries);
        list_rows += list.entries.size();
        batch.topn.push_back(std::move(list));
      }
      // SlidingTop keeps pointers into `recent`: drop a minute only once every window has.
      if (recent.size() > max_window + 1) recent.pop_front();
      if ((m + 1) % o.minutes_per_tx == 0 || m + 1 == o.minutes) {
        flush(first + m);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "\rfill_store: %lld/%lld minutes, %llu count rows, %.0f s", static_cast<long long>(m + 1),
                     static_cast<long long>(o.minutes), static_cast<unsigned long long>(count_rows), s);
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "\n");
    std::printf("fill_store: %lld minutes, %llu count rows (%llu distinct ads per minute of %llu, Zipf %.2f), "
                "%llu top-N rows in %zu lists per minute, %llu clicks, %.1f s\n",
                static_cast<long long>(o.minutes), static_cast<unsigned long long>(count_rows),
                static_cast<unsigned long long>(o.per_minute), static_cast<unsigned long long>(o.ads), o.zipf,
                static_cast<unsigned long long>(list_rows), o.windows.size(),
                static_cast<unsigned long long>(clicks), s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fill_store: %s\n", e.what());
    return 1;
  }
  return 0;
}
