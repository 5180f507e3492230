#include "host/ingest/kafka_record_sink.h"

#include <stdexcept>
#include <utility>

#include "host/gen/record_writer.h"

namespace clickagg::ingest {

KafkaRecordSink::KafkaRecordSink(const kafka::ProducerOptions& options, std::string topic, Format format)
    : producer_(options), topic_(std::move(topic)), format_(format) {
  if (format_ != Format::Log && format_ != Format::Json && format_ != Format::Binary) {
    throw std::invalid_argument("records are sent to kafka as log, json or binary");
  }
  if (topic_.empty()) throw std::invalid_argument("kafka topic is empty");
}

void KafkaRecordSink::write(const gen::GenEvent& ev) {
  buf_.clear();
  gen::append_record(format_, ev, buf_);
  std::string_view value(buf_);
  // A message is one record, so the line terminator of the text formats is framing the
  // message already provides.
  if (format_ != Format::Binary && !value.empty() && value.back() == '\n') value.remove_suffix(1);
  producer_.produce(topic_, ev.ad_id, value);
}

uint64_t KafkaRecordSink::write(gen::Generator& gen, uint64_t max_records) {
  // A failed delivery ends the run at once: going on would only fail every later record too.
  if (producer_.counts().failed > 0) throw std::runtime_error(failure());
  uint64_t n = 0;
  for (; n < max_records && !gen.done(); ++n) write(gen.next());
  return n;
}

std::string KafkaRecordSink::failure() const {
  const std::string first = producer_.first_failure();
  std::string what = "kafka topic '" + topic_ + "': ";
  if (first.starts_with("_MSG_TIMED_OUT"))
    what += "no broker acknowledged a message within the delivery timeout (--kafka-timeout); ";
  return what + std::to_string(producer_.counts().failed) + " messages failed; first: " + first;
}

void KafkaRecordSink::write(std::string_view key, std::string_view value) {
  producer_.produce(topic_, key, value);
}

void KafkaRecordSink::finish(std::chrono::milliseconds timeout) {
  std::string why;
  if (!producer_.flush(timeout, &why))
    throw std::runtime_error(producer_.counts().failed > 0 ? failure() : "kafka topic '" + topic_ + "': " + why);
}

}  // namespace clickagg::ingest
