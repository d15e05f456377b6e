#pragma once
// A file that exists only in this process's memory (Linux memfd), reachable by a path
// (/proc/self/fd/N) for a library that wants a file name: libpq's sslrootcert, sslcert and
// sslkey. The operator runs on a read-only root filesystem and keeps TLS keys off disk.
//
// Guarantees: the content never touches a filesystem; the file has the given mode (libpq
// refuses a key readable by others); it is gone when the object is destroyed; the path is
// valid in this process only (not in a child after exec: close-on-exec).
#include <string>

namespace pmo {

class MemoryFile {
 public:
  // Throws std::runtime_error naming `name` (never the content) when the file cannot be made.
  MemoryFile(const std::string& name, const std::string& content, unsigned mode = 0600);
  ~MemoryFile();
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace pmo
