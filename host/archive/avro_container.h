// The framing of an Avro object container file (Avro 1.11 specification, "Object Container
// Files"): header, then blocks of (record count, byte size, data, sync marker). Read here
// rather than through avro-c's file reader because that one treats a torn or garbled block
// as the end of the file; the archive must tell a truncated file from a complete one. Records
// inside a block are decoded with avro-c (archive_file_reader.h).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace clickagg::archive {

struct ContainerHeader {
  std::string codec = "null";
  std::string schema_json;
  std::array<char, 16> sync{};
  size_t size = 0;  // bytes up to and including the sync marker
};

struct ContainerBlock {
  int64_t count = 0;      // records in the block
  std::string_view data;  // compressed by the file's codec
  size_t end = 0;         // offset just past the block's sync marker
};

// Walks a whole container file held in memory. Throws std::runtime_error (with the reason
// and byte offset, not the file name) on a bad header, a truncated block or a wrong sync.
class ContainerScanner {
 public:
  explicit ContainerScanner(std::string_view bytes);
  const ContainerHeader& header() const { return header_; }
  // The next block; false at a clean end of the file.
  bool next(ContainerBlock& out);

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  ContainerHeader header_;
};

// A block's bytes decoded by `codec` ("null", "deflate" or "snappy"); `scratch` holds the
// result when it had to be decompressed. Throws std::runtime_error on bad data.
std::string_view decompress_block(std::string_view codec, std::string_view data, std::string& scratch);

}  // namespace clickagg::archive
