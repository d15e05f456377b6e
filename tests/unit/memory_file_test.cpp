// In-memory files for libpq's sslrootcert / sslcert / sslkey: readable by path, with the
// mode libpq demands of a key, gone with the object.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/memory_file.hpp"

namespace pmo {
namespace {

TEST(MemoryFile, IsReadableByItsPathWithTheGivenModeAndGoneAfterwards) {
  std::string path;
  {
    MemoryFile file("test-key", "-----BEGIN PRIVATE KEY-----\nabc\n", 0600);
    path = file.path();
    EXPECT_EQ(path.rfind("/proc/self/fd/", 0), 0u) << path;
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    EXPECT_EQ(content.str(), "-----BEGIN PRIVATE KEY-----\nabc\n");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "libpq refuses a key readable by group or others";
    EXPECT_EQ(st.st_uid, ::geteuid());
  }
  struct stat st {};
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "closed with the object";
}

}  // namespace
}  // namespace pmo
