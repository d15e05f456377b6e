#include "maintenance/spec/image_policy.hpp"

#include <cctype>

#include "maintenance/image_ref.hpp"

namespace pmo::maintenance {
namespace {

// "docker.io/library/postgres:15@sha256:..." : the reference as the runtime resolves it.
std::string canonical(const std::string& image) {
  const ImageRef ref = parseImageRef(image);
  std::string out = normalizeRepository(ref.repository);
  if (!ref.tag.empty()) out += ":" + ref.tag;
  if (!ref.digest.empty()) out += "@" + ref.digest;
  return out;
}

// A prefix ending with '/': a registry ("ghcr.io/", "registry:5000/", "localhost/") stays as
// written; a path is resolved as the repositories below it would be ("phasehq/" is
// "docker.io/phasehq/").
std::string canonicalNamespace(const std::string& prefix) {
  const std::string path = prefix.substr(0, prefix.size() - 1);
  const bool registry = path.find('/') == std::string::npos &&
                        (path.find('.') != std::string::npos || path.find(':') != std::string::npos ||
                         path == "localhost");
  if (registry) return prefix == "index.docker.io/" ? "docker.io/" : prefix;
  const std::string probe = normalizeRepository(path + "/x");
  return probe.substr(0, probe.size() - 1);
}

bool admits(const std::string& prefix, const std::string& image) {
  if (prefix.empty()) return false;
  const std::string resolved = canonical(image);
  if (prefix.back() == '/') return resolved.rfind(canonicalNamespace(prefix), 0) == 0;
  const std::string p = canonical(prefix);
  if (resolved.rfind(p, 0) != 0) return false;
  if (resolved.size() == p.size()) return true;
  const char next = resolved[p.size()];
  return next == '@' || (next == ':' && p.find(':', p.rfind('/') + 1) == std::string::npos);
}

std::string listed(const std::vector<std::string>& prefixes) {
  std::string out;
  for (std::size_t i = 0; i < prefixes.size(); ++i) out += (i ? ", " : "") + prefixes[i];
  return out;
}

}  // namespace

bool ImagePolicy::allows(const std::string& image) const {
  if (allowedPrefixes.empty()) return true;
  for (const auto& p : allowedPrefixes)
    if (admits(p, image)) return true;
  return false;
}

std::string invalidImagePrefix(const std::string& prefix) {
  if (prefix.empty()) return "an allowed image prefix is empty";
  for (const char c : prefix)
    if (std::isspace(static_cast<unsigned char>(c))) return "allowed image prefix \"" + prefix + "\" contains whitespace";
  return "";
}

std::vector<FieldError> checkImagePolicy(const PhaseMaintenanceSpec& spec, const ImagePolicy& policy) {
  std::vector<FieldError> errors;
  if (policy.empty()) return errors;
  auto check = [&](const std::string& field, const std::string& image, const std::string& what) {
    if (policy.allows(image)) return;
    errors.push_back({field, image,
                      "not an image this operator may run (" + what +
                          "): the cluster admin allows only images under " + listed(policy.allowedPrefixes) +
                          " (run --allowed-images); use an image from one of them, or ask the admin to allow it"});
  };
  const std::string backend = spec.managed() ? spec.backendImage + ":" + spec.version : spec.backendImage;
  check("spec.backendImage", backend, "the migration Job runs it with the backend's service account and secrets");
  if (!spec.operatorImage.empty())
    check("spec.operatorImage", spec.operatorImage, "the purge and vacuum CronJobs run it with the database password");
  if (spec.migrations.backup.enabled)
    check("spec.migrations.backup.image", spec.migrations.backup.image,
          "the backup Job runs it with the database password");
  return errors;
}

}  // namespace pmo::maintenance
