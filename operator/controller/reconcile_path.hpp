#pragma once
// The one path of a reconcile (internal to PhaseReconciler): observe -> act -> write the
// status once -> finish. Each stage is a function with a value in and a value out; the
// reconciler only threads them (phase_reconciler.cpp). Planning is pure and happens inside
// act (the planners of operator/maintenance), because the Active mode reads the password
// Secret between two plans and the recoveries interleave database work with recording it.
#include <optional>
#include <string>
#include <vector>

#include "controller/phase_reconciler.hpp"
#include "maintenance/plan_types.hpp"

namespace pmo::controller {

// What one reconcile saw: the object, its parsed spec, and the caches' children.
struct Observation {
  nlohmann::json pm;
  maintenance::SpecParseResult parsed;
  maintenance::Observed in;  // in.object is pm; in.now is the wall time of this reconcile
  long generation = 0;
};

// An Event to post once the status that records its fact is written.
struct PendingEvent {
  std::string type;  // Normal | Warning
  std::string reason;
  std::string message;
};

// What act did, and what remains for after the status write.
struct Acted {
  nlohmann::json writeOver;    // the object the status write carries (its resourceVersion guards it)
  nlohmann::json status;       // the status to record (summarised)
  bool stale = false;          // a guarded write found the object changed: nothing to record
  std::vector<std::string> superseded;  // resourceVersions this reconcile's writes replaced
  std::vector<PendingEvent> events;     // posted after the status write
  std::vector<maintenance::Action> afterStatus;  // deletion: restore patches, finalizer removal
  runtime::ReconcileResult outcome;     // what the controller does next
};

Observation observe(const ReconcilerDeps& d, const nlohmann::json& pm);
Acted act(const ReconcilerDeps& d, const Observation& seen);

}  // namespace pmo::controller
