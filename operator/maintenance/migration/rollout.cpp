// The Deployments after (or without) a migration: bring them to the migrated version and
// report their rollout.
#include "maintenance/migration/deployment_patch.hpp"
#include "maintenance/migration/deployment_state.hpp"
#include "maintenance/image_ref.hpp"
#include "maintenance/migration/internal.hpp"
#include "maintenance/migration/planner.hpp"
#include "maintenance/migration/schema_gate.hpp"

namespace pmo::maintenance::migration {

bool releaseWorkloads(Ctx& ctx, const std::string& version, bool setImages) {
  const auto& spec = ctx.in.spec;
  Json b = Json::array(), w = Json::array();
  if (setImages) {
    b = concatOps({imageOps(ctx.backend(), spec.backend.container, spec.backendImage, version),
                   externalMigrationOps(ctx.backend(), spec.backend.container)});
    w = imageOps(ctx.worker(), spec.worker.container, spec.backendImage, version);
  }
  b = concatOps({b, releaseOps(ctx.backend())});
  w = concatOps({w, releaseOps(ctx.worker())});
  ctx.patchDeployment(spec.backend.deployment, b);
  ctx.patchDeployment(spec.worker.deployment, w);
  return !b.empty() || !w.empty();
}

bool reportRollout(Ctx& ctx, const std::string& version) {
  const auto& spec = ctx.in.spec;
  const Json& b = ctx.backend();
  const Json& w = ctx.worker();
  const std::string workerTag = parseImageRef(containerImage(w, spec.worker.container)).tag;
  if (!spec.managed() && workerTag != version) {
    ctx.condition(conditions::kRolledOut, false, reasons::kVersionMismatch,
                  "Deployment \"" + spec.worker.deployment + "\" runs " + (workerTag.empty() ? "an untagged image" : workerTag) +
                      " while the backend runs " + version + ": give the worker the backend's image");
    return false;
  }
  if (rolloutComplete(b) && rolloutComplete(w)) {
    ctx.condition(conditions::kRolledOut, true, reasons::kRolloutComplete, "backend and worker run " + version);
    return true;
  }
  for (const auto* ref : {&spec.backend, &spec.worker}) {
    const Json& d = ref == &spec.backend ? b : w;
    if (!rolloutStuck(d)) continue;
    ctx.condition(conditions::kRolledOut, false, reasons::kRolloutStuck,
                  "Deployment \"" + ref->deployment + "\" exceeded its progress deadline rolling out " + version +
                      " (" + rolloutSummary(d) + "). See kubectl rollout status -n " + ctx.ns + " deployment/" +
                      ref->deployment + " and kubectl describe -n " + ctx.ns + " deployment/" + ref->deployment,
                  "Warning");
    return false;
  }
  ctx.condition(conditions::kRolledOut, false, reasons::kRollingOut,
                "waiting for the rollout of " + version + ": backend " + rolloutSummary(b) + "; worker " +
                    rolloutSummary(w));
  return false;
}

}  // namespace pmo::maintenance::migration

namespace pmo::maintenance::migration {

void keepSchemaGate(Ctx& ctx) {
  const auto& spec = ctx.in.spec;
  bool added = false, removed = false;
  std::string foreign;  // Deployments whose container has a startupProbe that is not the operator's
  for (const auto* ref : {&spec.backend, &spec.worker}) {
    const Json& observed = ref == &spec.backend ? ctx.backend() : ctx.worker();
    const Json d = ctx.projected(ref->deployment, observed);
    Json ops = Json::array();
    if (spec.migrations.podGate) {
      auto gate = schemagate::ensureGate(d, ref->container, ctx.name, spec.migrations.gate);
      ops = gate.ops;
      added = added || !annotation(observed, schemagate::kGateAnnotation);
      // reported with the pass that writes the gate (its first one, or an image it re-asserts), never at rest
      if (gate.foreignProbe && !ops.empty()) foreign += std::string(foreign.empty() ? "" : ", ") + "\"" + ref->deployment + "\"";
    } else {
      ops = schemagate::removeGateOps(d);
      removed = removed || annotation(observed, schemagate::kGateAnnotation).has_value();
    }
    if (ref == &spec.backend) ops = concatOps({ops, externalMigrationOps(d.patch(ops), ref->container)});
    ctx.patchDeployment(ref->deployment, ops);
  }
  if (added)
    ctx.event("Normal", "SchemaGateAdded",
              std::string("added init container \"") + schemagate::kGateContainer +
                  "\" and a startup probe to Deployments \"" + spec.backend.deployment + "\" and \"" +
                  spec.worker.deployment +
                  "\" (one rollout): a pod starts, and becomes Ready, only when the database has every migration of its image");
  if (!foreign.empty())
    ctx.event("Warning", "SchemaGateProbeSkipped",
              "the named container of Deployment " + foreign +
                  " has its own startupProbe: it is left alone, and the schema gate runs only in init container \"" +
                  schemagate::kGateContainer +
                  "\", which a change of the container's image while the operator is down leaves on the old image. "
                  "Remove that startupProbe to get the gate's probe");
  if (removed)
    ctx.event("Normal", "SchemaGateRemoved",
              std::string("removed init container \"") + schemagate::kGateContainer +
                  "\" and the startup probe from Deployments \"" + spec.backend.deployment + "\" and \"" +
                  spec.worker.deployment + "\" (migrations.podGate: false; one rollout)");
}

}  // namespace pmo::maintenance::migration
