// Sends generated click records to a Kafka topic, one record per message, keyed by ad_id so
// every click of an ad lands on the same partition (the aggregator's per-partition order).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "host/decode/decode.h"
#include "host/gen/gen_event.h"
#include "host/gen/generator.h"
#include "host/kafka/kafka_producer.h"

namespace clickagg::ingest {

class KafkaRecordSink {
 public:
  // `format` is Log, Json or Binary (std::invalid_argument otherwise). Log and JSON values
  // carry no trailing newline; a binary value is one framed record.
  KafkaRecordSink(const kafka::ProducerOptions& options, std::string topic, Format format);

  // Encodes and produces one record; blocks while the producer's queue is full.
  void write(const gen::GenEvent& ev);
  // Pulls up to `max_records` records from `gen` (fewer once it is done); returns how many
  // were sent. The counterpart of gen::write_records for files.
  uint64_t write(gen::Generator& gen, uint64_t max_records);
  // An already encoded record.
  void write(std::string_view key, std::string_view value);

  // Flushes; throws std::runtime_error with the reason unless every record was delivered.
  void finish(std::chrono::milliseconds timeout = std::chrono::seconds(60));

  kafka::DeliveryCounts counts() const { return producer_.counts(); }
  kafka::KafkaProducer& producer() { return producer_; }

 private:
  std::string failure() const;  // why deliveries failed, for the error a failed run ends with
  kafka::KafkaProducer producer_;
  std::string topic_;
  Format format_;
  std::string buf_;
};

}  // namespace clickagg::ingest
