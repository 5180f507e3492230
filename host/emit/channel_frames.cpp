#include "host/emit/channel_frames.h"

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

}  // namespace clickagg::emit
