// One archive data file being written: an Avro object container file of ClickEvent records
// (avro-c's file writer), with explicit block boundaries so the archiver knows, after every
// sync, a length at which the file is a complete, readable container.
#pragma once
#include <avro.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "host/common/event.h"

namespace clickagg::archive {

// Codecs Debian's libavro is built with that other Avro implementations read too ("lzma"
// is avro-c's own name for what the specification calls "xz", so it is left out).
bool is_supported_codec(const std::string& codec);

class DataFileWriter {
 public:
  // Creates `path`, which must not exist. `block_bytes`: uncompressed bytes per Avro block
  // at most (a sync always ends the current block early).
  DataFileWriter(const std::string& path, const std::string& codec, size_t block_bytes);
  // Closes without syncing: what was not synced is redone after a restart anyway.
  ~DataFileWriter();
  DataFileWriter(const DataFileWriter&) = delete;
  DataFileWriter& operator=(const DataFileWriter&) = delete;

  void append(const Event& e, uint32_t partition, int64_t offset);
  // Ends the current block and makes the file durable (fsync); returns its length, at which
  // the file is a complete container.
  uint64_t sync();
  // Bytes in the file once what is buffered is written (the open block not included).
  uint64_t bytes() const;
  const std::string& path() const { return path_; }

 private:
  void set_string(int field, std::string_view s);

  std::string path_;
  FILE* fp_ = nullptr;  // owned by writer_ once it exists
  avro_file_writer_t writer_ = nullptr;
  avro_value_iface_t* iface_ = nullptr;
  avro_value_t value_{};
  size_t block_bytes_;
  size_t pending_ = 0;  // encoded bytes in the open block
  std::string scratch_;
};

}  // namespace clickagg::archive
