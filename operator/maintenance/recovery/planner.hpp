#pragma once
// The break-glass recovery planner: decides which
// recovery the reconciler must carry out now, and records what it did into status. Pure:
// the database work is the reconciler's (operator/db/recovery/recovery.hpp via RecoveryRunner).
//
// Guarantees:
//  - Pure and deterministic: no I/O, no clock (Observed::now / the `now` argument).
//  - A requestId recorded in status.recoveries.<action> (applied or rejected) is never
//    decided again. The database ledger is the second line: if status lost a record (a
//    failed status write after the commit, or an entry dropped by the cap and asked
//    again), the runner returns the recorded result and changes nothing.
//  - A restore is decided only for a recorded reset whose restoreAt has passed and whose
//    restoredAt is empty; recording the restore (recordNetworkRestore) ends it.
//  - Status lists are newest first and capped at kMaxRecoveryRecords each; the cap drops
//    the oldest entries WITHOUT a pending restore first, so a due restore is not lost.
//  - Status stays small however many policies a reset changed (every organisation of a
//    large instance): an entry lists at most kMaxRecordedPolicies policies and skipped
//    ones, with the counts (rowsChanged, skippedCount) and the ledgerKey whose database
//    row holds them all (`reset-network-policies --show KEY` prints it); the restore reads
//    that row, not status.
//  - Only the fields of the status contract are written; an entry of a rejected request
//    has rowsChanged 0 and a message that starts with "rejected:".
//  - Messages and Events carry names, ids and counts, never a credential.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "maintenance/plan_types.hpp"
#include "maintenance/recovery/records.hpp"

namespace pmo::maintenance {

inline constexpr std::size_t kMaxRecoveryRecords = 10;
inline constexpr std::size_t kMaxRecordedPolicies = 20;  // per entry, of policies and of skipped

enum class RecoveryAction { ResetNetworkPolicies, DisableSSO };

// A network access policy as recorded in status (and handed back for the restore): the
// same type the database ledger records (records.hpp).
using RecordedPolicy = NetworkPolicy;

// A request to carry out now.
struct RunRecovery {
  RecoveryAction action = RecoveryAction::ResetNetworkPolicies;
  std::string requestId;
  std::vector<std::string> organisations;  // reset: empty = every organisation
  bool disableProviders = false;            // DisableSSO only
  std::string restoreAfterText;             // reset only, as in the spec ("2h"); empty = never
  std::optional<std::chrono::milliseconds> restoreAfter;
};

// A recorded reset whose restoreAt has passed.
struct RestoreNetworkPolicies {
  std::string requestId;
  std::vector<RecordedPolicy> policies;
};

// A request refused before any database work (e.g. an unparseable restoreAfter); the
// reconciler records it with recordRejection so it is not decided again.
struct RecoveryRejection {
  RecoveryAction action = RecoveryAction::ResetNetworkPolicies;
  std::string requestId;
  std::vector<std::string> organisations;
  std::string reason;  // what is wrong and what to do
};

struct RecoveryDecision {
  std::vector<RunRecovery> run;                 // at most one per action
  std::vector<RestoreNetworkPolicies> restore;  // oldest restoreAt first
  std::vector<RecoveryRejection> rejected;
  // When the earliest pending restore falls due (nothing else to do until then).
  std::optional<std::chrono::milliseconds> requeueAfter;
  bool empty() const { return run.empty() && restore.empty() && rejected.empty(); }
};

RecoveryDecision planRecovery(const Observed& in);

// What the reconciler fills from the database results (db::NetworkResetResult etc.).
struct NetworkResetRecord {
  std::string requestId;
  std::string appliedAt;  // RFC 3339 (the database's time of the change)
  std::vector<std::string> organisations;  // as requested; empty = every organisation
  std::vector<RecordedPolicy> policies;    // changed
  std::string restoreAfter;                // as in the spec; empty = never
  std::optional<std::chrono::milliseconds> restoreAfterDuration;
  std::string ledgerKey;                   // the database ledger's key of the request
};

struct NetworkRestoreRecord {
  std::string requestId;
  std::string restoredAt;              // RFC 3339
  std::vector<std::string> restored;   // ids set global again
  std::vector<SkippedPolicy> skipped;  // left alone (edited since, deleted, already global)
};

struct SsoDisableRecord {
  std::string requestId;
  std::string appliedAt;
  std::vector<std::string> organisations;
  bool disableProviders = false;
  long long rowsChanged = 0;  // organisations whose enforcement was lifted + providers disabled
  std::vector<OrganisationSsoState> before;  // status keeps toStatusJson of each
};

// Each writes the entry into status.recoveries.<list> (replacing one with the same
// requestId), sets condition RecoveryApplied and returns the Event to emit
// (RecoveryApplied / RecoveryRestored / RecoveryRejected). DatabaseReachable is untouched.
Action recordNetworkReset(Json& status, const NetworkResetRecord& r, long generation, TimePoint now);
Action recordNetworkRestore(Json& status, const NetworkRestoreRecord& r, long generation, TimePoint now);
Action recordSSODisable(Json& status, const SsoDisableRecord& r, long generation, TimePoint now);
// A request refused (unknown organisation from the database, or a RecoveryRejection):
// recorded as handled with rowsChanged 0; condition RecoveryApplied False/RecoveryRejected.
Action recordRejection(Json& status, const RecoveryRejection& r, long generation, TimePoint now);

// The status list name of an action: "resetGlobalNetworkPolicies" | "disableSSOEnforcement".
const char* recoveryListName(RecoveryAction action);

namespace recovery_reasons {
inline constexpr const char* kApplied = "RecoveryApplied";    // Event
inline constexpr const char* kRestored = "RecoveryRestored";  // Event and condition reason
inline constexpr const char* kRejected = "RecoveryRejected";  // Event and condition reason
inline constexpr const char* kNetworkPoliciesReset = "NetworkPoliciesReset";
inline constexpr const char* kSSOEnforcementDisabled = "SSOEnforcementDisabled";
}  // namespace recovery_reasons

}  // namespace pmo::maintenance
