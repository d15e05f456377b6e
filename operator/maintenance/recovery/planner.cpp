#include "maintenance/recovery/planner.hpp"

#include <algorithm>
#include <stdexcept>

#include "common/args.hpp"

namespace pmo::maintenance {
namespace {

constexpr const char* kResetList = "resetGlobalNetworkPolicies";
constexpr const char* kSsoList = "disableSSOEnforcement";

Json listOf(const Json& status, const char* list) {
  if (!status.is_object()) return Json::array();
  const Json r = status.value("recoveries", Json::object());
  const Json l = r.is_object() ? r.value(list, Json::array()) : Json::array();
  return l.is_array() ? l : Json::array();
}

bool recorded(const Json& list, const std::string& requestId) {
  for (const auto& e : list)
    if (e.is_object() && e.value("requestId", "") == requestId) return true;
  return false;
}

std::string str(const Json& e, const char* key) {
  return e.is_object() && e.contains(key) && e[key].is_string() ? e[key].get<std::string>() : std::string();
}

bool pendingRestore(const Json& e) { return !str(e, "restoreAt").empty() && str(e, "restoredAt").empty(); }

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

std::string scope(const std::vector<std::string>& organisations) {
  return organisations.empty() ? "all organisations" : joinNames(organisations);
}

// Newest first, one entry per requestId, at most kMaxRecoveryRecords: past the cap the
// oldest entry without a pending restore goes (the oldest of all if every one is pending).
void insertRecord(Json& status, const char* list, Json entry) {
  if (!status.is_object()) status = Json::object();
  Json& recoveries = status["recoveries"];
  if (!recoveries.is_object()) recoveries = Json::object();
  Json& entries = recoveries[list];
  if (!entries.is_array()) entries = Json::array();
  const std::string id = str(entry, "requestId");
  Json out = Json::array({std::move(entry)});
  for (auto& e : entries)
    if (str(e, "requestId") != id) out.push_back(std::move(e));
  while (out.size() > kMaxRecoveryRecords) {
    std::size_t drop = out.size() - 1;
    for (std::size_t i = out.size() - 1; i > 0; --i) {
      if (!pendingRestore(out[i])) {
        drop = i;
        break;
      }
    }
    out.erase(out.begin() + static_cast<std::ptrdiff_t>(drop));
  }
  entries = std::move(out);
}

Action event(const char* type, const char* reason, std::string message) {
  return Action{Action::Kind::Event, "", "", {}, {}, type, reason, std::move(message)};
}

// The first kMaxRecordedPolicies of `records`, in their JSON form (records.hpp).
template <class Record>
Json firstRecords(const std::vector<Record>& records) {
  Json out = Json::array();
  for (const auto& r : records) {
    if (out.size() == kMaxRecordedPolicies) break;
    out.push_back(r);
  }
  return out;
}

// At most 30 days: a break-glass change is undone within days, and the bound keeps
// now + restoreAfter far from the end of the clock's range (Go's maximum duration, 292 years,
// would overflow it).
constexpr std::chrono::hours kMaxRestoreAfter{720};

std::optional<std::chrono::milliseconds> parseRestoreAfter(const std::string& text, std::string& error) {
  if (text.empty()) return std::nullopt;
  const std::string field = "spec.recovery.resetGlobalNetworkPolicies.restoreAfter \"" + text + "\"";
  try {
    const std::chrono::milliseconds after(args::parseDurationMs(text));
    if (after > kMaxRestoreAfter) {
      error = field + " is longer than 720h (30 days); restore by hand later or shorten it, and use a new requestId";
      return std::nullopt;
    }
    if (after.count() > 0) return after;
  } catch (const std::invalid_argument&) {
  }
  error = field + " is not a positive duration (examples: 30m, 2h, 1h30m); fix it and use a new requestId";
  return std::nullopt;
}

// A run or a rejection of a spec request, with the fields every request has.
template <class Request>
RunRecovery runOf(RecoveryAction action, const Request& req) {
  RunRecovery run;
  run.action = action;
  run.requestId = req.requestId;
  run.organisations = req.organisations;
  return run;
}

template <class Request>
RecoveryRejection rejectionOf(RecoveryAction action, const Request& req, std::string reason) {
  RecoveryRejection rejected;
  rejected.action = action;
  rejected.requestId = req.requestId;
  rejected.organisations = req.organisations;
  rejected.reason = std::move(reason);
  return rejected;
}

}  // namespace

const char* recoveryListName(RecoveryAction action) {
  return action == RecoveryAction::ResetNetworkPolicies ? kResetList : kSsoList;
}

RecoveryDecision planRecovery(const Observed& in) {
  RecoveryDecision d;
  const Json status = in.object.value("status", Json::object());
  const Json resets = listOf(status, kResetList);
  const Json ssos = listOf(status, kSsoList);

  if (const auto& req = in.spec.recovery.resetGlobalNetworkPolicies;
      req && !req->requestId.empty() && !recorded(resets, req->requestId)) {
    std::string error;
    const auto restoreAfter = parseRestoreAfter(req->restoreAfter, error);
    if (!error.empty()) {
      d.rejected.push_back(rejectionOf(RecoveryAction::ResetNetworkPolicies, *req, error));
    } else {
      RunRecovery run = runOf(RecoveryAction::ResetNetworkPolicies, *req);
      run.restoreAfterText = req->restoreAfter;
      run.restoreAfter = restoreAfter;
      d.run.push_back(std::move(run));
    }
  }
  if (const auto& req = in.spec.recovery.disableSSOEnforcement;
      req && !req->requestId.empty() && !recorded(ssos, req->requestId)) {
    if (req->organisations.empty()) {
      d.rejected.push_back(rejectionOf(RecoveryAction::DisableSSO, *req,
                                       "spec.recovery.disableSSOEnforcement.organisations names no organisation; "
                                       "name the locked-out organisations and use a new requestId"));
    } else {
      RunRecovery run = runOf(RecoveryAction::DisableSSO, *req);
      run.disableProviders = req->disableProviders;
      d.run.push_back(std::move(run));
    }
  }

  // Oldest first: the list is newest first.
  for (auto it = resets.rbegin(); it != resets.rend(); ++it) {
    if (!pendingRestore(*it) || !(*it).contains("policies") || !(*it)["policies"].is_array() ||
        (*it)["policies"].empty())
      continue;
    const auto at = parseTime(str(*it, "restoreAt"));
    if (!at) continue;
    if (*at > in.now) {
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*at - in.now);
      if (!d.requeueAfter || wait < *d.requeueAfter) d.requeueAfter = wait;
      continue;
    }
    RestoreNetworkPolicies r;
    r.requestId = str(*it, "requestId");
    for (const auto& p : (*it)["policies"]) r.policies.push_back(p.get<NetworkPolicy>());
    d.restore.push_back(std::move(r));
  }
  return d;
}

Action recordNetworkReset(Json& status, const NetworkResetRecord& r, long generation, TimePoint now) {
  const std::size_t n = r.policies.size();
  std::string msg = "request " + r.requestId + ": ";
  msg += n == 0 ? "no global network access policies in " + scope(r.organisations) + ", nothing changed"
                : std::to_string(n) + " global network access polic" + (n == 1 ? "y" : "ies") +
                      " made non-global in " + scope(r.organisations);
  Json entry = {{"requestId", r.requestId},
                {"appliedAt", r.appliedAt},
                {"organisations", r.organisations},
                {"rowsChanged", static_cast<long long>(n)},
                {"policies", firstRecords(r.policies)},
                {"result", "Applied"},
                {"message", ""}};
  if (!r.ledgerKey.empty()) entry["ledgerKey"] = r.ledgerKey;
  if (n > kMaxRecordedPolicies)
    msg += " (status lists the first " + std::to_string(kMaxRecordedPolicies) +
           "; `phase-maintenance-operator reset-network-policies --show " +
           (r.ledgerKey.empty() ? r.requestId : r.ledgerKey) + "` prints all)";
  if (!r.restoreAfter.empty() && r.restoreAfterDuration && n > 0) {
    const TimePoint applied = parseTime(r.appliedAt).value_or(now);
    const std::string restoreAt =
        formatTime(applied + std::chrono::duration_cast<TimePoint::duration>(*r.restoreAfterDuration));
    entry["restoreAfter"] = r.restoreAfter;
    entry["restoreAt"] = restoreAt;
    msg += "; they become global again at " + restoreAt + " unless edited since";
  }
  entry["message"] = msg;
  insertRecord(status, kResetList, std::move(entry));
  setCondition(status, {conditions::kRecovered, "True", recovery_reasons::kNetworkPoliciesReset, msg}, generation, now);
  return event("Normal", recovery_reasons::kApplied, msg);
}

Action recordNetworkRestore(Json& status, const NetworkRestoreRecord& r, long generation, TimePoint now) {
  std::string msg = "request " + r.requestId + ": " + std::to_string(r.restored.size()) +
                    " network access policies made global again";
  Json skipped = firstRecords(r.skipped);
  std::vector<std::string> skippedIds;
  for (std::size_t i = 0; i < skipped.size(); ++i) skippedIds.push_back(r.skipped[i].id);
  if (!r.skipped.empty())
    msg += ", " + std::to_string(r.skipped.size()) + " skipped (edited since, deleted or already global): " +
           joinNames(skippedIds) +
           (r.skipped.size() > skippedIds.size()
                ? " and " + std::to_string(r.skipped.size() - skippedIds.size()) + " more (--show prints all)"
                : "");
  Json entry = {{"requestId", r.requestId}};
  for (const auto& e : listOf(status, kResetList))
    if (str(e, "requestId") == r.requestId) entry = e;
  entry["restoredAt"] = r.restoredAt;
  entry["restored"] = static_cast<long long>(r.restored.size());
  entry["skipped"] = std::move(skipped);
  entry["skippedCount"] = static_cast<long long>(r.skipped.size());
  const std::string before = str(entry, "message");
  entry["message"] = before.empty() ? msg : before + "; restored " + r.restoredAt + ": " + msg.substr(msg.find(": ") + 2);
  insertRecord(status, kResetList, std::move(entry));
  setCondition(status, {conditions::kRecovered, "True", recovery_reasons::kRestored, msg}, generation, now);
  return event("Normal", recovery_reasons::kRestored, msg);
}

Action recordSSODisable(Json& status, const SsoDisableRecord& r, long generation, TimePoint now) {
  std::vector<std::string> lifted;
  long long providers = 0;
  Json before = Json::array();
  for (const auto& o : r.before) {
    if (o.requireSso) lifted.push_back(o.name);
    for (const auto& p : o.providers)
      if (r.disableProviders && p.enabled) ++providers;
    before.push_back(toStatusJson(o));
  }
  std::string msg = "request " + r.requestId + ": ";
  msg += lifted.empty() ? "SSO was not enforced in " + scope(r.organisations)
                        : "SSO enforcement lifted in " + joinNames(lifted);
  if (r.disableProviders)
    msg += ", " + std::to_string(providers) + " SSO provider" + (providers == 1 ? "" : "s") +
           " disabled (kept, can be re-enabled)";
  if (lifted.empty() && providers == 0) msg += "; nothing changed";
  // Phase caches each organisation's SSO decision in Redis (OrgSSOEnforcementMiddleware,
  // 60 s) and a database change does not clear it: say when sign-in without SSO works.
  if (!lifted.empty()) msg += "; Phase may ask for SSO for up to 60 s more (its cached decision)";
  Json entry = {{"requestId", r.requestId},       {"appliedAt", r.appliedAt},
                {"organisations", r.organisations}, {"rowsChanged", r.rowsChanged},
                {"disableProviders", r.disableProviders}, {"before", before},
                {"result", "Applied"},       {"message", msg}};
  insertRecord(status, kSsoList, std::move(entry));
  setCondition(status, {conditions::kRecovered, "True", recovery_reasons::kSSOEnforcementDisabled, msg}, generation,
               now);
  return event("Normal", recovery_reasons::kApplied, msg);
}

Action recordRejection(Json& status, const RecoveryRejection& r, long generation, TimePoint now) {
  const char* list = recoveryListName(r.action);
  const std::string msg = "request " + r.requestId + " (" + list + ") rejected: " + r.reason + "; nothing changed";
  Json entry = {{"requestId", r.requestId},
                {"appliedAt", formatTime(now)},
                {"organisations", r.organisations},
                {"rowsChanged", 0},
                {"result", "Rejected"},
                {"message", "rejected: " + r.reason}};
  insertRecord(status, list, std::move(entry));
  setCondition(status, {conditions::kRecovered, "False", recovery_reasons::kRejected, msg}, generation, now);
  return event("Warning", recovery_reasons::kRejected, msg);
}

}  // namespace pmo::maintenance
