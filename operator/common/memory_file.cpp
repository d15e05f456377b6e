#include "common/memory_file.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pmo {

MemoryFile::MemoryFile(const std::string& name, const std::string& content, unsigned mode) {
  fd_ = ::memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("cannot create the in-memory file " + name + ": " + std::strerror(errno));
  std::size_t written = 0;
  bool ok = ::fchmod(fd_, mode) == 0;
  while (ok && written < content.size()) {
    const ssize_t n = ::write(fd_, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  if (!ok) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error("cannot write the in-memory file " + name + ": " + std::strerror(err));
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemoryFile::~MemoryFile() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace pmo
