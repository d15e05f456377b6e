// Deletion of a PhaseMaintenance: give the Deployments back as they were before the
// operator's gate changes, then let the object go.
//
// The schema gate (init container, startup probe and annotation) is removed with the gate
// changes, and EXTERNAL_MIGRATION is given back as it was before the operator set it (else
// Phase's start.sh would never migrate again once the operator is gone).
// Guarantees: the finalizer is removed only in a pass that observed no operator annotation
// on either Deployment (so a restore patch that failed is retried first); Deployments that
// do not exist are not waited for; children (Jobs) go by owner references.
#include "maintenance/migration/deployment_patch.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/migration/internal.hpp"
#include "maintenance/migration/planner.hpp"
#include "maintenance/migration/schema_gate.hpp"

namespace pmo::maintenance {
namespace {

constexpr const char* kResource = "phasemaintenances";

Json finalizers(const Json& pm) {
  const Json f = pm.value("/metadata/finalizers"_json_pointer, Json());
  return f.is_array() ? f : Json();
}

}  // namespace

Plan planFinalize(const Observed& in) {
  using namespace migration;
  Plan plan;
  Ctx ctx(in, plan);
  const auto& spec = in.spec;
  const bool firstPass = ctx.old.value("phase", "") != phaseName(Phase::Deleting);
  ctx.phase(Phase::Deleting);
  if (firstPass && migrationInProgress(ctx.old)) {
    ctx.event("Warning", "MigrationAbandoned",
              "deleted during the move from " + migrationField(ctx.old, "from") + " to " +
                  migrationField(ctx.old, "to") + " (step " + migrationField(ctx.old, "step") +
                  "): Deployments are restored as they were, the migration's Jobs are deleted with this resource");
  }
  auto giveBack = [](const Json& d) {
    return concatOps({releaseOps(d), schemagate::removeGateOps(d), externalMigrationReleaseOps(d)});
  };
  Json b = in.backend ? giveBack(*in.backend) : Json::array();
  Json w = in.worker ? giveBack(*in.worker) : Json::array();
  if (!b.empty() || !w.empty()) {
    ctx.patchDeployment(spec.backend.deployment, b);
    ctx.patchDeployment(spec.worker.deployment, w);
    if (firstPass)
      ctx.event("Normal", "RestoringWorkloads",
                std::string("restoring replicas, unpausing backend and worker, removing init container \"") +
                    schemagate::kGateContainer + "\", the startup probe and the EXTERNAL_MIGRATION the operator set before removing finalizer " +
                    std::string(annotations::kFinalizer));
    plan.requeueNoLaterThan(kRequeuePatch);
    return plan;
  }
  const Json list = finalizers(in.object);
  if (!list.is_array()) return plan;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i] != annotations::kFinalizer) continue;
    Json patch = Json::array({{{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", list}},
                              {{"op", "remove"}, {"path", "/metadata/finalizers/" + std::to_string(i)}}});
    plan.actions.push_back(Action{Action::Kind::JsonPatch, kResource, ctx.name, {}, patch, "", "", ""});
    break;
  }
  return plan;
}

std::optional<Action> ensureFinalizer(const Observed& in) {
  const Json& pm = in.object;
  if (pm.contains("/metadata/deletionTimestamp"_json_pointer)) return std::nullopt;
  const std::string name = pm.value("/metadata/name"_json_pointer, std::string());
  const Json list = finalizers(pm);
  Json patch;
  if (list.is_array()) {
    for (const auto& f : list)
      if (f == annotations::kFinalizer) return std::nullopt;
    patch = Json::array({{{"op", "test"}, {"path", "/metadata/finalizers"}, {"value", list}},
                         {{"op", "add"}, {"path", "/metadata/finalizers/-"}, {"value", annotations::kFinalizer}}});
  } else {
    patch = Json::array({{{"op", "test"},
                          {"path", "/metadata/resourceVersion"},
                          {"value", pm.value("/metadata/resourceVersion"_json_pointer, std::string())}},
                         {{"op", "add"}, {"path", "/metadata/finalizers"}, {"value", Json::array({annotations::kFinalizer})}}});
  }
  return Action{Action::Kind::JsonPatch, kResource, name, {}, patch, "", "", ""};
}

}  // namespace pmo::maintenance
