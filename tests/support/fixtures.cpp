#include "support/fixtures.hpp"

#include <fstream>
#include <stdexcept>

namespace pmo::testing {

nlohmann::json loadFixture(const std::string& file) {
  const std::string path = std::string(PMO_SOURCE_DIR) + "/tests/fixtures/" + file;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("missing fixture " + path);
  return nlohmann::json::parse(in);
}

}  // namespace pmo::testing
