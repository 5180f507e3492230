#include "host/emit/channel_frames.h"

#include <cerrno>

#include <limits>

#include "clickagg_results.pb.h"

namespace clickagg::emit {

std::string encode_ack(const Ack& ack) {
  clickagg::wire::v1::Ack out;
  out.set_producer(ack.producer);
  out.set_seq(ack.seq);
  return out.SerializeAsString();
}

std::optional<Ack> decode_ack(std::string_view bytes) {
  clickagg::wire::v1::Ack in;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return std::nullopt;
  return Ack{in.producer(), in.seq()};
}

bool recv_frames(zmq::socket_t& s, std::vector<zmq::message_t>& frames) {
  frames.clear();
  zmq::message_t msg;
  try {
    if (!s.recv(msg, zmq::recv_flags::dontwait)) return false;
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
  bool more = msg.more();
  frames.push_back(std::move(msg));
  while (more) {
    zmq::message_t part;
    (void)s.recv(part, zmq::recv_flags::none);  // the rest of a multipart is already here
    more = part.more();
    frames.push_back(std::move(part));
  }
  return true;
}

}  // namespace clickagg::emit
