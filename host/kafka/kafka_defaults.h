// Defaults every Kafka client of the project shares, kept apart from kafka_config.h so that
// configuration structs name them without pulling in librdkafka.
#pragma once
#include <string_view>

namespace clickagg::kafka {

// The bootstrap servers of a broker on this host, unless configured otherwise.
inline constexpr std::string_view kDefaultBrokers = "127.0.0.1:9092";

}  // namespace clickagg::kafka
