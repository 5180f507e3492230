// A whole input file mapped read-only: decoders return views into it, so records are never
// copied.
#pragma once
#include <string>
#include <string_view>

namespace clickagg {

class MappedFile {
 public:
  // Throws std::runtime_error("cannot read FILE: reason").
  explicit MappedFile(const std::string& path);
  // Standard input: mapped as it is when it is a regular file; a pipe or terminal is first
  // copied to an unlinked temporary file (in $TMPDIR), so memory stays bounded and every
  // format and reject position behaves as for a file.
  static MappedFile standard_input();
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr; o.size_ = 0; }

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile() = default;
  void map(int fd, const std::string& name);  // a regular file, whole; the descriptor stays open
  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace clickagg
