// Defaults every Kafka client of the project shares, kept apart from kafka_config.h so that
// configuration structs name them without pulling in librdkafka.
#pragma once
#include <chrono>
#include <string_view>

namespace clickagg::kafka {

// The bootstrap servers of a broker on this host, unless configured otherwise.
inline constexpr std::string_view kDefaultBrokers = "127.0.0.1:9092";
// How long no broker may answer before a client gives up with an error (--kafka-timeout).
inline constexpr std::chrono::milliseconds kDefaultTimeout{30'000};

}  // namespace clickagg::kafka
