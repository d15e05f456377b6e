#include "maintenance/job_common.hpp"

#include "maintenance/owner.hpp"

namespace pmo::maintenance {

std::string pmName(const Json& pm) { return pm.value("/metadata/name"_json_pointer, std::string()); }
std::string pmNamespace(const Json& pm) {
  return pm.value("/metadata/namespace"_json_pointer, std::string());
}

Json jobObject(const Json& pm, const PhaseMaintenanceSpec& spec, const std::string& name,
               const std::string& component, const std::string& version,
               const std::string& runId, const Json& annotations, const Json& podSpec) {
  const Json labels = childLabels(pmName(pm), component, version);
  Json meta = {{"name", name},
               {"namespace", pmNamespace(pm)},
               {"labels", labels},
               {"ownerReferences", Json::array({controllerReference(pm)})}};
  Json ann = annotations.is_object() ? annotations : Json::object();
  ann[annotations::kMigrationRun] = runId;
  meta["annotations"] = ann;
  return Json{{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", meta},
              {"spec",
               {{"backoffLimit", spec.migrations.backoffLimit},
                {"activeDeadlineSeconds", spec.migrations.activeDeadlineSeconds},
                {"template", {{"metadata", {{"labels", labels}}}, {"spec", podSpec}}}}}};
}

}  // namespace pmo::maintenance
