#pragma once
// The objects Phase's Helm chart (phasehq/kubernetes-secrets-operator, phase-console/)
// renders for a release named `phase-console` with its default values and both HPAs on,
// written by hand from the chart's templates: tests/fixtures/phase-chart/*.json (see the
// README there). Tests install them as Helm would and change them as `helm upgrade` would.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::testing::phase_chart {

inline constexpr const char* kRelease = "phase-console";
inline constexpr const char* kBackend = "phase-console-backend";  // <fullname>-backend
inline constexpr const char* kWorker = "phase-console-worker";
inline constexpr const char* kHookJob = "phase-console-migrations";
inline constexpr const char* kSecret = "phase-console-secret";  // the chart's `phaseSecrets` default
inline constexpr const char* kRepository = "docker.io/phasehq/backend";
inline constexpr const char* kVersion = "v2.73.2";  // the `global.version` the fixtures carry

// The fixture's object (e.g. "backend-deployment") in namespace `ns`. Throws when missing.
nlohmann::json object(const std::string& name, const std::string& ns);
// Every object of the release but the hook Job, in the order Helm installs kinds.
std::vector<nlohmann::json> release(const std::string& ns);
// The collection URL of an object: /api/v1/namespaces/ns/services, /apis/apps/v1/...
std::string collection(const nlohmann::json& object);
// What `helm upgrade --set global.version=V` (and images.backend.repository=R) changes in
// a backend or worker Deployment, or in the hook Job: the Phase container's image.
void setVersion(nlohmann::json& object, const std::string& version, const std::string& repository = kRepository);

}  // namespace pmo::testing::phase_chart
