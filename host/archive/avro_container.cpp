#include "host/archive/avro_container.h"

#include <snappy-c.h>
#include <zlib.h>

#include <cstring>
#include <stdexcept>

namespace clickagg::archive {

namespace {

[[noreturn]] void corrupt(const std::string& what, size_t at) {
  throw std::runtime_error(what + " at byte " + std::to_string(at));
}

// Avro `long`: zig-zag varint of at most 10 bytes.
int64_t read_long(std::string_view b, size_t& pos) {
  const size_t start = pos;
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos >= b.size()) corrupt("truncated", start);
    const auto byte = static_cast<uint8_t>(b[pos++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  corrupt("bad varint", start);
}

std::string_view read_bytes(std::string_view b, size_t& pos) {
  const size_t start = pos;
  const int64_t n = read_long(b, pos);
  if (n < 0) corrupt("negative length", start);
  if (static_cast<uint64_t>(n) > b.size() - pos) corrupt("truncated", start);
  const std::string_view out = b.substr(pos, static_cast<size_t>(n));
  pos += static_cast<size_t>(n);
  return out;
}

}  // namespace

ContainerScanner::ContainerScanner(std::string_view bytes) : bytes_(bytes) {
  if (bytes_.size() < 4 || std::memcmp(bytes_.data(), "Obj\x01", 4) != 0) corrupt("not an Avro container file", 0);
  pos_ = 4;
  bool has_schema = false;
  // The metadata map: blocks of entries, a negative count followed by the block's byte size.
  for (;;) {
    const size_t at = pos_;
    int64_t n = read_long(bytes_, pos_);
    if (n == 0) break;
    if (n < 0) {
      n = -n;
      read_long(bytes_, pos_);
    }
    if (n > 1'000'000) corrupt("implausible header", at);
    for (int64_t i = 0; i < n; ++i) {
      const std::string_view key = read_bytes(bytes_, pos_);
      const std::string_view value = read_bytes(bytes_, pos_);
      if (key == "avro.codec") header_.codec = std::string(value);
      if (key == "avro.schema") {
        header_.schema_json = std::string(value);
        has_schema = true;
      }
    }
  }
  if (!has_schema) corrupt("header without a schema", pos_);
  if (bytes_.size() - pos_ < header_.sync.size()) corrupt("truncated header", pos_);
  std::memcpy(header_.sync.data(), bytes_.data() + pos_, header_.sync.size());
  pos_ += header_.sync.size();
  header_.size = pos_;
}

bool ContainerScanner::next(ContainerBlock& out) {
  if (pos_ == bytes_.size()) return false;
  const size_t at = pos_;
  out.count = read_long(bytes_, pos_);
  if (out.count < 0) corrupt("negative record count in block", at);
  const int64_t size = read_long(bytes_, pos_);
  if (size < 0) corrupt("negative block size", at);
  if (static_cast<uint64_t>(size) + header_.sync.size() > bytes_.size() - pos_) corrupt("truncated block", at);
  out.data = bytes_.substr(pos_, static_cast<size_t>(size));
  pos_ += static_cast<size_t>(size);
  if (std::memcmp(bytes_.data() + pos_, header_.sync.data(), header_.sync.size()) != 0)
    corrupt("sync marker mismatch after block", at);
  pos_ += header_.sync.size();
  out.end = pos_;
  return true;
}

std::string_view decompress_block(std::string_view codec, std::string_view data, std::string& scratch) {
  if (codec == "null") return data;
  if (codec == "deflate") {
    // Raw deflate (RFC 1951), no zlib header.
    z_stream zs{};
    if (inflateInit2(&zs, -15) != Z_OK) throw std::runtime_error("inflateInit2 failed");
    scratch.resize(std::max<size_t>(data.size() * 4, 4096));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
      if (zs.total_out == scratch.size()) scratch.resize(scratch.size() * 2);
      zs.next_out = reinterpret_cast<Bytef*>(scratch.data() + zs.total_out);
      zs.avail_out = static_cast<uInt>(scratch.size() - zs.total_out);
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END) {
        inflateEnd(&zs);
        throw std::runtime_error("bad deflate data");
      }
      if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
        inflateEnd(&zs);
        throw std::runtime_error("truncated deflate data");
      }
    }
    scratch.resize(zs.total_out);
    inflateEnd(&zs);
    return scratch;
  }
  if (codec == "snappy") {
    // Snappy data, then the CRC-32 of the uncompressed bytes, big-endian.
    if (data.size() < 4) throw std::runtime_error("snappy block too short");
    const std::string_view body = data.substr(0, data.size() - 4);
    size_t n = 0;
    if (snappy_uncompressed_length(body.data(), body.size(), &n) != SNAPPY_OK)
      throw std::runtime_error("bad snappy data");
    scratch.resize(n);
    if (snappy_uncompress(body.data(), body.size(), scratch.data(), &n) != SNAPPY_OK)
      throw std::runtime_error("bad snappy data");
    scratch.resize(n);
    const auto* c = reinterpret_cast<const uint8_t*>(data.data() + body.size());
    const uint32_t want = (uint32_t{c[0]} << 24) | (uint32_t{c[1]} << 16) | (uint32_t{c[2]} << 8) | c[3];
    const auto got = static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(scratch.data()),
                                                 static_cast<uInt>(scratch.size())));
    if (got != want) throw std::runtime_error("snappy block checksum mismatch");
    return scratch;
  }
  throw std::runtime_error("unsupported codec '" + std::string(codec) + "'");
}

}  // namespace clickagg::archive
