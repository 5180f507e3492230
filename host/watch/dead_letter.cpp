#include "host/watch/dead_letter.h"

#include <sys/stat.h>

#include <algorithm>

namespace clickagg::watch {

namespace {

uint64_t current_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

void append_escaped(std::string& out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += ch;
        } else {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        }
    }
  }
}

void append_dead_letter(std::string& out, std::string_view file, uint64_t offset, std::string_view reason,
                        std::string_view line) {
  append_escaped(out, file);
  out += '\t';
  out += std::to_string(offset);
  out += '\t';
  append_escaped(out, reason);
  out += '\t';
  append_escaped(out, line);
  out += '\n';
}

DeadLetterFile::DeadLetterFile(const std::string& path, std::optional<uint64_t> committed_bytes) : path_(path) {
  const uint64_t now = current_size(path);
  // Never extend: a file shorter than the state says was replaced or cut by someone else,
  // and padding it would write zero bytes into it.
  size_ = committed_bytes ? std::min(*committed_bytes, now) : now;
  file_ = io::DurableAppender(path, size_);
}

uint64_t DeadLetterFile::append(std::string_view entries) {
  if (entries.empty()) return size_;
  file_.append(entries);
  size_ += entries.size();
  return size_;
}

}  // namespace clickagg::watch
