#pragma once
// The audit-log CronJobs: one per spec.auditLogs.purge rule, one for
// spec.auditLogs.vacuum. Pure builders, value in and value out (docs/architecture.md, principle 2).
//
// Guarantees:
//  - Deterministic: the same PhaseMaintenance, spec, image and suspend flag give the same
//    object, byte for byte, and so the same spec hash (annotations::kSpecHash).
//  - Names are DNS-1123 labels of at most kMaxCronJobNameLength (52) characters (the
//    CronJob controller appends 11 characters to make Job names). A purge CronJob's name
//    always ends in 8 hex digits of a hash of (PhaseMaintenance, organisation, appId), so
//    two rules never share a name even when their slugs collide or are cut.
//  - Organisation names and app ids travel as single argv elements after "--" (no shell,
//    no word splitting), whatever characters they hold.
//  - The password is never in the object: DATABASE_PASSWORD is a secretKeyRef.
//  - The Jobs and Pods the CronJob makes carry the same labels (jobTemplate and pod
//    template metadata), so caches and selectors find them.
#include <string>
#include <vector>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance::annotations {
// On purge CronJobs: the rule they run, for people (`kubectl describe`) and the status.
inline constexpr const char* kPurgeOrganisation = "maintenance.phase.dev/purge-organisation";
inline constexpr const char* kPurgeAppId = "maintenance.phase.dev/purge-app-id";
}  // namespace pmo::maintenance::annotations

namespace pmo::maintenance {

inline constexpr std::size_t kMaxCronJobNameLength = 52;
inline constexpr const char* kOperatorBinary = "phase-maintenance-operator";
inline constexpr int kAuditJobBackoffLimit = 1;
// A purge stops cleanly by itself (--max-duration) before the Job's deadline kills it.
inline constexpr long kPurgeActiveDeadlineSeconds = 4 * 3600;
inline constexpr const char* kPurgeMaxDuration = "3h30m";
inline constexpr long kVacuumActiveDeadlineSeconds = 6 * 3600;
inline constexpr long long kRunAsUser = 65532;  // distroless "nonroot"

// "<pm>-purge-<org slug>[-<app slug>]-<hash8>", cut to 52 characters before the hash.
std::string purgeCronJobName(const std::string& pmName, const PurgeRule& rule);
// "<pm>-vacuum" (cut and hashed past 52 characters).
std::string vacuumCronJobName(const std::string& pmName);

// Container args after the command ["phase-maintenance-operator"]:
//   purge --retain N [--app-id ID] --max-duration 3h30m -- ORG
//   vacuum [--full --lock-timeout D] [--min-dead-tuples N]
std::vector<std::string> purgeArgs(const PurgeRule& rule);
std::vector<std::string> vacuumArgs(const VacuumSpec& vacuum);

// The image the CronJobs run: spec.operatorImage when set, else the operator's own.
std::string auditJobImage(const Observed& in);

// Complete batch/v1 CronJobs, with labels, controller ownerReference, the rule
// annotations and annotations::kSpecHash set. `pm` is the PhaseMaintenance object.
Json buildPurgeCronJob(const Json& pm, const PhaseMaintenanceSpec& spec, const PurgeRule& rule,
                       const std::string& image, bool suspend);
Json buildVacuumCronJob(const Json& pm, const PhaseMaintenanceSpec& spec, const std::string& image,
                        bool suspend);

// 16 hex digits of a stable hash (FNV-1a 64) of what the operator decides in a CronJob:
// its labels, annotations (except the hash itself) and spec.
std::string cronJobSpecHash(const Json& cronJob);

// True when the observed CronJob must be rewritten to `desired`: its spec-hash annotation
// differs, or someone edited a field the operator owns (schedule, suspend, timeZone,
// image, command, args) without touching the annotation.
bool cronJobDrifted(const Json& observed, const Json& desired);

// The PUT body that turns `observed` into `desired`: desired's spec and owner reference;
// observed's metadata kept (resourceVersion, uid, finalizers, labels and annotations
// others added, overridden by ours). Fields the API server defaults are re-defaulted by
// it; they are not part of the hash, so defaulting never looks like drift.
Json cronJobUpdate(const Json& observed, const Json& desired);

}  // namespace pmo::maintenance
