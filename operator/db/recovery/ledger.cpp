#include "db/recovery/ledger.hpp"

#include <stdexcept>

#include "db/session.hpp"
#include "db/sql_fragments.hpp"

namespace pmo::db {
namespace {

const std::string kTable = kLedgerTable;

bool ledgerExists(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  const bool exists = !tx.exec_params1("SELECT to_regclass($1)", kTable)[0].is_null();
  tx.commit();
  return exists;
}

std::optional<LedgerEntry> readEntry(pqxx::transaction_base& tx, const RequestKey& key) {
  const pqxx::result r = tx.exec_params(
      "SELECT action, result::text, " + sql::isoUtc("applied_at") + " FROM " + kTable + " WHERE request_key = $1",
      key.value);
  if (r.empty()) return std::nullopt;
  LedgerEntry e;
  e.requestKey = key.value;
  e.action = r[0][0].as<std::string>();
  e.result = nlohmann::json::parse(r[0][1].as<std::string>());
  e.appliedAt = r[0][2].as<std::string>();
  return e;
}

LedgerOutcome recorded(const LedgerEntry& e, const RequestKey& key, const std::string& action) {
  if (e.action != action) {
    throw std::invalid_argument("request key \"" + key.value + "\" was already used for " + e.action +
                                ", not " + action + ": use a new requestId");
  }
  return {e.result, true};
}

}  // namespace

void ensureLedger(pqxx::connection& conn) {
  if (ledgerExists(conn)) return;  // no CREATE privilege needed once it exists
  try {
    pqxx::work tx(conn);
    // First callers queue here: IF NOT EXISTS alone does not make concurrent creates safe.
    tx.exec1("SELECT pg_advisory_xact_lock(hashtext('pmo-recovery-ledger'))");
    tx.exec0("CREATE TABLE IF NOT EXISTS " + kTable +
             " (request_key text PRIMARY KEY, action text NOT NULL, result jsonb NOT NULL,"
             " applied_at timestamptz NOT NULL DEFAULT now())");
    tx.exec0("COMMENT ON TABLE " + kTable +
             " IS 'phase-maintenance-operator: break-glass recoveries applied, one row per request (at most once)'");
    tx.commit();
  } catch (const pqxx::sql_error& e) {
    // Belt and braces for a caller that does not take the lock (an older operator): the
    // loser trips over the winner's catalog rows (23505), type (42710) or table (42P07).
    // The table exists either way.
    const std::string state = e.sqlstate();
    if ((state == "23505" || state == "42710" || state == "42P07") && ledgerExists(conn)) return;
    throw;
  }
}

std::optional<LedgerEntry> findRecovery(pqxx::transaction_base& tx, const RequestKey& key) {
  if (key.empty()) return std::nullopt;
  return readEntry(tx, key);
}

std::vector<LedgerEntry> findRecoveries(pqxx::connection& conn, const std::string& action, const std::string& request) {
  std::vector<LedgerEntry> out;
  if (request.empty() || !ledgerExists(conn)) return out;
  pqxx::read_transaction tx(conn);
  const std::string suffix = "/" + action + "/" + request;
  const pqxx::result r = tx.exec_params(
      "SELECT request_key, action, result::text, " + sql::isoUtc("applied_at") + " FROM " + kTable +
          " WHERE action = $1 AND (request_key = $2 OR right(request_key, length($3)) = $3)"
          " ORDER BY applied_at, request_key",
      action, request, suffix);
  for (const auto& row : r)
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                   nlohmann::json::parse(row[2].as<std::string>()), row[3].as<std::string>()});
  tx.commit();
  return out;
}

std::optional<LedgerEntry> findRecovery(pqxx::connection& conn, const RequestKey& key) {
  if (key.empty() || !ledgerExists(conn)) return std::nullopt;
  pqxx::read_transaction tx(conn);
  auto e = readEntry(tx, key);
  tx.commit();
  return e;
}

LedgerOutcome applyOnce(pqxx::connection& conn, const RequestKey& key, const std::string& action,
                        const std::function<nlohmann::json(pqxx::work& tx)>& apply) {
  if (key.empty()) {
    pqxx::work tx(conn);
    nlohmann::json result = apply(tx);
    tx.commit();
    return {std::move(result), false};
  }
  ensureLedger(conn);
  pqxx::work tx(conn);
  if (auto e = readEntry(tx, key)) return recorded(*e, key, action);  // tx rolls back: nothing to keep
  // Claim the key first. If another transaction holds it uncommitted, this INSERT waits
  // for it; once it commits, DO NOTHING returns no row and the next statement (a new
  // snapshot under READ COMMITTED) sees its result. If it rolled back, the claim is ours.
  const pqxx::result claimed =
      tx.exec_params("INSERT INTO " + kTable +
                         " (request_key, action, result, applied_at) VALUES ($1, $2, '{}'::jsonb, now())"
                         " ON CONFLICT (request_key) DO NOTHING RETURNING 1",
                     key.value, action);
  if (claimed.empty()) {
    auto e = readEntry(tx, key);
    if (!e) throw DbError(ErrorKind::Transient, "40001", "request \"" + key.value + "\" is claimed but not readable yet");
    return recorded(*e, key, action);
  }
  nlohmann::json result = apply(tx);  // throws: the claim rolls back with everything else
  tx.exec_params0("UPDATE " + kTable + " SET result = $2::jsonb WHERE request_key = $1", key.value, result.dump());
  tx.commit();
  return {std::move(result), false};
}

}  // namespace pmo::db
