#include "maintenance/image_ref.hpp"

namespace pmo::maintenance {

ImageRef parseImageRef(const std::string& image) {
  ImageRef ref;
  std::string rest = image;
  if (auto at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
  }
  // A ':' after the last '/' separates the tag; one before it is a registry port.
  const auto slash = rest.rfind('/');
  const auto colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
  }
  ref.repository = rest;
  return ref;
}

std::string normalizeRepository(const std::string& repository) {
  const auto slash = repository.find('/');
  std::string first = slash == std::string::npos ? std::string() : repository.substr(0, slash);
  const bool hasRegistry = slash != std::string::npos &&
                           (first.find('.') != std::string::npos ||
                            first.find(':') != std::string::npos || first == "localhost");
  if (!hasRegistry) {
    std::string path = repository;
    if (path.find('/') == std::string::npos) path = "library/" + path;
    return "docker.io/" + path;
  }
  if (first == "index.docker.io") return "docker.io" + repository.substr(slash);
  if (first == "docker.io" && repository.find('/', slash + 1) == std::string::npos)
    return "docker.io/library" + repository.substr(slash);
  return repository;
}

bool imageMatches(const std::string& image, const std::string& repository, const std::string& tag) {
  const ImageRef ref = parseImageRef(image);
  return ref.tag == tag && normalizeRepository(ref.repository) == normalizeRepository(repository);
}

}  // namespace pmo::maintenance
