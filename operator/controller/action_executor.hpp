#pragma once
// Executes the planners' actions against the API server, in order.
//
// Guarantees: every action is idempotent as executed — creating what already exists
// (AlreadyExists) and deleting what is gone (NotFound) count as done; a guarded write
// that finds the object changed (Conflict, or a JSON Patch whose `test` failed: 422)
// stops the run and reports a stale plan, so the caller re-reads and plans again
// instead of clobbering someone else's change. A write the API server refuses for good
// (400, 403, 405, 422 other than a failed `test`) stops the run and is reported as a
// Refusal, so it can reach status; transient errors and the rest propagate.
#include <string>
#include <vector>

#include "kube/client.hpp"
#include "maintenance/plan_types.hpp"

namespace pmo::controller {

// An Event about the PhaseMaintenance, held until the status write that records its fact
// succeeded (PhaseReconciler): a plan repeated after a lost or conflicting write does not
// announce the same fact twice.
struct PendingEvent {
  std::string type;  // Normal | Warning
  std::string reason;
  std::string message;  // never contains a secret
  // Identifies the fact across reconciles and restarts (a recovery's request key), or "".
  std::string factKey;
};

// Where Events go (the runtime's EventRecorder in the operator, a list in tests).
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Never throws; `message` must not contain a secret.
  virtual void event(const nlohmann::json& regarding, const std::string& type, const std::string& reason,
                     const std::string& message) = 0;
  // An Event with a factKey is posted at most once per (object, factKey, reason) by a sink
  // that can tell (the EventRecorder names it after the key); others post it as event().
  virtual void post(const nlohmann::json& regarding, const PendingEvent& e) {
    event(regarding, e.type, e.reason, e.message);
  }
};

// Moves the Event actions out of `actions` (the writes keep their order).
std::vector<PendingEvent> takeEvents(std::vector<maintenance::Action>& actions);

enum class ExecutionResult { Done, StalePlan, Refused };

// The write the API server refused: which, and the server's own words.
struct Refusal {
  std::string action;    // "create cronjobs/phase-purge-spacex"
  std::string resource;  // "cronjobs"
  int code = 0;
  std::string message;
};

const kube::Resource& resourceFor(const std::string& plural);

// `written`, when given, receives what the API server returned for the last write that
// returned an object (e.g. the PhaseMaintenance after its finalizer patch: its new
// resourceVersion guards the status write that follows).
// `refused`, when given, receives a refusal (ExecutionResult::Refused); without it a refusal
// propagates as the ApiError it is.
// Event actions are refused (std::invalid_argument): take them out first (takeEvents).
ExecutionResult executeActions(kube::Client& client, const nlohmann::json& pm,
                               const std::vector<maintenance::Action>& actions, nlohmann::json* written = nullptr,
                               Refusal* refused = nullptr);

}  // namespace pmo::controller
