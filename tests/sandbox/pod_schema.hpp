#pragma once
// The database schema of each namespace's Phase, as the simulated cluster sees it, and the
// pod gate that waits for it (the `wait-for-schema` init container the operator puts on the
// backend and worker pod templates).
//
// Guarantees (all guarded by the store lock):
// - A namespace's schema version only moves forward: a migration Job (a container running
//   `manage.py migrate`, not `--check`) that succeeds raises it to its image's version, and
//   Controls::setSchemaVersion sets it outright (an install that already ran migrations).
// - Every change is recorded with the store's resourceVersion at that moment, so a watcher
//   can ask which version the schema had when a pod event happened (schemaVersionAt).
// - An image's version is what the registry would resolve it to (Controls::setImageVersion,
//   e.g. `...:latest` -> v2.74.0), else its tag (a digest stays a digest).
// - A pod whose template has the gate passes it only when the schema is at or beyond its
//   version (versions compare as vMAJOR.MINOR.PATCH numbers; other strings only equal
//   themselves); until then it stays in Init, not Ready, with the gate's line in its log.
//   The gate's version is that of the init container's OWN image (which the operator copies
//   from the main container, and which a `helm upgrade` with the operator down leaves stale).
// - Schema ahead: a namespace whose schema is NEWER than that version (an older tag set by
//   Helm, a downgrade) holds the pod the same way, with "the database is ahead of this image"
//   in its log, unless the gate's mode (kSchemaGateModeEnv in the init container's env; for
//   the probe, its script's own `PMO_SCHEMA_GATE_MODE=<mode>` line, else the container's env)
//   is "HoldRollout": then the pod starts and the log has the warning. Unset or anything else
//   refuses, as the operator's script does.
// - Then, as the kubelet runs a startup probe: a container whose startupProbe execs the
//   gate's check (`manage.py migrate --check`) runs but is not started and not Ready until
//   the schema is at or beyond the version of THAT container's image; readiness follows
//   after the Deployment behaviour's readyAfter. Not modelled: the kubelet's restart of the
//   container after failureThreshold failures (the simulated probe simply keeps failing).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

inline constexpr const char* kSchemaGateContainer = "wait-for-schema";
inline constexpr const char* kSchemaGateModeEnv = "PMO_SCHEMA_GATE_MODE";

class SchemaModel {
 public:
  // "" while no migration has run in the namespace.
  std::string version(const std::string& ns) const;
  std::string versionAt(const std::string& ns, uint64_t rv) const;
  // Raises (or, with force, sets) the namespace's version at resourceVersion rv; true when it changed.
  bool advance(const std::string& ns, const std::string& version, uint64_t rv, bool force = false);

  void setImageVersion(const std::string& image, const std::string& version) { images_[image] = version; }
  // An image's version now; a digest reference (`repo@sha256:...`) that resolvedImageId made
  // keeps the version it was resolved to.
  std::string imageVersion(const std::string& image) const;
  // What the kubelet would record as the container's imageID: `repo@sha256:<digest>` of the
  // version the image resolves to now (so a moved tag gives another digest).
  std::string resolvedImageId(const std::string& image);

 private:
  std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> history_;  // ns -> (rv, version)
  std::map<std::string, std::string> images_;  // image (or digest reference) -> version
};

// <0, 0, >0 as a is older than, the same as, newer than b; nullopt when they cannot be compared.
std::optional<int> compareVersions(const std::string& a, const std::string& b);
// The tag (or digest) of an image reference; "" without one.
std::string imageTag(const std::string& image);
// The image a Job's migration container runs, when the Job runs `manage.py migrate` (not --check).
std::optional<std::string> migrationImage(const nlohmann::json& job);
// The gate init container of a pod spec, or nullptr.
const nlohmann::json* schemaGate(const nlohmann::json& podSpec);
// The first container of a pod spec whose startupProbe execs the gate's check
// (`manage.py migrate --check`), or nullptr.
const nlohmann::json* schemaProbeContainer(const nlohmann::json& podSpec);

// The gate's mode as the check in `container` (the init container, or the probed one) sees it;
// "" when unset.
std::string schemaGateMode(const nlohmann::json& container);
// What the check in `container` decides for an image of version `image` on schema `schema`:
// whether the pod may go on, and the line the init container logs ("" for none).
struct SchemaGateVerdict {
  bool passes = false;
  std::string line;
};
SchemaGateVerdict schemaGateVerdict(const std::string& schema, const std::string& image, const nlohmann::json& container);

}  // namespace pmo::sandbox
