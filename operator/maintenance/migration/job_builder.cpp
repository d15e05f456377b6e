#include "maintenance/migration/job_builder.hpp"

#include "maintenance/job_common.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/names.hpp"
#include "maintenance/migration/pod_template.hpp"

namespace pmo::maintenance {

std::optional<Json> buildMigrationJob(const Json& pm, const PhaseMaintenanceSpec& spec,
                                      const Json& backend, const std::string& version,
                                      const std::string& image, const std::string& runId) {
  auto container = derivedContainer(backend, spec.backend.container);
  if (!container) return std::nullopt;
  Json& c = *container;
  c["name"] = "migrate";
  c["image"] = image;
  c["command"] = Json::array({"python", "manage.py", "migrate"});
  c["terminationMessagePolicy"] = "FallbackToLogsOnError";

  Json pod = derivedPodSpec(backend);
  pod["containers"] = Json::array({c});

  const std::string name = migrationJobName(pmName(pm), version);
  return jobObject(pm, spec, name, labels::kComponentMigration, version, runId, Json::object(), pod);
}

}  // namespace pmo::maintenance
