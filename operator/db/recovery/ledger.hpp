#pragma once
// The at-most-once ledger of break-glass recoveries, kept in Phase's own database so
// that it commits atomically with the change it records:
//
//   CREATE TABLE phase_maintenance_operator_recoveries (
//     request_key text PRIMARY KEY,     -- RequestKey::value
//     action      text NOT NULL,        -- kAction* of db/recovery/types.hpp
//     result      jsonb NOT NULL,       -- the result's JSON form, as returned to the caller
//     applied_at  timestamptz NOT NULL  -- the transaction's now()
//   );
//
// The table is created on first use (in the search_path's first schema, next to Phase's
// tables) in its own short transaction; that needs the CREATE privilege once, which the
// Phase database user has as the database owner. Django ignores tables it does not model,
// so Phase's migrations leave it alone. Rows are never deleted by the operator: they are
// the audit trail.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "db/recovery/types.hpp"

namespace pmo::db {

inline constexpr const char* kLedgerTable = "phase_maintenance_operator_recoveries";

// Creates the ledger table when it does not exist. Safe to call concurrently.
void ensureLedger(pqxx::connection& conn);

struct LedgerEntry {
  std::string requestKey;
  std::string action;
  nlohmann::json result;
  std::string appliedAt;  // UTC with microseconds
};

// The recorded entry for `key`, if any (read only; none when the table does not exist).
std::optional<LedgerEntry> findRecovery(pqxx::connection& conn, const RequestKey& key);
// The same, inside a transaction of the caller's (the table must exist).
std::optional<LedgerEntry> findRecovery(pqxx::transaction_base& tx, const RequestKey& key);

// Every entry of `action` recorded for `request`: the key itself, or a requestId as the
// operator (namespace/name/ACTION/ID) and the CLI (cli/ACTION/ID) record it, so that one
// id given by several PhaseMaintenances lists each. Oldest first; none without the table.
// The id is compared as data (no pattern characters).
std::vector<LedgerEntry> findRecoveries(pqxx::connection& conn, const std::string& action, const std::string& request);

struct LedgerOutcome {
  nlohmann::json result;
  bool alreadyApplied = false;
};

// Runs `apply` and records its result under `key`, both in one transaction, unless the
// key is already recorded: then `apply` is not called and the recorded result comes back
// with alreadyApplied = true. A concurrent caller holding the same key makes this one
// wait on the primary key until it ends. An empty key: `apply` in its own transaction,
// nothing recorded. Throws std::invalid_argument when the key was recorded for another
// action.
LedgerOutcome applyOnce(pqxx::connection& conn, const RequestKey& key, const std::string& action,
                        const std::function<nlohmann::json(pqxx::work& tx)>& apply);

}  // namespace pmo::db
