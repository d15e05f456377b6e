#pragma once
// RFC 6902 JSON Patches for the backend and worker Deployments (docs/architecture.md, principle 2).
//
// Guarantees, for every function here:
//  - Only the fields named touch the Deployment: spec.paused, spec.replicas, the named
//    container's image and EXTERNAL_MIGRATION env entry, and the operator's own
//    annotations (annotations.hpp in labels.hpp). Nothing else is rewritten.
//  - Every mutation is preceded by `test` ops on the values it was planned from; where the
//    value is absent (no spec.replicas, no annotations map, no env list) the guard is a
//    `test` of metadata.resourceVersion. A stale plan therefore fails as a whole
//    (422/409) instead of clobbering a concurrent change; the reconciler re-reads and
//    re-plans.
//  - An empty array means "already as wanted": nothing to send (no writes at rest).
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

// Follow mode: spec.paused=true plus the kPausedByOperator annotation. A Deployment that
// is already paused (by someone else) is left alone and not annotated, so the operator
// never unpauses a pause it did not make.
Json pausePatch(const Json& deployment);

// ScaleDown gate: record spec.replicas in kReplicasBefore, then spec.replicas=0. When the
// annotation is already there (an earlier pass) only the scale to 0 is repeated if needed;
// the recorded count is never overwritten with 0.
Json scaleDownPatch(const Json& deployment);

// Undo the operator's own gate changes: spec.replicas back to kReplicasBefore (annotation
// removed; an unparsable value is removed without touching replicas), and spec.paused=false
// where kPausedByOperator says the pause was ours (annotation removed).
Json releaseOps(const Json& deployment);

// The named container's image set to repository:tag (located by name, its index and old
// image tested). Empty when it already runs that image (repositories compared normalized,
// so "phasehq/backend" equals "docker.io/phasehq/backend") or the container is missing.
Json imageOps(const Json& deployment, const std::string& container, const std::string& repository,
              const std::string& tag);

// EXTERNAL_MIGRATION=true on the named container: added, or an existing entry with another
// value (or a valueFrom) replaced in place. Empty when already "true". The first change also
// records what the entry was (annotations::kExternalMigrationBefore); an entry the user had
// already set to "true" is not the operator's and is never recorded.
Json externalMigrationOps(const Json& deployment, const std::string& container);

// The finalizer's undo of externalMigrationOps: with kExternalMigrationBefore recorded, the
// EXTERNAL_MIGRATION=true entry (on whichever container carries it) is removed ("absent") or
// replaced by the recorded entry, and the annotation removed. An entry changed since by
// someone else is left as it is. Empty without the annotation.
Json externalMigrationReleaseOps(const Json& deployment);

// Sets annotation `key` to `value`: `add` into the existing map (replacing a value there,
// guarded by a test of it), or, with no map, a resourceVersion test and a new map. Empty when
// already so.
Json annotationOps(const Json& deployment, const std::string& key, const std::string& value);

// Concatenates op arrays (each carries its own guards).
Json concatOps(std::initializer_list<Json> parts);

}  // namespace pmo::maintenance
