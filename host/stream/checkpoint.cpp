#include "host/stream/checkpoint.h"

#include <cstring>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <vector>

#include "host/common/hash128.h"
#include "host/io/durable_file.h"

namespace clickagg::stream {

namespace {
constexpr uint32_t kMagic = 0x4b434143;  // "CACK"
// Version 2 added the reject counter; version 1 files still load (counter 0). Version 3 drops
// the engine state's length (it runs to the checksum) so the state can be streamed.
constexpr uint32_t kVersion = 3;
constexpr uint64_t kChecksumSeed = 0x636b7074;
template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get(std::string_view& s) {
  T v;
  if (s.size() < sizeof v) throw std::runtime_error("checkpoint: truncated");
  std::memcpy(&v, s.data(), sizeof v);
  s.remove_prefix(sizeof v);
  return v;
}
uint64_t checksum(std::string_view body) { return hash128(body.data(), body.size(), kChecksumSeed).lo; }

// Buffers what the stream writes, hashes it for the trailing checksum and hands it to the file
// a block at a time.
class ChecksummedFileBuf final : public std::streambuf {
 public:
  explicit ChecksummedFileBuf(io::AtomicFile& file) : file_(file), hash_(kChecksumSeed), buf_(1 << 20) {
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  // Flushes and returns the checksum of everything written.
  uint64_t finish() {
    drain();
    return hash_.finish().lo;
  }

 protected:
  int_type overflow(int_type c) override {
    drain();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n > epptr() - pptr()) drain();
    if (n <= epptr() - pptr()) {
      std::memcpy(pptr(), s, static_cast<size_t>(n));
      pbump(static_cast<int>(n));
    } else {  // larger than the whole buffer: straight through
      hash_.add_bytes(s, static_cast<size_t>(n));
      file_.write(std::string_view(s, static_cast<size_t>(n)));
    }
    return n;
  }
  int sync() override {
    drain();
    return 0;
  }

 private:
  void drain() {
    const size_t n = static_cast<size_t>(pptr() - pbase());
    if (n > 0) {
      hash_.add_bytes(pbase(), n);
      file_.write(std::string_view(pbase(), n));
    }
    setp(buf_.data(), buf_.data() + buf_.size());
  }

  io::AtomicFile& file_;
  Hasher128 hash_;
  std::vector<char> buf_;
};
}  // namespace

std::string checkpoint_path(const std::string& dir) { return dir + "/checkpoint.bin"; }

void save_checkpoint(const std::string& dir, const Checkpoint& cp, const std::function<void(std::ostream&)>& write_state) {
  std::string head;
  put(head, kMagic);
  put(head, kVersion);
  put(head, cp.log_generation);
  put(head, cp.out_seq);
  put(head, static_cast<uint32_t>(cp.next_offset.size()));
  for (const auto& [p, off] : cp.next_offset) {
    put(head, p);
    put(head, off);
  }
  put(head, cp.rejected);
  io::AtomicFile file(checkpoint_path(dir));
  ChecksummedFileBuf buf(file);
  std::ostream out(&buf);
  out.exceptions(std::ios::badbit | std::ios::failbit);  // a failed write is thrown, not lost
  out.write(head.data(), static_cast<std::streamsize>(head.size()));
  write_state(out);
  out.flush();
  std::string tail;
  put(tail, buf.finish());
  file.write(tail);
  file.commit();
}

void save_checkpoint(const std::string& dir, const Checkpoint& cp) {
  save_checkpoint(dir, cp, [&](std::ostream& out) {
    out.write(cp.engine_state.data(), static_cast<std::streamsize>(cp.engine_state.size()));
  });
}

std::optional<Checkpoint> load_checkpoint(const std::string& dir) {
  std::string bytes;
  if (!io::read_file(checkpoint_path(dir), bytes)) return std::nullopt;
  if (bytes.size() < 8) throw std::runtime_error("checkpoint: truncated " + checkpoint_path(dir));
  std::string_view body(bytes.data(), bytes.size() - 8);
  uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  if (checksum(body) != sum) throw std::runtime_error("checkpoint: checksum mismatch in " + checkpoint_path(dir));
  const uint32_t magic = get<uint32_t>(body);
  const uint32_t version = get<uint32_t>(body);
  if (magic != kMagic || version < 1 || version > kVersion)
    throw std::runtime_error("checkpoint: not a clickagg checkpoint of a known version: " + checkpoint_path(dir));
  Checkpoint cp;
  cp.log_generation = get<uint64_t>(body);
  cp.out_seq = get<uint64_t>(body);
  const auto n = get<uint32_t>(body);
  for (uint32_t i = 0; i < n; ++i) {
    const auto p = get<uint32_t>(body);
    cp.next_offset[p] = get<int64_t>(body);
  }
  if (version >= 2) cp.rejected = get<uint64_t>(body);
  if (version <= 2) {
    const auto len = get<uint64_t>(body);
    if (body.size() != len) throw std::runtime_error("checkpoint: bad engine state length");
  }
  cp.engine_state.assign(body.data(), body.size());
  return cp;
}

}  // namespace clickagg::stream
