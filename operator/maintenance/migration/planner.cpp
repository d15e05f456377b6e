// planMigration: references, target and current version, then one of: at rest, downgrade
// refused, start a move, continue the move in progress (maintenance/migration/steps.cpp).
#include "maintenance/migration/planner.hpp"

#include "maintenance/migration/deployment_patch.hpp"
#include "maintenance/migration/deployment_state.hpp"
#include "maintenance/image_ref.hpp"
#include "maintenance/labels.hpp"
#include "maintenance/migration/internal.hpp"

namespace pmo::maintenance {
namespace {

using namespace migration;

const char* kEventWarning = "Warning";
const char* kEventNormal = "Normal";

// Migrated=False naming the broken reference; requeue without hot-looping.
void blocked(Ctx& ctx, const std::string& reason, const std::string& message) {
  ctx.condition(conditions::kMigrated, false, reason, message, kEventWarning);
  ctx.phase(migrationInProgress(ctx.status()) ? phaseForStep(migrationStep(ctx.status()).value_or(Step::Pending)) : Phase::Pending);
  ctx.plan.requeueNoLaterThan(kRequeueBlocked);
}

bool checkWorkload(Ctx& ctx, const std::optional<Json>& deployment, const WorkloadRef& ref,
                   const std::string& field) {
  if (!deployment) {
    blocked(ctx, reasons::kDeploymentNotFound,
            "Deployment \"" + ref.deployment + "\" (" + field + ".deployment) was not found in namespace \"" +
                ctx.ns + "\": install Phase first, or set " + field + ".deployment to the name of its Deployment");
    return false;
  }
  if (!containerIndex(*deployment, ref.container)) {
    std::string names;
    for (const auto& c : deployment->value("/spec/template/spec/containers"_json_pointer, Json::array()))
      names += (names.empty() ? "" : ", ") + c.value("name", std::string());
    blocked(ctx, reasons::kContainerNotFound,
            "Deployment \"" + ref.deployment + "\" has no container \"" + ref.container + "\" (" + field +
                ".container); its containers are: " + (names.empty() ? "none" : names) + ". Set " + field +
                ".container to the Phase container");
    return false;
  }
  return true;
}

struct Versions {
  std::string target;  // T, as the image tag to use
  std::string current; // C
  std::optional<Version> t, c;
  bool adopted = false;
};

// T from spec.version (Managed) or the backend container's tag (Follow); C from
// status.currentVersion, adopted from the backend's tag on first sight.
std::optional<Versions> resolveVersions(Ctx& ctx) {
  const auto& spec = ctx.in.spec;
  const std::string image = containerImage(ctx.backend(), spec.backend.container);
  const std::string runningTag = parseImageRef(image).tag;
  Versions v;
  if (spec.managed()) {
    v.target = spec.version;
  } else if (runningTag.empty()) {
    blocked(ctx, reasons::kImageTagUnknown,
            "the image \"" + image + "\" of container \"" + spec.backend.container + "\" in Deployment \"" +
                spec.backend.deployment + "\" has no tag: Follow mode (spec.version empty) reads the Phase "
                "version from it. Use a version tag (" + spec.backendImage + ":v2.73.2) or set spec.version");
    return std::nullopt;
  } else {
    v.target = runningTag;
  }
  std::string error;
  v.t = parseVersion(v.target, &error);
  if (!v.t) {
    blocked(ctx, reasons::kInvalidVersion,
            spec.managed() ? "spec.version: " + error
                           : "the image tag of Deployment \"" + spec.backend.deployment + "\" (container \"" +
                                 spec.backend.container + "\"): " + error +
                                 ". Set spec.version to manage the version explicitly");
    return std::nullopt;
  }
  v.current = ctx.status().value("currentVersion", "");
  if (v.current.empty()) {
    v.current = runningTag.empty() ? "unknown" : runningTag;
    v.adopted = true;
  }
  v.c = parseVersion(v.current);
  return v;
}

void reportMutability(Ctx& ctx, const Versions& v) {
  if (v.t->mutableTag()) {
    ctx.condition(conditions::kMutableVersion, true, reasons::kMutableTag,
                  "version \"" + v.target + "\" is a mutable tag: the image behind it can change without a "
                  "version change, so migrations cannot be tracked per version and downgrades cannot be "
                  "detected. Pin a version such as v2.73.2", kEventWarning);
  } else if (!v.c || v.c->mutableTag()) {
    ctx.condition(conditions::kMutableVersion, true, reasons::kUnorderedVersion,
                  "the current version \"" + v.current + "\" is not a numbered Phase version: whether \"" +
                  v.target + "\" is an upgrade or a downgrade cannot be told; the migration runs without "
                  "the downgrade check", kEventWarning);
  } else {
    ctx.condition(conditions::kMutableVersion, false, reasons::kVersionPinned,
                  "versions are pinned tags");
  }
}

// Managed mode, at rest: another client (Helm's global.version, a GitOps sync) set an image
// against spec.version. The first time (per image and spec.version) it is set back, and
// status.versionDrift remembers it; the same image set again is a fight the operator stops:
// Conflict=True naming the manager and the fix, and the image is left alone (pods of it wait
// in the schema gate). Returns true while in conflict.
bool imageConflict(Ctx& ctx, const Versions& v) {
  const auto& spec = ctx.in.spec;
  Json& status = ctx.status();
  const Json record = status.value("versionDrift", Json::object());
  if (record.value("version", "") != v.target) status.erase("versionDrift");
  const WorkloadRef* drifted = nullptr;
  for (const auto* ref : {&spec.backend, &spec.worker}) {
    const Json& d = ref == &spec.backend ? ctx.backend() : ctx.worker();
    if (!drifted && !imageOps(d, ref->container, spec.backendImage, v.target).empty()) drifted = ref;
  }
  const auto before = getCondition(ctx.old, conditions::kConflict);
  if (!drifted) {
    if (before && before->status == "True")
      ctx.condition(conditions::kConflict, false, reasons::kConflictResolved,
                    "backend and worker run " + spec.backendImage + ":" + v.target + " (spec.version)", kEventNormal);
    return false;
  }
  const Json& d = drifted == &spec.backend ? ctx.backend() : ctx.worker();
  const std::string image = containerImage(d, drifted->container);
  if (status.contains("versionDrift") && status["versionDrift"].value("image", "") == image) {
    ctx.condition(conditions::kConflict, true, reasons::kImageSetByAnotherManager,
                  "Deployment \"" + drifted->deployment + "\" was set to " + image + " by " +
                      lastWriterOf(d, "template", labels::kManagedByValue) + " again after the operator set it back to " +
                      spec.backendImage + ":" + v.target + " (spec.version); the operator no longer reverts it. "
                      "Fix: set the chart's global.version (or the image in Git) to " + v.target +
                      ", or use Follow mode (remove spec.version). Meanwhile pods of " + image +
                      " wait in the schema gate until their migrations ran",
                  kEventWarning);
    return true;
  }
  ctx.event(kEventWarning, "VersionDrift",
            "Deployment \"" + drifted->deployment + "\" runs " + image + ", not " + spec.backendImage + ":" + v.target +
                " (spec.version, migrated): setting it back once; if it is set again the operator reports a "
                "Conflict instead. Change spec.version to move to another version");
  status["versionDrift"] = Json{{"image", image}, {"version", v.target}, {"revertedAt", formatTime(ctx.in.now)}};
  return false;
}

// Nothing to migrate: converge the Deployments (Managed: image backendImage:C and
// EXTERNAL_MIGRATION; both modes: undo leftover gate changes) and report the rollout.
void atRest(Ctx& ctx, const Versions& v) {
  const auto& spec = ctx.in.spec;
  const std::string image = containerImage(ctx.backend(), spec.backend.container);
  if (v.t->mutableTag() && parseImageRef(image).digest.empty()) {
    // The image behind a mutable tag can change with no change the operator sees (a pod
    // restarted with imagePullPolicy Always pulls the new one): claiming Migrated=True here
    // would be a guess. A digest pins it.
    ctx.conditionUnknown(conditions::kMigrated, reasons::kTagNotPinned,
                         "the backend runs \"" + image + "\": the image behind the tag \"" + v.target +
                             "\" can change without the Deployment changing, so whether the database has its "
                             "migrations cannot be known. Pin a version tag (" + spec.backendImage +
                             ":v2.73.2) or a digest (" + spec.backendImage + "@sha256:...); meanwhile the "
                             "schema gate of each pod still refuses to start a pod whose migrations are missing",
                         v.adopted ? kEventWarning : nullptr);
  } else {
    const std::string msg = v.adopted
        ? v.current + " adopted as the current version from the running backend (assumed migrated)"
        : v.current + " is migrated";
    ctx.condition(conditions::kMigrated, true, v.adopted ? reasons::kVersionAdopted : reasons::kUpToDate, msg,
                  v.adopted ? kEventNormal : nullptr);
  }
  const bool wrote = releaseWorkloads(ctx, v.target, spec.managed() && !imageConflict(ctx, v));
  const bool done = !wrote && reportRollout(ctx, v.target);
  if (wrote) {
    ctx.condition(conditions::kRolledOut, false, reasons::kRollingOut, "bringing backend and worker to " + v.target);
  }
  ctx.phase(done ? Phase::Ready : Phase::RollingOut);
  if (!done) ctx.plan.requeueNoLaterThan(wrote ? kRequeuePatch : kRequeueRollout);
}

void refuseDowngrade(Ctx& ctx, const Versions& v) {
  const auto& spec = ctx.in.spec;
  std::string msg = "refusing to move from " + v.current + " to the older " + v.target +
                    ": Django migrations are one-way and " + v.target + " would run on " + v.current + "'s schema. ";
  if (spec.managed()) {
    msg += "To stay on " + v.current + ", set spec.version back to " + v.current +
           "; to really go back, restore a backup taken before " + v.current +
           " and set spec.migrations.allowDowngrade: true. Nothing was changed";
    releaseWorkloads(ctx, v.current, false);
  } else {
    msg += "Deployments \"" + spec.backend.deployment + "\" and \"" + spec.worker.deployment +
           "\" are paused (spec.paused) so " + v.target + " does not roll out. Set their image back to " +
           spec.backendImage + ":" + v.current + " (they resume), or restore a backup taken before " + v.current +
           " and set spec.migrations.allowDowngrade: true";
    ctx.patchDeployment(spec.backend.deployment, pausePatch(ctx.backend()));
    ctx.patchDeployment(spec.worker.deployment, pausePatch(ctx.worker()));
  }
  const auto before = getCondition(ctx.old, conditions::kMigrated);
  if (!before || before->reason != reasons::kDowngradeRefused || before->message != msg) {
    pushHistory(ctx, Json{{"from", v.current}, {"to", v.target}, {"startTime", formatTime(ctx.in.now)},
                          {"completionTime", formatTime(ctx.in.now)}, {"result", "DowngradeRefused"},
                          {"message", msg}});
  }
  ctx.condition(conditions::kMigrated, false, reasons::kDowngradeRefused, msg, kEventWarning);
  ctx.phase(Phase::Failed);
}

void startMigration(Ctx& ctx, const Versions& v) {
  const auto& spec = ctx.in.spec;
  ctx.status()["migration"] = Json{{"from", v.current}, {"to", v.target}, {"startedAt", formatMicroTime(ctx.in.now)}};
  setStep(ctx, Step::Pending, "migration from " + v.current + " to " + v.target + " starting");
  ctx.condition(conditions::kMigrated, false, reasons::kMigrationPending,
                "migrating from " + v.current + " to " + v.target);
  ctx.condition(conditions::kRolledOut, false, reasons::kWaitingForMigration,
                v.target + " rolls out after its migrations ran");
  ctx.event(kEventNormal, "MigrationStarted",
            "migrating from " + v.current + " to " + v.target + " (gate " +
                (spec.migrations.gate == MigrationGate::ScaleDown ? "ScaleDown" : "HoldRollout") + ", backup " +
                (spec.migrations.backup.enabled ? "on" : "off") + (spec.managed() ? "" : ", Follow mode") + ")");
  ctx.plan.requeueNoLaterThan(kRequeueStart);
}

bool sameVersion(const Versions& v) {
  if (v.target == v.current) return true;
  if (!v.c) return false;
  const auto cmp = compareVersions(*v.t, *v.c);
  return cmp && *cmp == 0;
}

// Everything after the references were found: the move itself.
void planMove(Ctx& ctx) {
  const auto& spec = ctx.in.spec;
  auto v = resolveVersions(ctx);
  if (!v) return;
  ctx.status()["targetVersion"] = v->target;
  if (v->adopted && v->current != "unknown") ctx.status()["currentVersion"] = v->current;
  reportMutability(ctx, *v);

  if (migrationInProgress(ctx.status())) {
    if (migrationField(ctx.status(), "to") == v->target) {
      runSteps(ctx);
      return;
    }
    if (retarget(ctx, v->target) == Retarget::Wait) return;
    v->current = ctx.status().value("currentVersion", v->current);
    v->c = parseVersion(v->current);
    v->adopted = false;
  }
  if (sameVersion(*v)) {
    atRest(ctx, *v);
    return;
  }
  std::optional<int> order;
  if (v->c) order = compareVersions(*v->t, *v->c);
  if (order && *order < 0 && !spec.migrations.allowDowngrade) {
    refuseDowngrade(ctx, *v);
    return;
  }
  startMigration(ctx, *v);
  runSteps(ctx);  // the gates hold from this pass on; Pending waits for the status write
}

}  // namespace

Plan planMigration(const Observed& in) {
  Plan plan;
  Ctx ctx(in, plan);
  const auto& spec = in.spec;
  if (!checkWorkload(ctx, in.backend, spec.backend, "spec.workloads.backend") ||
      !checkWorkload(ctx, in.worker, spec.worker, "spec.workloads.worker"))
    return plan;
  planMove(ctx);
  reportSchemaAhead(ctx);
  keepSchemaGate(ctx);
  return plan;
}

}  // namespace pmo::maintenance
