// Break-glass recoveries, carried out by the operator itself: the pure
// recovery planner decides, this stage does the database work and records the results
// with the planner's record functions.
//
// Guarantees:
// - A requestId is carried out at most once: status records every handled request, and
//   the database ledger (operator/db/recovery/recovery.hpp) commits with the change, so a request
//   whose status write was lost (crash after COMMIT, conflict) is answered from the
//   ledger with the recorded result instead of being applied again.
// - A rejected request (unknown organisation) is recorded and not retried until a new
//   requestId is given; nothing was changed.
// - Database unreachable or credentials wrong: DatabaseReachable=False with the reason
//   (never the password); the reconcile is retried with the controller's backoff.
// - The Secret missing: DatabaseReachable=False (SecretNotFound) and the Secret is read
//   again every kSecretPoll, so the recovery runs within seconds of its appearing.
// - The Secret is read only when there is work to do: a reconcile at rest reads nothing.
// - With the operator's RecoveryExecutor the database work runs off the reconcile path:
//   the reconcile records DatabaseReachable=Unknown (RecoveryInProgress) and ends; the
//   executor wakes the resource when the work ends and the next reconcile records it.
#include "common/log.hpp"
#include "controller/database_tls_files.hpp"
#include "controller/reconcile_stages.hpp"
#include "maintenance/recovery/planner.hpp"

namespace pmo::controller {

using maintenance::Observed;
namespace cond = maintenance::conditions;
namespace m = maintenance;

namespace {

// A safety net only: the executor wakes the resource as soon as its work ends.
constexpr std::chrono::seconds kInProgressRecheck{30};
// While a recovery waits for its password Secret, the Secret is read again this often
// (one GET by name; no backoff growing to minutes). Polling by name, not a watch: a
// watch of Secrets needs list and watch on every Secret of the namespace, which would
// hand the operator every credential in it (deploy/rbac.yaml grants get only).
constexpr std::chrono::seconds kSecretPoll{5};
constexpr const char* kSecretNotFound = "SecretNotFound";

db::ConnectionParams paramsFor(const m::DatabaseSpec& db, Secret password) {
  db::ConnectionParams p;
  p.host = db.host;
  p.port = db.port;
  p.dbname = db.name;
  p.user = db.user;
  p.password = std::move(password);
  p.sslMode = db.sslMode;
  p.connectTimeoutSeconds = 5;
  p.applicationName = "phase-maintenance-operator/recovery";
  return p;
}

class RecoveryStage {
 public:
  RecoveryStage(const ReconcilerDeps& d, const Observed& in, StageResult& out)
      : d_(d), in_(in), out_(out),
        ns_(in.object.value("/metadata/namespace"_json_pointer, std::string())),
        name_(in.object.value("/metadata/name"_json_pointer, std::string())),
        generation_(in.object.value("/metadata/generation"_json_pointer, 0L)) {}

  void run() {
    const m::RecoveryDecision decision = m::planRecovery(in_);
    if (decision.requeueAfter) out_.requeueNoLaterThan(*decision.requeueAfter);
    for (const auto& r : decision.rejected)
      emit(m::recordRejection(out_.status, r, generation_, in_.now), key(r.action, r.requestId));
    for (const auto& r : decision.run) {
      if (!connected()) break;
      if (r.action == m::RecoveryAction::ResetNetworkPolicies) {
        resetNetwork(r);
      } else {
        disableSso(r);
      }
    }
    for (const auto& r : decision.restore) {
      if (!connected()) break;
      restore(r);
    }
    if (failure_) {
      m::setCondition(out_.status, {cond::kDatabaseReachable, "False", failureReason_, *failure_}, generation_, in_.now);
      if (failureReason_ == kSecretNotFound) {
        out_.requeueNoLaterThan(kSecretPoll);  // not a failure to back off from: wait for it
      } else {
        out_.retryWithBackoff = true;
      }
    } else if (busy_) {
      out_.retryWithBackoff = true;
    } else if (inProgress_ && !lastAttemptFailed()) {
      m::setCondition(out_.status,
                      {cond::kDatabaseReachable, "Unknown", "RecoveryInProgress",
                       "a recovery is running against the database; the result is recorded when it ends"},
                      generation_, in_.now);
      out_.requeueNoLaterThan(kInProgressRecheck);  // the executor wakes it sooner
    } else if (inProgress_) {
      out_.requeueNoLaterThan(kInProgressRecheck);  // a retry runs; the last failure stays shown
    } else if (reached_) {
      m::setCondition(out_.status,
                      {cond::kDatabaseReachable, "True", "Connected", "the operator reached the database for a recovery"},
                      generation_, in_.now);
    }
  }

 private:
  // DatabaseReachable=False from an earlier attempt: a retry in progress leaves it as it is
  // (the condition does not flap between False and Unknown on every attempt).
  bool lastAttemptFailed() const {
    const auto c = m::getCondition(out_.status, cond::kDatabaseReachable);
    return c && c->status == "False";
  }

  std::string key(m::RecoveryAction action, const std::string& requestId) const {
    return ns_ + "/" + name_ + "/" + m::recoveryListName(action) + "/" + requestId;
  }

  // The Event of a recovery's fact, keyed by the ledger's request key: posted once the
  // status records it, and at most once per request even when the status write was lost
  // and the ledger answers the request again.
  void emit(const m::Action& event, const std::string& requestKey) {
    out_.events.push_back({event.eventType, event.reason, event.message, requestKey});
  }

  // Reads the password once; false (with the failure recorded) when it cannot be had or
  // an earlier call in this reconcile could not reach the database.
  bool connected() {
    if (failure_) return false;
    if (params_) return true;
    const auto& ref = in_.spec.database.passwordSecretRef;
    auto password = readPassword(d_.client, ns_, ref);
    if (!password) {
      failure_ = "Secret " + ns_ + "/" + ref.name + " has no key \"" + ref.key +
                 "\": fix spec.database.passwordSecretRef or create the Secret";
      failureReason_ = kSecretNotFound;
      return false;
    }
    db::ConnectionParams params = paramsFor(in_.spec.database, std::move(*password));
    if (auto why = loadDatabaseTls(d_.client, ns_, in_.spec.database.tls, params)) {
      failure_ = *why;
      failureReason_ = "TLSMaterialNotFound";
      return false;
    }
    params_ = std::move(params);
    return true;
  }

  // Runs the database work. Returns false when it did not complete: unreachable or bad
  // credentials (recorded for the condition and retried), or rejected (recorded as
  // handled, not retried).
  template <typename F>
  bool attempt(m::RecoveryAction action, const std::string& requestId, const std::vector<std::string>& orgs, F&& work) {
    try {
      work();
      reached_ = true;
      return true;
    } catch (const RecoveryError& e) {
      if (e.kind() == RecoveryError::Kind::InProgress || e.kind() == RecoveryError::Kind::Busy) {
        (e.kind() == RecoveryError::Kind::Busy ? busy_ : inProgress_) = true;
        return false;
      }
      if (e.kind() == RecoveryError::Kind::Unreachable || e.kind() == RecoveryError::Kind::Auth) {
        failure_ = e.what();
        failureReason_ = e.kind() == RecoveryError::Kind::Auth ? "AuthenticationFailed" : "Unreachable";
        return false;
      }
      reached_ = true;
      m::RecoveryRejection rejected;
      rejected.action = action;
      rejected.requestId = requestId;
      rejected.organisations = orgs;
      rejected.reason = e.what();
      emit(m::recordRejection(out_.status, rejected, generation_, in_.now), key(action, requestId));
      return false;
    }
  }

  void resetNetwork(const m::RunRecovery& r) {
    db::NetworkResetResult res;
    if (!attempt(r.action, r.requestId, r.organisations, [&] {
          res = d_.recoveries.resetNetworkPolicies(*params_, key(r.action, r.requestId), r.organisations);
        }))
      return;
    m::NetworkResetRecord rec;
    rec.requestId = r.requestId;
    rec.appliedAt = res.appliedAt;
    rec.organisations = r.organisations;
    rec.policies = res.policies;
    rec.restoreAfter = r.restoreAfterText;
    rec.restoreAfterDuration = r.restoreAfter;
    rec.ledgerKey = res.requestKey;
    emit(m::recordNetworkReset(out_.status, rec, generation_, in_.now), key(r.action, r.requestId));
    if (rec.restoreAfterDuration) out_.requeueNoLaterThan(*rec.restoreAfterDuration + std::chrono::seconds(1));
    log::info("break-glass recovery applied", {{"key", ns_ + "/" + name_},
                                               {"requestId", r.requestId},
                                               {"policies", res.count()},
                                               {"alreadyApplied", res.alreadyApplied}});
  }

  void restore(const m::RestoreNetworkPolicies& r) {
    const std::vector<db::PolicyChange>& changed = r.policies;
    db::NetworkRestoreResult res;
    const auto action = m::RecoveryAction::ResetNetworkPolicies;
    if (!attempt(action, r.requestId, {}, [&] {
          res = d_.recoveries.restoreNetworkPolicies(*params_, key(action, r.requestId), changed);
        }))
      return;
    m::NetworkRestoreRecord rec;
    rec.requestId = r.requestId;
    rec.restoredAt = res.appliedAt;
    for (const auto& p : res.restored) rec.restored.push_back(p.id);
    rec.skipped = res.skipped;
    emit(m::recordNetworkRestore(out_.status, rec, generation_, in_.now), key(action, r.requestId));
  }

  void disableSso(const m::RunRecovery& r) {
    db::SsoDisableResult res;
    if (!attempt(r.action, r.requestId, r.organisations, [&] {
          res = d_.recoveries.disableSso(*params_, key(r.action, r.requestId), r.organisations, r.disableProviders);
        }))
      return;
    m::SsoDisableRecord rec;
    rec.requestId = r.requestId;
    rec.appliedAt = res.appliedAt;
    rec.organisations = r.organisations;
    rec.disableProviders = r.disableProviders;
    rec.rowsChanged = static_cast<long long>(res.enforcementLifted.size() + res.providersDisabled.size());
    rec.before = res.before;
    emit(m::recordSSODisable(out_.status, rec, generation_, in_.now), key(r.action, r.requestId));
  }

  const ReconcilerDeps& d_;
  const Observed& in_;
  StageResult& out_;
  std::string ns_, name_;
  long generation_;
  std::optional<db::ConnectionParams> params_;
  std::optional<std::string> failure_;
  std::string failureReason_;
  bool reached_ = false;
  bool inProgress_ = false;
  bool busy_ = false;
};

}  // namespace

void runRecoveries(const ReconcilerDeps& d, const Observed& in, StageResult& result) {
  RecoveryStage(d, in, result).run();
}

}  // namespace pmo::controller
