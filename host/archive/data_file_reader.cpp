#include "host/archive/data_file_reader.h"

#include <avro.h>

#include <fstream>
#include <stdexcept>

#include "host/archive/avro_container.h"
#include "host/common/country.h"
#include "host/common/ip.h"

namespace clickagg::archive {

namespace {

[[noreturn]] void bad(const std::string& what) { throw CorruptData(what); }

// Owners of avro-c objects, released in reverse order of creation.
struct AvroDecoder {
  avro_schema_t schema = nullptr;
  avro_value_iface_t* iface = nullptr;
  avro_value_t value{};
  bool has_value = false;
  avro_reader_t reader = nullptr;
  int ad_id = -1, t_ms = -1, user_id = -1, ip = -1, country = -1, click_id = -1, partition = -1, offset = -1;

  explicit AvroDecoder(const std::string& schema_json) {
    if (avro_schema_from_json_length(schema_json.data(), schema_json.size(), &schema) != 0)
      bad(std::string("bad schema in header: ") + avro_strerror());
    if (!is_avro_record(schema)) bad("schema is not a record");
    auto field = [&](const char* name) {
      const int i = avro_schema_record_field_get_index(schema, name);
      if (i < 0) bad(std::string("schema has no field ") + name);
      return i;
    };
    ad_id = field("ad_id");
    t_ms = field("event_time_ms");
    user_id = field("user_id");
    ip = field("ip");
    country = field("country");
    click_id = field("click_id");
    partition = field("kafka_partition");
    offset = field("kafka_offset");
    iface = avro_generic_class_from_schema(schema);
    if (!iface || avro_generic_value_new(iface, &value) != 0) bad(std::string("avro: ") + avro_strerror());
    has_value = true;
    reader = avro_reader_memory(nullptr, 0);
  }
  ~AvroDecoder() {
    if (reader) avro_reader_free(reader);
    if (has_value) avro_value_decref(&value);
    if (iface) avro_value_iface_decref(iface);
    if (schema) avro_schema_decref(schema);
  }
  AvroDecoder(const AvroDecoder&) = delete;
  AvroDecoder& operator=(const AvroDecoder&) = delete;

  avro_value_t get(int index) {
    avro_value_t f;
    if (avro_value_get_by_index(&value, static_cast<size_t>(index), &f, nullptr) != 0) bad("missing field");
    return f;
  }
  // avro-c string sizes count the terminating NUL.
  static std::string_view str(avro_value_t f, const char* name) {
    const char* s = nullptr;
    size_t n = 0;
    if (avro_value_get_string(&f, &s, &n) != 0 || n == 0) bad(std::string(name) + " is not a string");
    return {s, n - 1};
  }
  int64_t i64(int index, const char* name) {
    avro_value_t f = get(index);
    int64_t v = 0;
    if (avro_value_get_long(&f, &v) != 0) bad(std::string(name) + " is not a long");
    return v;
  }

  void to_event(ArchivedEvent& out) {
    Event& e = out.event;
    e.ad_id = str(get(ad_id), "ad_id");
    if (e.ad_id.empty() || e.ad_id.size() > kMaxAdIdLen) bad("bad ad_id");
    e.t_ms = i64(t_ms, "event_time_ms");
    e.user_id = str(get(user_id), "user_id");
    const std::string_view ip_text = str(get(ip), "ip");
    if (!parse_ip(ip_text, e.ip)) bad("bad ip '" + std::string(ip_text) + "'");
    const std::string_view cc = str(get(country), "country");
    if (cc.empty() || cc.size() > kMaxCountryLen) bad("bad country");
    e.country = Country{};
    for (size_t i = 0; i < cc.size(); ++i) e.country.code[i] = cc[i];
    e.country.len = static_cast<uint8_t>(cc.size());
    avro_value_t u = get(click_id);
    avro_value_t branch;
    if (avro_value_get_current_branch(&u, &branch) != 0) bad("click_id is not a union");
    e.click_id = avro_value_get_type(&branch) == AVRO_NULL ? std::string_view{} : str(branch, "click_id");
    avro_value_t p = get(partition);
    int32_t part = 0;
    if (avro_value_get_int(&p, &part) != 0 || part < 0) bad("bad kafka_partition");
    const int64_t off = i64(offset, "kafka_offset");
    if (off < 0) bad("bad kafka_offset");
    out.partition = static_cast<uint32_t>(part);
    out.offset = static_cast<uint64_t>(off);
    e.position = out.offset;
  }
};

}  // namespace

void decode_data_file(std::string_view bytes, const EventFn& fn) {
  // The scanner reports bad framing as std::runtime_error; here it becomes CorruptData.
  auto framing = [](auto&& step) {
    try {
      return step();
    } catch (const CorruptData&) {
      throw;
    } catch (const std::exception& e) {
      bad(e.what());
    }
  };
  ContainerScanner scan = framing([&] { return ContainerScanner(bytes); });
  AvroDecoder dec(scan.header().schema_json);
  const std::string codec = scan.header().codec;
  std::string scratch;
  ContainerBlock block;
  ArchivedEvent ev{};
  size_t block_start = scan.header().size;
  while (framing([&] { return scan.next(block); })) {
    std::string_view data;
    try {
      data = decompress_block(codec, block.data, scratch);
    } catch (const std::exception& e) {
      bad(std::string(e.what()) + " in block at byte " + std::to_string(block_start));
    }
    avro_reader_memory_set_source(dec.reader, data.data(), static_cast<int64_t>(data.size()));
    for (int64_t i = 0; i < block.count; ++i) {
      if (avro_value_read(dec.reader, &dec.value) != 0)
        bad("bad record in block at byte " + std::to_string(block_start) + ": " + avro_strerror());
      try {
        dec.to_event(ev);
      } catch (const CorruptData& e) {
        bad(std::string(e.what()) + " in block at byte " + std::to_string(block_start));
      }
      fn(ev);
    }
    // avro_reader_is_eof does not work on memory readers: a block with bytes left over
    // after its records still has a byte to read.
    char extra;
    if (avro_read(dec.reader, &extra, 1) == 0)
      bad("block at byte " + std::to_string(block_start) + " holds more than its " + std::to_string(block.count) +
          " records");
    block_start = block.end;
  }
}

void read_data_file(const std::string& path, uint64_t length, const EventFn& fn) {
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read archive file " + path);
    in.seekg(0, std::ios::end);
    const auto size = static_cast<uint64_t>(in.tellg());
    if (length != UINT64_MAX && size < length)
      throw std::runtime_error("archive file " + path + " is shorter (" + std::to_string(size) +
                               " bytes) than its committed length " + std::to_string(length));
    bytes.resize(static_cast<size_t>(length == UINT64_MAX ? size : length));
    in.seekg(0);
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
      throw std::runtime_error("cannot read archive file " + path);
  }
  try {
    decode_data_file(bytes, fn);
  } catch (const CorruptData& e) {
    throw std::runtime_error("corrupt archive file " + path + ": " + e.what());
  }
}

}  // namespace clickagg::archive
