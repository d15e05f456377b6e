#pragma once
// One owner per Deployment: a PhaseMaintenance claims the backend and worker Deployments
// it names with an annotation naming it (namespace/name/uid), written by a JSON Patch whose
// `test` guards it; a second PhaseMaintenance naming a claimed Deployment is in Conflict
// and writes nothing but its status, instead of patching the image back and forth.
//
// Guarantees:
// - A claim is taken only over no claim (guarded by the Deployment's resourceVersion) or
//   over a claim whose owner no longer exists (guarded by a `test` of that claim): two
//   PhaseMaintenances racing for a Deployment cannot both win.
// - A claim is released (the annotation removed, guarded by a `test` of our own claim)
//   when its owner is deleted, before the owner's finalizer goes; the Deployment's change
//   wakes the other PhaseMaintenances naming it, and the next one claims it.
// - Pure: the cluster is read through the Observed and the ClusterView, never written.
#include <optional>
#include <string>
#include <vector>

#include "controller/cluster_view.hpp"
#include "maintenance/plan_types.hpp"

namespace pmo::controller::ownership {

inline constexpr const char* kOwnedBy = "maintenance.phase.dev/owned-by";

// "<namespace>/<name>/<uid>" of the PhaseMaintenance.
std::string claimOf(const Json& pm);

struct ClaimCheck {
  std::vector<maintenance::Action> claims;  // patches that take a free or orphaned claim
  std::optional<std::string> conflict;      // set: a live other owner holds one; what to say
};

// What the PhaseMaintenance in `in` must do to own its Deployments.
ClaimCheck checkClaims(const maintenance::Observed& in, const ClusterView& view);

// The patches that give back the claims `in.object` holds (deletion).
std::vector<maintenance::Action> releaseClaims(const maintenance::Observed& in);

// True when `deployment` is claimed by a PhaseMaintenance other than `pm` that still
// exists: the deletion of `pm` must not restore what that owner changed.
bool claimedByAnother(const Json& deployment, const Json& pm, const ClusterView& view);

}  // namespace pmo::controller::ownership
