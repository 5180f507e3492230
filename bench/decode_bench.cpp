// Decoder throughput for the three input formats over one realistic, deterministic buffer:
// 2,000,000 possible ad ids, mixed IPv4/IPv6, alpha-2 and alpha-3 countries, user ids with
// spaces, some click ids. items/s = records/s.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "host/common/country.h"
#include "host/common/ip.h"
#include "host/common/time_util.h"
#include "host/decode/binary_format.h"
#include "host/decode/decode.h"
#include "host/decode/decode_columns.h"

namespace clickagg {
namespace {

constexpr int kRecords = 200'000;
constexpr int kAdIds = 2'000'000;
constexpr int64_t kStartMs = 1609459200000;  // 2021-01-01 00:00:00 UTC

struct Corpus {
  std::string log, json, binary;                 // whole buffers, as read from a file
  std::vector<std::string_view> log_lines, json_lines, binary_records;
};

std::string timestamp_text(int64_t t_ms, char sep) {
  const CivilDate c = civil_from_days(t_ms / 86'400'000);
  const int64_t in_day = t_ms % 86'400'000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u%c%02d:%02d:%02d.%03d", static_cast<int>(c.year),
                c.month, c.day, sep, static_cast<int>(in_day / 3'600'000),
                static_cast<int>(in_day / 60'000 % 60), static_cast<int>(in_day / 1000 % 60),
                static_cast<int>(in_day % 1000));
  return buf;
}

Corpus build_corpus() {
  static const char* kCountries[] = {"USA", "US", "GBR", "gb", "DE", "DEU", "fr", "JPN",
                                     "IN",  "BRA", "ca", "AUS", "NLD", "se", "KOR", "zz"};
  std::mt19937_64 rng(20210101);
  Corpus c;
  int64_t t = kStartMs;
  for (int i = 0; i < kRecords; ++i) {
    t += static_cast<int64_t>(rng() % 20);
    char ad[16], user[32], ip[48];
    std::snprintf(ad, sizeof ad, "ad%07d", static_cast<int>(rng() % kAdIds));
    std::snprintf(user, sizeof user, "user %d", static_cast<int>(rng() % 5'000'000));
    if (rng() % 5 == 0) {
      std::snprintf(ip, sizeof ip, "2001:db8:%x:%x::%x", static_cast<unsigned>(rng() % 65536),
                    static_cast<unsigned>(rng() % 65536), static_cast<unsigned>(rng() % 65536));
    } else {
      std::snprintf(ip, sizeof ip, "%u.%u.%u.%u", static_cast<unsigned>(1 + rng() % 223),
                    static_cast<unsigned>(rng() % 256), static_cast<unsigned>(rng() % 256),
                    static_cast<unsigned>(rng() % 256));
    }
    const char* country = kCountries[rng() % std::size(kCountries)];
    const std::string click = rng() % 10 == 0 ? "clk-" + std::to_string(rng() % 1'000'000'000) : "";

    c.log += "[AdClickEvent] " + std::string(ad) + ", " + timestamp_text(t, ' ') + ", " + user +
             ", " + ip + ", " + country;
    if (!click.empty()) c.log += ", " + click;
    c.log += '\n';

    // One JSON record in 20 carries an escape, as producers that escape '/' or non-ASCII do.
    const std::string json_user = rng() % 20 == 0 ? std::string(user) + "\\u00e9" : user;
    c.json += "{\"ad_id\":\"" + std::string(ad) + "\",\"click_timestamp\":\"" +
              timestamp_text(t, 'T') + "Z\",\"user_id\":\"" + json_user + "\",\"ip\":\"" + ip +
              "\",\"country\":\"" + country + "\"";
    if (!click.empty()) c.json += ",\"click_id\":\"" + click + "\"";
    c.json += "}\n";

    Event ev;
    ev.ad_id = ad;
    ev.user_id = user;
    ev.click_id = click;
    ev.t_ms = t;
    parse_ip(ip, ev.ip);
    normalize_country(country, ev.country);
    binfmt::encode(ev, c.binary);
  }
  auto split = [](std::string_view buf, Format f, std::vector<std::string_view>& out) {
    RecordSplitter sp(buf, f);
    RecordRef r;
    while (sp.next(r)) out.push_back(r.bytes);
  };
  split(c.log, Format::Log, c.log_lines);
  split(c.json, Format::Json, c.json_lines);
  split(c.binary, Format::Binary, c.binary_records);
  return c;
}

const Corpus& corpus() {
  static const Corpus c = build_corpus();
  return c;
}

// `decode` runs once per record; `between_passes` once before each pass over the records.
template <typename Decode, typename BetweenPasses>
void run(benchmark::State& state, const std::vector<std::string_view>& records, size_t bytes,
         Decode decode, BetweenPasses between_passes) {
  size_t rejected = 0;
  for (auto _ : state) {
    between_passes();
    for (std::string_view r : records) {
      Event ev;
      rejected += decode(r, ev) != nullptr;
      benchmark::DoNotOptimize(ev);
    }
  }
  if (rejected) state.SkipWithError("a benchmark record was rejected");
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(records.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}

void nothing() {}

void BM_DecodeLog(benchmark::State& state) {
  const Corpus& c = corpus();
  run(state, c.log_lines, c.log.size(),
      [](std::string_view r, Event& ev) { return decode_log(r, ev); }, nothing);
}
BENCHMARK(BM_DecodeLog)->Unit(benchmark::kMillisecond);

void BM_DecodeJson(benchmark::State& state) {
  const Corpus& c = corpus();
  Arena arena;
  // Escaped strings are copied into the arena; it is reset per pass as a batch would be.
  run(
      state, c.json_lines, c.json.size(),
      [&](std::string_view r, Event& ev) { return decode_json(r, ev, arena); },
      [&] { arena.reset(); });
}
BENCHMARK(BM_DecodeJson)->Unit(benchmark::kMillisecond);

void BM_DecodeBinary(benchmark::State& state) {
  const Corpus& c = corpus();
  run(state, c.binary_records, c.binary.size(),
      [](std::string_view r, Event& ev) { return decode_binary(r, ev); }, nothing);
}
BENCHMARK(BM_DecodeBinary)->Unit(benchmark::kMillisecond);

// The whole input path for a file: split the buffer, then decode every record.
void BM_SplitAndDecode(benchmark::State& state) {
  const Corpus& c = corpus();
  const Format f = static_cast<Format>(state.range(0));
  const std::string& buf = f == Format::Log ? c.log : f == Format::Json ? c.json : c.binary;
  Arena arena;
  int64_t records = 0;
  for (auto _ : state) {
    arena.reset();
    RecordSplitter sp(buf, f);
    RecordRef r;
    while (sp.next(r)) {
      Event ev;
      benchmark::DoNotOptimize(decode_record(f, r.bytes, ev, arena));
      benchmark::DoNotOptimize(ev);
      ++records;
    }
  }
  state.SetLabel(std::string(format_name(f)));
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buf.size()));
}
BENCHMARK(BM_SplitAndDecode)
    ->Arg(static_cast<int>(Format::Log))
    ->Arg(static_cast<int>(Format::Json))
    ->Arg(static_cast<int>(Format::Binary))
    ->Unit(benchmark::kMillisecond);

// What a batch reader does per record: split, decode and append to the engine's columns (the
// fingerprint, hashes and country index computed on the way), in batches of 64 Ki events.
void BM_SplitDecodeColumns(benchmark::State& state) {
  const Corpus& c = corpus();
  const Format f = static_cast<Format>(state.range(0));
  const std::string& buf = f == Format::Log ? c.log : f == Format::Json ? c.json : c.binary;
  Arena arena;
  EventColumns batch;
  int64_t records = 0;
  for (auto _ : state) {
    RecordSplitter sp(buf, f);
    RecordRef r;
    while (sp.next(r)) {
      benchmark::DoNotOptimize(decode_into(f, r.bytes, r.position, batch, arena));
      if (batch.size() == (1u << 16)) batch.clear();
      ++records;
    }
    batch.clear();
  }
  state.SetLabel(std::string(format_name(f)));
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(buf.size()));
}
BENCHMARK(BM_SplitDecodeColumns)
    ->Arg(static_cast<int>(Format::Log))
    ->Arg(static_cast<int>(Format::Json))
    ->Arg(static_cast<int>(Format::Binary))
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace clickagg
BENCHMARK_MAIN();
