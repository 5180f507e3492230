#include "host/archive/data_file_writer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "host/archive/click_event_schema.h"
#include "host/common/ip.h"

namespace clickagg::archive {

namespace {

// Field positions in click_event.avsc.
enum Field { kAdId, kTime, kUserId, kIp, kCountry, kClickId, kPartition, kOffset };

[[noreturn]] void avro_fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + avro_strerror());
}

void check_field_order() {
  static const bool ok = [] {
    const char* names[] = {"ad_id", "event_time_ms", "user_id", "ip", "country", "click_id", "kafka_partition",
                           "kafka_offset"};
    for (int i = 0; i < 8; ++i)
      if (avro_schema_record_field_get_index(click_event_schema(), names[i]) != i) return false;
    return true;
  }();
  if (!ok) throw std::logic_error("click_event.avsc fields are not in the order data_file_writer.cpp expects");
}

}  // namespace

bool is_supported_codec(const std::string& codec) {
  return codec == "deflate" || codec == "snappy" || codec == "null";
}

DataFileWriter::DataFileWriter(const std::string& path, const std::string& codec, size_t block_bytes)
    : path_(path), block_bytes_(block_bytes) {
  check_field_order();
  if (!is_supported_codec(codec)) throw std::invalid_argument("unsupported Avro codec '" + codec + "'");
  // "x": never overwrite; the recovery has removed whatever the last commit did not cover.
  fp_ = std::fopen(path.c_str(), "wbx");
  if (!fp_) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  // avro-c's buffer holds one block; ours ends blocks at block_bytes, so a record (at most a
  // few KiB) always fits in the room left.
  if (avro_file_writer_create_with_codec_fp(fp_, path.c_str(), 1, click_event_schema(), &writer_, codec.c_str(),
                                            2 * block_bytes_ + 64 * 1024) != 0) {
    // Whether avro-c closed fp_ on this path is not documented: leak it rather than risk a
    // double close; the command ends on this error anyway.
    ::unlink(path.c_str());
    avro_fail("cannot start Avro file", path);
  }
  iface_ = avro_generic_class_from_schema(click_event_schema());
  if (!iface_ || avro_generic_value_new(iface_, &value_) != 0) avro_fail("cannot make Avro value for", path);
}

DataFileWriter::~DataFileWriter() {
  if (value_.self) avro_value_decref(&value_);
  if (iface_) avro_value_iface_decref(iface_);
  if (writer_) avro_file_writer_close(writer_);  // also closes fp_
}

void DataFileWriter::set_string(int field, std::string_view s) {
  avro_value_t f;
  avro_value_get_by_index(&value_, static_cast<size_t>(field), &f, nullptr);
  // avro-c copies the string, NUL included.
  scratch_.assign(s);
  if (avro_value_set_string_len(&f, scratch_.c_str(), scratch_.size() + 1) != 0)
    avro_fail("cannot set field of", path_);
}

void DataFileWriter::append(const Event& e, uint32_t partition, int64_t offset) {
  avro_value_t f;
  set_string(kAdId, e.ad_id);
  avro_value_get_by_index(&value_, kTime, &f, nullptr);
  avro_value_set_long(&f, e.t_ms);
  set_string(kUserId, e.user_id);
  set_string(kIp, format_ip(e.ip));
  set_string(kCountry, e.country.view());
  avro_value_get_by_index(&value_, kClickId, &f, nullptr);
  avro_value_t branch;
  if (e.click_id.empty()) {
    avro_value_set_branch(&f, 0, &branch);
    avro_value_set_null(&branch);
  } else {
    avro_value_set_branch(&f, 1, &branch);
    scratch_.assign(e.click_id);
    avro_value_set_string_len(&branch, scratch_.c_str(), scratch_.size() + 1);
  }
  avro_value_get_by_index(&value_, kPartition, &f, nullptr);
  avro_value_set_int(&f, static_cast<int32_t>(partition));
  avro_value_get_by_index(&value_, kOffset, &f, nullptr);
  avro_value_set_long(&f, offset);

  size_t size = 0;
  avro_value_sizeof(&value_, &size);
  if (avro_file_writer_append_value(writer_, &value_) != 0) avro_fail("cannot append to", path_);
  pending_ += size;
  // End the block here (it goes to the stdio buffer, not yet to the disk) so bytes() stays
  // within one block of the truth and the size cap holds.
  if (pending_ >= block_bytes_) {
    if (avro_file_writer_sync(writer_) != 0) avro_fail("cannot write block to", path_);
    pending_ = 0;
  }
}

uint64_t DataFileWriter::sync() {
  if (avro_file_writer_flush(writer_) != 0) avro_fail("cannot write block to", path_);
  pending_ = 0;
  if (std::fflush(fp_) != 0 || ::fsync(::fileno(fp_)) != 0)
    throw std::runtime_error("cannot sync " + path_ + ": " + std::strerror(errno));
  return bytes();
}

uint64_t DataFileWriter::bytes() const {
  const long pos = std::ftell(fp_);
  if (pos < 0) throw std::runtime_error("cannot tell position in " + path_ + ": " + std::strerror(errno));
  return static_cast<uint64_t>(pos);
}

}  // namespace clickagg::archive
