#include "db/vacuum.hpp"

#include <sstream>
#include <stdexcept>

namespace pmo::db {
namespace {

// Forwards the server's notices (VACUUM VERBOSE's INFO lines) while it is alive.
class MessageForwarder : public pqxx::errorhandler {
 public:
  MessageForwarder(pqxx::connection_base& conn, const VacuumMessageSink& sink) : pqxx::errorhandler(conn), sink_(sink) {}
  bool operator()(const char msg[]) noexcept override {
    if (!sink_) return false;
    try {
      std::string m(msg);
      while (!m.empty() && m.back() == '\n') m.pop_back();
      sink_(m);
    } catch (...) {
    }
    return false;  // consumed: do not also print it on stderr through libpq's default
  }

 private:
  const VacuumMessageSink& sink_;
};

std::string seconds(std::chrono::milliseconds ms) {
  std::ostringstream os;
  os << static_cast<double>(ms.count()) / 1000.0 << "s";
  return os.str();
}

TableStats statsWithRetry(const ConnectionParams& params, const RetryPolicy& retry, const std::string& table) {
  TableStats s;
  withRetry(params, retry, [&](pqxx::connection& conn) { s = readTableStats(conn, table); });
  return s;
}

}  // namespace

const char* toString(VacuumOutcome outcome) {
  switch (outcome) {
    case VacuumOutcome::Completed: return "Completed";
    case VacuumOutcome::Skipped: return "Skipped";
    case VacuumOutcome::GaveUp: return "GaveUp";
  }
  return "Unknown";
}

std::optional<std::string> skipReason(const TableStats& before, const VacuumOptions& options) {
  if (options.minDeadTuples && before.deadTuples < *options.minDeadTuples) {
    return std::to_string(before.deadTuples) + " dead tuples, fewer than --min-dead-tuples " +
           std::to_string(*options.minDeadTuples) + ": little to reclaim";
  }
  if (options.minDeadRatio && before.deadRatio() < *options.minDeadRatio) {
    std::ostringstream os;
    os << "dead tuple ratio " << before.deadRatio() << " is below --min-dead-ratio " << *options.minDeadRatio
       << ": little to reclaim";
    return os.str();
  }
  return std::nullopt;
}

VacuumResult vacuumTable(const ConnectionParams& params, const VacuumOptions& options, const RetryPolicy& retry,
                         const VacuumMessageSink& onMessage) {
  const std::string quoted = quoteTableName(options.table);  // validates before any I/O
  if (options.full && options.lockTimeout.count() <= 0) {
    throw std::invalid_argument("--lock-timeout must be positive: VACUUM FULL never waits without a limit");
  }
  if (options.minDeadRatio && (*options.minDeadRatio < 0 || *options.minDeadRatio > 1)) {
    throw std::invalid_argument("--min-dead-ratio must be between 0 and 1");
  }

  VacuumResult result;
  result.table = options.table;
  result.full = options.full;
  result.before = statsWithRetry(params, retry, options.table);
  if (!result.before.currentUserCanVacuum) {
    throw DbError(ErrorKind::Permanent, "42501",
                  "user \"" + result.before.currentUser + "\" may not vacuum \"" + options.table + "\" (owner \"" +
                      result.before.owner + "\"): connect as the table owner, the database owner or a superuser");
  }
  if (auto reason = skipReason(result.before, options)) {
    result.outcome = VacuumOutcome::Skipped;
    result.message = *reason;
    return result;
  }

  const std::string statement =
      std::string(options.full ? "VACUUM (FULL, ANALYZE, VERBOSE) " : "VACUUM (ANALYZE, VERBOSE) ") + quoted;
  withRetry(params, retry, [&](pqxx::connection& conn) {
    MessageForwarder forward(conn, onMessage);
    pqxx::nontransaction tx(conn);  // autocommit: VACUUM refuses to run in a transaction block
    if (options.full) {
      tx.exec0("SET lock_timeout = " + std::to_string(options.lockTimeout.count()));  // milliseconds
    }
    const auto start = std::chrono::steady_clock::now();
    try {
      tx.exec0(statement);
    } catch (const pqxx::sql_error& e) {
      if (!options.full || e.sqlstate() != "55P03") throw;
      result.outcome = VacuumOutcome::GaveUp;
      result.message = "VACUUM FULL of \"" + options.table + "\" gave up: its ACCESS EXCLUSIVE lock was not granted within " +
                       seconds(options.lockTimeout) +
                       " because other sessions are using the table; nothing was changed. Run it in a quieter "
                       "window, raise --lock-timeout, or run a plain VACUUM (without --full), which does not "
                       "block readers";
    }
    result.durationSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.full) tx.exec0("RESET lock_timeout");
  });
  if (result.gaveUp()) return result;

  result.after = statsWithRetry(params, retry, options.table);
  result.bytesReclaimed = result.before.totalBytes - result.after->totalBytes;
  result.outcome = VacuumOutcome::Completed;
  return result;
}

nlohmann::json toJson(const VacuumResult& r) {
  return {
      {"table", r.table},
      {"full", r.full},
      {"outcome", toString(r.outcome)},
      {"skipped", r.skipped()},
      {"gaveUp", r.gaveUp()},
      {"message", r.message},
      {"before", toJson(r.before)},
      {"after", r.after ? toJson(*r.after) : nlohmann::json(nullptr)},
      {"bytesReclaimed", r.bytesReclaimed},
      {"durationSeconds", r.durationSeconds},
  };
}

}  // namespace pmo::db
