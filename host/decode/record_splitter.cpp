#include <cstring>
#include <string>

#include "host/decode/binary_header.h"
#include "host/decode/decode.h"

namespace clickagg {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kSyncBytes = "CK\x01";  // magic + version: where a frame may start

bool looks_binary(std::string_view buf) {
  return buf.size() >= 2 && static_cast<uint8_t>(buf[0]) == binfmt::kMagic0 &&
         static_cast<uint8_t>(buf[1]) == binfmt::kMagic1;
}

}  // namespace

RecordSplitter::RecordSplitter(std::string_view buffer, Format format)
    : buf_(buffer), format_(format) {
  // Auto decides once per buffer; text stays Auto so each line is dispatched on its own.
  if (format_ == Format::Auto && looks_binary(buf_)) format_ = Format::Binary;
  // Editors add a byte-order mark to text files; it belongs to no record.
  if (format_ != Format::Binary && buf_.starts_with(kUtf8Bom)) off_ = kUtf8Bom.size();
}

bool RecordSplitter::next(RecordRef& out) {
  const size_t size = buf_.size();
  if (format_ != Format::Binary) {
    while (off_ < size) {
      const size_t start = off_;
      const auto* nl =
          static_cast<const char*>(std::memchr(buf_.data() + start, '\n', size - start));
      const size_t end = nl ? static_cast<size_t>(nl - buf_.data()) : size;
      off_ = nl ? end + 1 : size;
      ++line_;
      size_t len = end - start;
      if (len > 0 && buf_[end - 1] == '\r') --len;
      if (len == 0) continue;
      out = RecordRef{buf_.substr(start, len), line_, nullptr};
      return true;
    }
    return false;
  }

  if (off_ >= size) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(buf_.data()) + off_;
  binfmt::Header h;
  const DecodeStatus err = binfmt::check_frame(p, size - off_, h);
  if (err == nullptr) {
    out = RecordRef{buf_.substr(off_, h.record_len), off_, nullptr};
    off_ += h.record_len;
    return true;
  }
  // Skip to the next place a frame could start; the bytes in between are one bad record.
  size_t next = buf_.find(kSyncBytes, off_ + 1);
  if (next == std::string_view::npos) next = size;
  out = RecordRef{buf_.substr(off_, next - off_), off_, err};
  off_ = next;
  return true;
}

std::string RecordSplitter::position_label(uint64_t position) const {
  return (format_ == Format::Binary ? "byte " : "line ") + std::to_string(position);
}

}  // namespace clickagg
