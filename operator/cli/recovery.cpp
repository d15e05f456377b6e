// Break-glass recoveries from a shell in the cluster: `reset-network-policies` and
// `disable-sso`. The same library functions as the operator's reconciler; with
// --request-id a run is recorded in the ledger and is never applied twice.
#include <algorithm>
#include <iostream>
#include <optional>

#include "cli/db_command.hpp"
#include "cli/text_table.hpp"
#include "db/recovery/recovery.hpp"

namespace pmo::cli {
namespace {

// CLI requests live in their own key space, next to the operator's namespace/name/... keys.
db::RequestKey cliKey(const std::string& action, const std::string& requestId) {
  return requestId.empty() ? db::RequestKey{} : db::RequestKey{"cli/" + action + "/" + requestId};
}

// A failed recovery names the organisations it did not know, so a person can fix the list.
nlohmann::json recoveryFailure(const std::exception& e) {
  nlohmann::json summary = nlohmann::json::object();
  if (auto* unknown = dynamic_cast<const db::UnknownOrganisationError*>(&e)) summary["unknownOrganisations"] = unknown->names();
  return summary;
}

void printReset(const db::NetworkResetResult& r) {
  const std::string scope = r.allOrganisations ? "all organisations" : std::to_string(r.organisations.size()) + " organisation(s)";
  if (r.alreadyApplied) {
    std::cerr << "reset-network-policies: request " << r.requestKey << " was already applied at " << r.appliedAt
              << "; nothing changed now. What it changed then:\n";
  } else {
    std::cerr << "reset-network-policies: " << (r.dryRun ? "would turn off" : "turned off") << " is_global on "
              << r.count() << " network access polic" << (r.count() == 1 ? "y" : "ies") << " of " << scope << "\n";
  }
  TextTable t({"ORGANISATION", "POLICY", "ID", "UPDATED_AT"});
  for (const auto& p : r.policies) t.add({p.organisationName, p.name, p.id, p.updatedAt});
  if (!t.empty()) t.print(std::cerr);
}

void printRestore(const db::NetworkRestoreResult& r) {
  std::cerr << "reset-network-policies --restore: " << (r.alreadyApplied ? "already applied at " + r.appliedAt + "; " : "")
            << r.restored.size() << " restored to global, " << r.skipped.size() << " skipped\n";
  TextTable t({"RESULT", "POLICY", "ID", "DETAIL"});
  for (const auto& p : r.restored) t.add({"restored", p.name, p.id, "updated_at " + p.updatedAt});
  for (const auto& p : r.skipped) t.add({"skipped", p.name, p.id, p.reason});
  if (!t.empty()) t.print(std::cerr);
}

// --show: every recorded reset matching `request` (a ledger key, or a request id that
// several PhaseMaintenances may have used), each with all its policies and its restore.
DbOutcome showResets(const db::ConnectionParams& params, const std::string& request) {
  std::vector<db::LedgerEntry> resets;
  std::vector<std::optional<db::LedgerEntry>> restores;
  db::withRetry(params, {}, [&](pqxx::connection& conn) {
    resets = db::findRecoveries(conn, db::kActionResetNetworkPolicies, request);
    restores.clear();
    for (const auto& e : resets) restores.push_back(db::findRecovery(conn, db::RequestKey{e.requestKey}.restoreKey()));
  });
  if (resets.empty()) {
    std::cerr << "reset-network-policies: no run is recorded as \"" << request
              << "\" (give the ledgerKey from the PhaseMaintenance's status, or the requestId)\n";
    return {kExitFailure, {{"success", false}, {"show", request}, {"found", 0}}};
  }
  nlohmann::json runs = nlohmann::json::array();
  for (std::size_t i = 0; i < resets.size(); ++i) {
    db::NetworkResetResult r = db::networkResetResultFromJson(resets[i].result);
    std::cerr << "reset-network-policies: " << resets[i].requestKey << " applied at " << resets[i].appliedAt << ", "
              << r.count() << " polic" << (r.count() == 1 ? "y" : "ies") << " made non-global\n";
    TextTable t({"ORGANISATION", "POLICY", "ID", "UPDATED_AT"});
    for (const auto& p : r.policies) t.add({p.organisationName, p.name, p.id, p.updatedAt});
    if (!t.empty()) t.print(std::cerr);
    nlohmann::json run = {{"ledgerKey", resets[i].requestKey}, {"reset", resets[i].result}};
    if (restores[i]) {
      const db::NetworkRestoreResult restore = db::networkRestoreResultFromJson(restores[i]->result);
      printRestore(restore);
      run["restore"] = restores[i]->result;
    }
    runs.push_back(std::move(run));
  }
  return {kExitOk, {{"success", true}, {"show", request}, {"runs", runs}}};
}

void declareResetFlags(args::Spec& spec) {
  spec.flag({"org", "NAME", "organisation name, exact (repeatable); none: all organisations", true, ""});
  spec.flag({"dry-run", "", "show what would change; change nothing", false, ""});
  spec.flag({"request-id", "ID", "record the run under this id: a repeat changes nothing", false, ""});
  spec.flag({"restore", "", "undo the run recorded under --request-id", false, ""});
  spec.flag({"show", "REQUEST", "print every policy a recorded run changed: its ledger key (status ledgerKey) or "
                                "request id; change nothing", false, ""});
}

DbOutcome restoreReset(const db::RequestKey& key, const std::string& requestId, const db::ConnectionParams& params) {
  std::optional<db::LedgerEntry> original;
  db::withRetry(params, {}, [&](pqxx::connection& conn) { original = db::findRecovery(conn, key); });
  if (!original) throw std::runtime_error("no reset-network-policies run is recorded with --request-id " + requestId);
  const auto changed = db::networkResetResultFromJson(original->result).policies;
  const db::NetworkRestoreResult r = db::restoreGlobalNetworkPolicies(params, {}, key, changed);
  printRestore(r);
  nlohmann::json summary = db::toJson(r);
  summary["success"] = true;
  return {kExitOk, summary};
}

DbInvocation prepareReset(const args::Parsed& parsed) {
  const std::string requestId = parsed.get("request-id");
  const bool restore = parsed.has("restore");
  const bool show = parsed.has("show");
  if (show && (restore || parsed.has("org") || parsed.has("dry-run") || !requestId.empty()))
    throw args::UsageError("--show REQUEST only prints a recorded run; it takes no other flag");
  const std::string showRequest = parsed.get("show");
  if (restore && (requestId.empty() || parsed.has("org") || parsed.has("dry-run")))
    throw args::UsageError("--restore needs --request-id (of the run to undo) and takes no --org or --dry-run");
  const db::RequestKey key = cliKey(db::kActionResetNetworkPolicies, requestId);
  const std::vector<std::string> orgs = parsed.all("org");
  const bool dryRun = parsed.has("dry-run");
  DbInvocation invocation;
  invocation.run = [=](const db::ConnectionParams& params) {
    if (show) return showResets(params, showRequest);
    if (restore) return restoreReset(key, requestId, params);
    const db::NetworkResetResult r = db::resetGlobalNetworkPolicies(params, {}, key, orgs, dryRun);
    printReset(r);
    nlohmann::json summary = db::toJson(r);
    summary["success"] = true;
    return DbOutcome{kExitOk, summary};
  };
  invocation.failureSummary = recoveryFailure;
  return invocation;
}

void printSsoStates(const std::vector<db::OrganisationSsoState>& states, const std::vector<std::string>& lifted,
                    const std::vector<std::string>& disabled, bool showChange) {
  auto contains = [](const std::vector<std::string>& v, const std::string& id) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  TextTable t(showChange ? std::vector<std::string>{"ORGANISATION", "ITEM", "ID", "BEFORE", "AFTER"}
                         : std::vector<std::string>{"ORGANISATION", "ITEM", "ID", "VALUE"});
  for (const auto& o : states) {
    std::vector<std::string> row = {o.name, "require_sso", o.id, o.requireSso ? "true" : "false"};
    if (showChange) row.push_back(contains(lifted, o.id) ? "false" : row[3]);
    t.add(row);
    for (const auto& p : o.providers) {
      std::vector<std::string> prow = {o.name, "provider " + p.providerType + (p.name.empty() ? "" : " (" + p.name + ")"),
                                       p.id, p.enabled ? "enabled" : "disabled"};
      if (showChange) prow.push_back(contains(disabled, p.id) ? "disabled" : prow[3]);
      t.add(prow);
    }
  }
  t.print(std::cerr);
}

void declareDisableSsoFlags(args::Spec& spec) {
  spec.flag({"org", "NAME", "organisation name, exact (repeatable, at least one)", true, ""});
  spec.flag({"show", "", "print require_sso and the providers; change nothing", false, ""});
  spec.flag({"disable-enforcement", "", "the action: set require_sso = false on the organisations", false, ""});
  spec.flag({"disable-providers", "", "with --disable-enforcement: also set enabled = false on their SSO providers",
             false, ""});
  spec.flag({"dry-run", "", "show what would change; change nothing", false, ""});
  spec.flag({"request-id", "ID", "record the run under this id: a repeat changes nothing", false, ""});
}

DbOutcome showSso(const std::vector<std::string>& orgs, const db::ConnectionParams& params) {
  std::vector<db::OrganisationSsoState> states;
  db::withRetry(params, {}, [&](pqxx::connection& conn) {
    states.clear();
    for (const auto& org : orgs) states.push_back(db::showSSO(conn, org));
  });
  printSsoStates(states, {}, {}, false);
  nlohmann::json summary = {{"success", true}, {"show", true}};
  for (const auto& s : states) summary["organisations"].push_back(s);
  return {kExitOk, summary};
}

DbOutcome disableSso(const db::RequestKey& key, const std::vector<std::string>& orgs, bool disableProviders,
                     bool dryRun, const db::ConnectionParams& params) {
  const db::SsoDisableResult r = db::disableSSOEnforcement(params, {}, key, orgs, disableProviders, dryRun);
  if (r.alreadyApplied) {
    std::cerr << "disable-sso: request " << r.requestKey << " was already applied at " << r.appliedAt
              << "; nothing changed now. What it changed then:\n";
  } else {
    std::cerr << "disable-sso: " << (r.dryRun ? "would lift" : "lifted") << " SSO enforcement on "
              << r.enforcementLifted.size() << " organisation(s)"
              << (r.disableProviders ? " and " + std::string(r.dryRun ? "would disable " : "disabled ") +
                                           std::to_string(r.providersDisabled.size()) + " provider(s)"
                                     : "")
              << "\n";
  }
  printSsoStates(r.before, r.enforcementLifted, r.providersDisabled, true);
  if (!r.dryRun)
    std::cerr << "disable-sso: Phase caches each organisation's SSO decision in Redis for 60 s; signing in "
                 "without SSO can take up to a minute to work\n";
  nlohmann::json summary = db::toJson(r);
  summary["success"] = true;
  return {kExitOk, summary};
}

DbInvocation prepareDisableSso(const args::Parsed& parsed) {
  const std::vector<std::string> orgs = parsed.all("org");
  if (orgs.empty()) throw args::UsageError("--org NAME is required");
  const bool show = parsed.has("show");
  // An explicit action, as Phase's disable_org_sso asks for: a bare `disable-sso --org X`
  // changes nothing. Providers alone are refused too: disabled while SSO is still
  // enforced, nobody of the organisation could sign in at all.
  if (!show && !parsed.has("disable-enforcement"))
    throw args::UsageError(std::string("nothing changed: pass --disable-enforcement to set require_sso = false") +
                           (parsed.has("disable-providers")
                                ? " (--disable-providers only goes with it: with SSO still enforced and its "
                                  "providers disabled, nobody could sign in)"
                                : " (add --disable-providers to disable the SSO providers too)") +
                           ", or --show to print the current state");
  if (show && (parsed.has("disable-enforcement") || parsed.has("disable-providers")))
    throw args::UsageError("--show only prints the state; run it without --disable-enforcement and "
                           "--disable-providers, then again with them");
  const bool disableProviders = parsed.has("disable-providers");
  const bool dryRun = parsed.has("dry-run");
  const db::RequestKey key = cliKey(db::kActionDisableSso, parsed.get("request-id"));
  DbInvocation invocation;
  invocation.run = [=](const db::ConnectionParams& params) {
    if (show) return showSso(orgs, params);
    return disableSso(key, orgs, disableProviders, dryRun, params);
  };
  invocation.failureSummary = recoveryFailure;
  return invocation;
}

const DbCommandRegistrar kReset(
    {"reset-network-policies", "Break-glass: turn off global network access policies (recorded, reversible)", 50,
     "[--org NAME]... [--dry-run] [--request-id ID] [--restore] [--show REQUEST]",
     "Network access lockout: sets is_global = false on the global network access policies of the\n"
     "named organisations (every organisation when no --org is given, as Phase's guide does), in one\n"
     "transaction. An unknown organisation name rejects the whole request; nothing is changed.\n"
     "With --request-id the run is recorded in the database and is never applied twice; --restore\n"
     "with the same --request-id sets is_global = true again on exactly the policies that run\n"
     "changed, skipping any edited since. --show prints everything a recorded run changed (and\n"
     "its restore), by ledger key or by request id (the operator's status has the first few and\n"
     "the key as ledgerKey); it changes nothing.\n"
     "Exit codes: 0 done (or nothing to do), 1 failed or unknown organisation, 2 bad usage.",
     declareResetFlags, prepareReset});

const DbCommandRegistrar kDisableSso(
    {"disable-sso", "Break-glass: lift SSO enforcement of organisations", 60,
     "--org NAME [--org NAME]... (--show | --disable-enforcement [--disable-providers]) [--dry-run] [--request-id ID]",
     "SSO lockout. Nothing changes without an action flag, as with Phase's disable_org_sso:\n"
     "--disable-enforcement sets require_sso = false on each named organisation; with\n"
     "--disable-providers also disables (enabled = false, rows kept) its SSO providers, so they\n"
     "can be re-enabled. --show only prints the state. The state before a change is printed and\n"
     "in the JSON summary. An unknown organisation rejects the whole request; nothing is changed.\n"
     "Phase caches each organisation's SSO decision in Redis for 60 s: signing in without SSO can\n"
     "take up to a minute after the change.\n"
     "Exit codes: 0 done, 1 failed or unknown organisation, 2 bad usage (also: no action flag).",
     declareDisableSsoFlags, prepareDisableSso});

}  // namespace
}  // namespace pmo::cli
