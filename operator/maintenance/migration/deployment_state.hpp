#pragma once
// Read-only questions about an observed apps/v1 Deployment (pure, never throws on a
// malformed object: missing fields read as the API server's defaults).
#include <optional>
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

// Index of the container named `name` in spec.template.spec.containers.
std::optional<std::size_t> containerIndex(const Json& deployment, const std::string& name);
// That container's image ("" when the container is missing).
std::string containerImage(const Json& deployment, const std::string& name);

int desiredReplicas(const Json& deployment);  // spec.replicas, default 1
bool isPaused(const Json& deployment);        // spec.paused, default false
int observedReplicas(const Json& deployment); // status.replicas (pods not terminating), default 0
std::optional<std::string> annotation(const Json& object, const std::string& key);

// As `kubectl rollout status`: not paused, the controller saw the latest generation, and
// every replica is updated and available with no old replica left.
bool rolloutComplete(const Json& deployment);
// Condition Progressing=False reason ProgressDeadlineExceeded.
bool rolloutStuck(const Json& deployment);
// One line for messages: "3 desired, 1 updated, 1 available".
std::string rolloutSummary(const Json& deployment);

// Who last set spec.<field> ("replicas", "paused"): the newest metadata.managedFields entry
// (by time) whose fieldsV1 owns it, other than `self`; else the app.kubernetes.io/managed-by
// label; else "an unknown client". For Events and conditions, never for decisions.
std::string lastWriterOf(const Json& deployment, const std::string& field, const std::string& self);

// Informer transform for Deployments: managedFields reduced to {manager, operation, time} and
// the few spec fields lastWriterOf asks about (the cache stays small), and the
// last-applied-configuration annotation dropped (its map kept).
void compactDeploymentForCache(Json& deployment);

// JSON Pointer escaping of one reference token ("a/b" -> "a~1b").
std::string pointerToken(const std::string& key);

}  // namespace pmo::maintenance
