// The frames of the acknowledged channel, shared by both ends (see acked_channel.h):
// aggregator -> sink ["MSG", <Envelope>] or ["HELLO", <producer>]; sink -> aggregator
// ["ACK", <Ack>]. On the sink's ROUTER every message is preceded by the peer's routing id.
#pragma once
#include <cstdint>
#include <vector>

#include <zmq.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace clickagg::emit {

inline constexpr std::string_view kMsgFrame = "MSG";
inline constexpr std::string_view kHelloFrame = "HELLO";
inline constexpr std::string_view kAckFrame = "ACK";

struct Ack {
  std::string producer;
  uint64_t seq = 0;  // everything up to and including seq is committed
};

std::string encode_ack(const Ack& ack);
std::optional<Ack> decode_ack(std::string_view bytes);

// One whole multipart message without waiting; false when none is ready or a signal came
// (the caller checks its stop request).
bool recv_frames(zmq::socket_t& s, std::vector<zmq::message_t>& frames);

}  // namespace clickagg::emit
