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
// - Database unreachable, credentials wrong or the Secret missing: DatabaseReachable=False
//   with the reason (never the password); the reconcile is retried with the controller's
//   backoff.
// - The Secret is read only when there is work to do: a reconcile at rest reads nothing.
#include "common/log.hpp"
#include "controller/reconcile_stages.hpp"
#include "maintenance/recovery/planner.hpp"

namespace pmo::controller {

using maintenance::Observed;
namespace cond = maintenance::conditions;
namespace m = maintenance;

namespace {

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
    for (const auto& r : decision.rejected) emit(m::recordRejection(out_.status, r, generation_, in_.now));
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
      out_.retryWithBackoff = true;
    } else if (reached_) {
      m::setCondition(out_.status,
                      {cond::kDatabaseReachable, "True", "Connected", "the operator reached the database for a recovery"},
                      generation_, in_.now);
    }
  }

 private:
  std::string key(m::RecoveryAction action, const std::string& requestId) const {
    return ns_ + "/" + name_ + "/" + m::recoveryListName(action) + "/" + requestId;
  }

  void emit(const m::Action& event) { d_.events.event(in_.object, event.eventType, event.reason, event.message); }

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
      failureReason_ = "SecretNotFound";
      return false;
    }
    params_ = paramsFor(in_.spec.database, std::move(*password));
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
      if (e.kind() == RecoveryError::Kind::Unreachable || e.kind() == RecoveryError::Kind::Auth) {
        failure_ = e.what();
        failureReason_ = e.kind() == RecoveryError::Kind::Auth ? "AuthenticationFailed" : "Unreachable";
        return false;
      }
      reached_ = true;
      emit(m::recordRejection(out_.status, {action, requestId, orgs, e.what()}, generation_, in_.now));
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
    for (const auto& p : res.policies) rec.policies.push_back({p.id, p.name, p.organisationId, p.updatedAt, p.organisationName});
    rec.restoreAfter = r.restoreAfterText;
    rec.restoreAfterDuration = r.restoreAfter;
    rec.ledgerKey = res.requestKey;
    emit(m::recordNetworkReset(out_.status, rec, generation_, in_.now));
    if (rec.restoreAfterDuration) out_.requeueNoLaterThan(*rec.restoreAfterDuration + std::chrono::seconds(1));
    log::info("break-glass recovery applied", {{"key", ns_ + "/" + name_},
                                               {"requestId", r.requestId},
                                               {"policies", res.count()},
                                               {"alreadyApplied", res.alreadyApplied}});
  }

  void restore(const m::RestoreNetworkPolicies& r) {
    std::vector<db::PolicyChange> changed;
    for (const auto& p : r.policies) changed.push_back({p.id, p.name, p.organisationId, p.organisationName, p.updatedAt});
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
    for (const auto& p : res.skipped) rec.skipped.push_back({p.id, p.name, p.reason});
    emit(m::recordNetworkRestore(out_.status, rec, generation_, in_.now));
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
    for (const auto& org : res.before) {
      m::SsoOrganisationBefore b{org.name, org.requireSso, {}};
      for (const auto& p : org.providers) b.providers.push_back({p.id, p.providerType, p.enabled});
      rec.before.push_back(std::move(b));
    }
    emit(m::recordSSODisable(out_.status, rec, generation_, in_.now));
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
};

}  // namespace

void runRecoveries(const ReconcilerDeps& d, const Observed& in, StageResult& result) {
  RecoveryStage(d, in, result).run();
}

}  // namespace pmo::controller
