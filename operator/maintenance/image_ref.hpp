#pragma once
// Container image references ("docker.io/phasehq/backend:v2.73.2",
// "phasehq/backend:v2.73.2@sha256:...", "registry:5000/phase/backend").
#include <string>

namespace pmo::maintenance {

struct ImageRef {
  std::string repository;  // as written, without tag and digest
  std::string tag;         // empty when the reference has none
  std::string digest;      // "sha256:..." or empty
};

ImageRef parseImageRef(const std::string& image);

// The repository as the container runtime resolves it, so the chart's "phasehq/backend"
// and the spec's default "docker.io/phasehq/backend" are the same image:
// a first component without '.', ':' or "localhost" means Docker Hub ("docker.io/"),
// and a single-component Docker Hub name gets "library/". "index.docker.io" is "docker.io".
std::string normalizeRepository(const std::string& repository);

// True when `image` runs `repository`:`tag` (digest ignored, repositories normalized).
bool imageMatches(const std::string& image, const std::string& repository, const std::string& tag);

}  // namespace pmo::maintenance
