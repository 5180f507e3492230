#include "host/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace clickagg {

namespace {

[[noreturn]] void fail(const std::string& name, int err) {
  throw std::runtime_error("cannot read " + name + ": " + (err ? std::strerror(err) : "not a regular file"));
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// An anonymous file in $TMPDIR (or /tmp) that disappears with its last descriptor.
int anonymous_temp_file() {
  const char* env = std::getenv("TMPDIR");
  const std::string dir = env && *env ? env : "/tmp";
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string templ = dir + "/clickagg-stdin-XXXXXX";  // file systems without O_TMPFILE
  fd = ::mkostemp(templ.data(), O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot spool standard input into " + dir + ": " + std::strerror(errno));
  ::unlink(templ.c_str());
  return fd;
}

}  // namespace

MappedFile::MappedFile(const std::string& path) {
  const Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail(path, errno);
  map(f.fd, path);
}

void MappedFile::map(int fd, const std::string& name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(name, errno);
  if (!S_ISREG(st.st_mode)) fail(name, 0);
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data_ == MAP_FAILED) {
      data_ = nullptr;
      fail(name, errno);
    }
    ::madvise(data_, size_, MADV_SEQUENTIAL);
  }
}

MappedFile MappedFile::standard_input() {
  struct stat st {};
  if (::fstat(STDIN_FILENO, &st) != 0) fail("standard input", errno);
  MappedFile m;
  // A regular file read from its start is mapped as it is; one already read in part (the
  // shell consumed a header, say) is copied from where it stands, like a pipe.
  if (S_ISREG(st.st_mode) && ::lseek(STDIN_FILENO, 0, SEEK_CUR) == 0) {
    m.map(STDIN_FILENO, "standard input");
    return m;
  }
  const Fd spool{anonymous_temp_file()};
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("standard input", errno);
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(spool.fd, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) throw std::runtime_error(std::string("cannot spool standard input: ") + std::strerror(errno));
      done += w;
    }
  }
  m.map(spool.fd, "standard input");
  return m;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(data_, size_);
}

}  // namespace clickagg
