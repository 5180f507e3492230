// bare_consumer: how fast librdkafka alone reads a topic on this machine, the ceiling the
// end-to-end benchmark is measured against. It joins a fresh consumer group with the
// aggregator's consumer settings (host/kafka), reads the topic from the beginning in batches
// and does nothing with the messages but count them.
//
//   bare_consumer --brokers 127.0.0.1:9092 --topic clicks [--count N] [--idle-ms 2000]
//                 [--batch 10000] [-X key=value ...] [--json]
//
// It stops after N messages (0 = no limit) or once nothing arrived for --idle-ms after the
// first message. Rates are over the span from the first batch to the last (the first
// batch's messages excluded, as their arrival time is unknown), so the group join is not
// counted; it is reported separately.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "host/kafka/kafka_consumer.h"
#include "host/kafka/kafka_errors.h"
#include "host/kafka/kafka_handles.h"

namespace {

using Clock = std::chrono::steady_clock;
using clickagg::kafka::ErrorClass;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Args {
  std::string brokers, topic;
  uint64_t count = 0;
  int idle_ms = 2000;
  int first_message_timeout_ms = 60000;
  size_t batch = 10000;
  bool json = false;
  clickagg::kafka::ConfigPairs extra;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bare_consumer: %s\nusage: bare_consumer --brokers HOST:PORT --topic T [--count N] "
               "[--idle-ms 2000] [--batch 10000] [-X key=value ...] [--json]\n",
               why);
  std::exit(2);
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + k).c_str());
      return argv[++i];
    };
    try {
      if (k == "--brokers") a.brokers = value();
      else if (k == "--topic") a.topic = value();
      else if (k == "--count") a.count = std::stoull(value());
      else if (k == "--idle-ms") a.idle_ms = std::stoi(value());
      else if (k == "--batch") a.batch = std::stoul(value());
      else if (k == "-X") {
        const std::string kv = value();
        const size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) usage(("bad -X " + kv).c_str());
        a.extra.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
      } else if (k == "--json") a.json = true;
      else if (k == "-h" || k == "--help") usage("help");
      else usage(("unknown argument " + k).c_str());
    } catch (const std::logic_error&) {
      usage(("bad value for " + k).c_str());
    }
  }
  if (a.brokers.empty() || a.topic.empty()) usage("--brokers and --topic are required");
  if (a.batch == 0 || a.idle_ms <= 0) usage("--batch and --idle-ms must be positive");
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  std::optional<clickagg::kafka::KafkaConsumer> consumer;
  try {
    clickagg::kafka::ConsumerOptions o;
    o.brokers = a.brokers;
    o.group = clickagg::kafka::fresh_group_id("bare-consumer");
    // Deep prefetch, as the aggregator's, so the fetcher, not this loop, is the limit.
    o.prefetch = clickagg::kafka::Prefetch::Deep;
    o.extra = {{"client.id", "bare-consumer"}};
    o.extra.insert(o.extra.end(), a.extra.begin(), a.extra.end());
    consumer.emplace(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bare_consumer: %s\n", e.what());
    return 2;
  }
  rd_kafka_t* rk = consumer->handle();
  rd_kafka_poll_set_consumer(rk);

  clickagg::kafka::PartitionListPtr subs(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subs.get(), a.topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, subs.get())) {
    std::fprintf(stderr, "bare_consumer: subscribe %s: %s\n", a.topic.c_str(), rd_kafka_err2str(err));
    return 1;
  }
  std::vector<rd_kafka_message_t*> batch(a.batch);
  uint64_t messages = 0, bytes = 0;
  uint64_t first_messages = 0, first_bytes = 0;  // what the first non-empty batch held
  const auto start = Clock::now();
  Clock::time_point first{}, last{};
  int rc = 0;
  while (!g_stop && (a.count == 0 || messages < a.count)) {
    const ssize_t n = rd_kafka_consume_batch_queue(consumer->queue(), 10, batch.data(), batch.size());
    const auto now = Clock::now();
    if (n < 0) {
      std::fprintf(stderr, "bare_consumer: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
      rc = 1;
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[i];
      if (m->err) {
        const ErrorClass cls = clickagg::kafka::classify(rk, m->err);
        // A benchmark reads a topic that exists; waiting for one to appear only hides a typo.
        const bool missing = m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                             m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
        if (cls != ErrorClass::Informational) {
          std::fprintf(stderr, "bare_consumer: %s error: %s\n", clickagg::kafka::error_class_name(cls),
                       rd_kafka_message_errstr(m));
        }
        if (cls == ErrorClass::Fatal || missing) {
          g_stop = 1;
          rc = 1;
        }
      } else {
        ++messages;
        bytes += m->len;
      }
      rd_kafka_message_destroy(m);
    }
    if (n > 0 && messages > 0) {
      if (first == Clock::time_point{}) {
        first = now;
        first_messages = messages;
        first_bytes = bytes;
      }
      last = now;
    }
    const auto waited_ms = [&](Clock::time_point since) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(now - since).count();
    };
    if (messages > 0 && waited_ms(last) >= a.idle_ms) break;
    if (messages == 0 && waited_ms(start) >= a.first_message_timeout_ms) {
      std::fprintf(stderr, "bare_consumer: no message from %s within %d ms\n", a.topic.c_str(),
                   a.first_message_timeout_ms);
      rc = 1;
      break;
    }
  }
  consumer->close();

  const double span = messages > 0 ? std::chrono::duration<double>(last - first).count() : 0.0;
  const double join = messages > 0 ? std::chrono::duration<double>(first - start).count() : 0.0;
  const double msgs_per_s = span > 0 ? static_cast<double>(messages - first_messages) / span : 0.0;
  const double mb_per_s = span > 0 ? static_cast<double>(bytes - first_bytes) / span / 1e6 : 0.0;
  if (a.json) {
    std::printf(
        "{\"messages\": %llu, \"bytes\": %llu, \"seconds\": %.6f, \"join_seconds\": %.6f, "
        "\"messages_per_second\": %.1f, \"mb_per_second\": %.3f}\n",
        static_cast<unsigned long long>(messages), static_cast<unsigned long long>(bytes), span, join,
        msgs_per_s, mb_per_s);
  } else {
    std::printf("bare_consumer: %llu messages, %llu value bytes in %.3f s (join %.3f s): %.0f msg/s, %.1f MB/s\n",
                static_cast<unsigned long long>(messages), static_cast<unsigned long long>(bytes), span, join,
                msgs_per_s, mb_per_s);
  }
  if (a.count > 0 && messages < a.count && rc == 0) {
    std::fprintf(stderr, "bare_consumer: only %llu of %llu messages before going idle\n",
                 static_cast<unsigned long long>(messages), static_cast<unsigned long long>(a.count));
    rc = 1;
  }
  return rc;
}
