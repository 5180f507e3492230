// clickagg gen: writes the synthetic click workload (host/gen) as log, json or binary
// records, as fast as possible or paced to a wall-clock rate for streaming into `watch`.
#include <algorithm>
#include <chrono>
#include <limits>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "host/cli/commands.h"
#include "host/cli/kafka_settings.h"
#include "host/cli/kafka_timeout.h"
#include "host/cli/settings.h"
#include "host/common/time_util.h"
#include "host/gen/generator.h"
#include "host/gen/record_writer.h"
#include "host/gen/time_text.h"
#include "host/ingest/kafka_record_sink.h"
#include "host/kafka/kafka_producer.h"

namespace clickagg::cli {

namespace {

constexpr size_t kFlushBytes = size_t{4} << 20;  // fwrite in large chunks
constexpr uint64_t kRecordsPerPull = 1 << 16;
constexpr double kPacingTickSeconds = 0.01;       // paced output is written in ~10 ms slices

struct GenArgs {
  gen::GenConfig config;
  // Defaults: the settings table's.
  std::string start;
  std::string format;
  std::string out;
  double rate = 0;  // records per wall-clock second; 0 = unpaced
  std::string kafka;  // brokers: produce to Kafka instead of writing a file
  std::string topic;
  KafkaTimeout kafka_timeout;
  KafkaSettings kafka_settings;
};

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f && f != stdout) std::fclose(f);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Format output_format(const std::string& name) {
  if (name == "log") return Format::Log;
  if (name == "json") return Format::Json;
  if (name == "binary") return Format::Binary;
  throw UsageError("bad --format '" + name + "' (log, json or binary)");
}

void write_out(std::FILE* f, std::string& buf) {
  if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), f) != buf.size())
    throw std::runtime_error("write failed");
  buf.clear();
}

void run_unpaced(gen::Generator& g, Format format, std::FILE* f, std::string& buf) {
  while (!g.done()) {
    gen::write_records(g, format, kRecordsPerPull, buf);
    if (buf.size() >= kFlushBytes) write_out(f, buf);
  }
  write_out(f, buf);
}

// Record i is due at i / rate seconds after the start; whatever is due is written and
// flushed each tick so a downstream reader sees a steady stream, not bursts.
void run_paced(gen::Generator& g, Format format, double rate, std::FILE* f, std::string& buf) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  uint64_t sent = 0;
  while (!g.done()) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto due = static_cast<uint64_t>(elapsed * rate) + 1;
    while (sent < due && !g.done()) {
      sent += gen::write_records(g, format, std::min(due - sent, kRecordsPerPull), buf);
      if (buf.size() >= kFlushBytes) write_out(f, buf);
    }
    write_out(f, buf);
    if (std::fflush(f) != 0) throw std::runtime_error("write failed");
    const double wake = std::max(static_cast<double>(sent) / rate, elapsed + kPacingTickSeconds);
    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(wake)));
  }
}

// Produces to Kafka (key = ad_id, idempotent producer), paced like run_paced when rate > 0.
void run_kafka(gen::Generator& g, Format format, double rate, const GenArgs& a) {
  kafka::ProducerOptions po;
  po.brokers = a.kafka;
  po.delivery_timeout = a.kafka_timeout.value();
  po.extra = a.kafka_settings.pairs();
  ingest::KafkaRecordSink sink(po, a.topic, format);
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  uint64_t sent = 0;
  while (!g.done()) {
    if (rate <= 0) {
      sent += sink.write(g, kRecordsPerPull);
      continue;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const auto due = static_cast<uint64_t>(elapsed * rate) + 1;
    if (due > sent) sent += sink.write(g, std::min(due - sent, kRecordsPerPull));
    const double wake = std::max(static_cast<double>(sent) / rate, elapsed + kPacingTickSeconds);
    std::this_thread::sleep_until(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wake)));
  }
  // Deliveries fail after --kafka-timeout; the flush waits that long and a little more.
  const auto timeout = a.kafka_timeout.value();
  sink.finish(timeout.count() == 0 ? std::chrono::milliseconds(std::numeric_limits<int>::max())
                                   : timeout + std::chrono::seconds(5));  // throws unless all was delivered
}

void run_gen(GenArgs& a) {
  const Format format = output_format(a.format);
  const auto start = gen::parse_start_text(a.start, wall_ms());
  if (!start) throw UsageError("bad --start '" + a.start + "' (now, now-3m, ISO-8601 or 'yyyy-mm-dd hh:mm:ss')");
  a.config.start_ms = *start;
  if (const std::string why = gen::validate(a.config); !why.empty()) throw UsageError(why);

  if (!a.kafka.empty()) {
    if (a.topic.empty()) throw UsageError("--topic is empty");
    gen::Generator g(a.config);
    run_kafka(g, format, a.rate, a);
    return;
  }

  File file;
  std::FILE* f = stdout;
  if (a.out != "-" && !a.out.empty()) {
    file.reset(std::fopen(a.out.c_str(), "wb"));
    if (!file) throw UsageError("cannot write " + a.out);
    f = file.get();
  }

  gen::Generator g(a.config);
  std::string buf;
  buf.reserve(kFlushBytes + (1 << 20));
  if (a.rate > 0) run_paced(g, format, a.rate, f, buf);
  else run_unpaced(g, format, f, buf);

  if (std::fflush(f) != 0 || std::ferror(f)) throw std::runtime_error("write failed");
  if (file && std::fclose(file.release()) != 0) throw std::runtime_error("write failed: " + a.out);
}

}  // namespace

void register_gen(CLI::App& app) {
  auto args = std::make_shared<GenArgs>();
  auto settings = std::make_shared<CommandSettings>(app, kGen);
  CommandSettings& s = *settings;
  gen::GenConfig& c = args->config;
  s.bind("seed", c.seed);
  s.bind("count", c.count);
  s.bind("rate", args->rate);
  s.bind("ads", c.ads);
  s.bind("zipf", c.zipf);
  s.bind("users", c.users);
  s.bind("start", args->start);
  s.bind("events-per-second", c.events_per_second);
  s.bind("ipv6-fraction", c.ipv6_fraction);
  s.bind("click-id-fraction", c.click_id_fraction);
  s.bind("out-of-order", c.out_of_order);
  s.bind("late", c.late);
  s.bind("very-late", c.very_late);
  s.bind("duplicates", c.duplicate);
  s.bind("malformed", c.malformed);
  s.bind("format", args->format);
  s.bind("out", args->out);
  s.bind("kafka", args->kafka);
  s.bind("topic", args->topic);
  args->kafka_timeout.add_to(s);
  args->kafka_settings.add_to(s);
  s.on_run([args, settings] { run_gen(*args); });
}

}  // namespace clickagg::cli
