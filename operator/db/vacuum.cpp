#include "db/vacuum.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/lock_retry.hpp"
#include "db/repack.hpp"

namespace pmo::db {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

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

std::string seconds(milliseconds ms) {
  std::ostringstream os;
  os << static_cast<double>(ms.count()) / 1000.0 << "s";
  return os.str();
}

TableStats statsWithRetry(const ConnectionParams& params, const RetryPolicy& retry, const std::string& table) {
  TableStats s;
  withRetry(params, retry, [&](pqxx::connection& conn) { s = readTableStats(conn, table); });
  return s;
}

milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Runs `attempt(conn, lockTimeout)` until it is not refused for a lock (SQLSTATE 55P03) or
// the schedule's budget is spent. Returns whether an attempt went through; counts attempts.
// Other errors pass through (withRetry decides).
bool underLockRetries(pqxx::connection& conn, LockRetrySchedule& schedule, Clock::time_point start, int& attempts,
                      const std::function<void(pqxx::connection&, milliseconds)>& attempt) {
  for (;;) {
    const auto lockTimeout = schedule.nextAttempt(since(start));
    if (!lockTimeout) return false;
    ++attempts;
    try {
      attempt(conn, *lockTimeout);
      return true;
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != "55P03") throw;
    }
    std::this_thread::sleep_for(schedule.pauseAfterRefusal(since(start)));
  }
}

std::string gaveUpMessage(const VacuumOptions& o, int attempts) {
  const std::string what = o.method == VacuumMethod::Repack ? "the repack" : "VACUUM FULL";
  return what + " of \"" + o.table + "\" gave up: its ACCESS EXCLUSIVE lock was refused in " +
         std::to_string(attempts) + " attempts of at most " + std::to_string(o.lockAttempt.count()) +
         " ms within --lock-timeout " + seconds(o.lockTimeout) +
         " because other sessions are using the table (readers waited at most one attempt); nothing was changed. "
         "Run it in a quieter window, raise --lock-timeout, or run a plain VACUUM (without --full), which does "
         "not block readers";
}

LockRetrySchedule scheduleFor(const VacuumOptions& o) {
  LockRetryPolicy policy;
  policy.budget = o.lockTimeout;
  policy.attempt = o.lockAttempt;
  return LockRetrySchedule(policy, std::random_device{}());
}

// VACUUM FULL: the table lock by short attempts, then the rewrite under it.
void vacuumFull(const ConnectionParams& params, const VacuumOptions& options, const RetryPolicy& retry,
                const VacuumMessageSink& onMessage, const std::string& quoted, VacuumResult& result) {
  LockRetrySchedule schedule = scheduleFor(options);
  const auto start = Clock::now();
  bool granted = false;
  withRetry(params, retry, [&](pqxx::connection& conn) {
    MessageForwarder forward(conn, onMessage);
    granted = underLockRetries(conn, schedule, start, result.lockAttempts, [&](pqxx::connection& c, milliseconds t) {
      pqxx::nontransaction tx(c);  // autocommit: VACUUM refuses to run in a transaction block
      tx.exec0("SET lock_timeout = " + std::to_string(t.count()));  // milliseconds
      const auto began = Clock::now();
      tx.exec0("VACUUM (FULL, ANALYZE, VERBOSE) " + quoted);
      result.durationSeconds = std::chrono::duration<double>(Clock::now() - began).count();
    });
    pqxx::nontransaction(conn).exec0("RESET lock_timeout");
  });
  if (!granted) {
    result.outcome = VacuumOutcome::GaveUp;
    result.message = gaveUpMessage(options, result.lockAttempts);
  }
}

long long fileNode(pqxx::connection& conn, const std::string& quoted) {
  pqxx::read_transaction tx(conn);
  return tx.exec1("SELECT pg_relation_filenode(" + tx.quote(quoted) + "::regclass)")[0].as<long long>();
}

// Repack: the extension must be there; a probe takes the table lock by short attempts (so
// a long holder makes it give up the reader-friendly way, before the client starts); then
// the client rebuilds the table. Whether it did is judged by the table's file, not by the
// client's exit code (it may warn and skip a table yet exit 0).
void repack(const ConnectionParams& params, const VacuumOptions& options, const RetryPolicy& retry,
            const VacuumMessageSink& onMessage, const std::string& quoted, VacuumResult& result) {
  std::optional<std::string> installed, available;
  long long nodeBefore = 0;
  withRetry(params, retry, [&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    const auto ext = tx.exec("SELECT extversion FROM pg_extension WHERE extname = 'pg_repack'");
    if (!ext.empty()) installed = ext[0][0].as<std::string>();
    const auto avail = tx.exec("SELECT default_version FROM pg_available_extensions WHERE name = 'pg_repack'");
    if (!avail.empty()) available = avail[0][0].as<std::string>();
    tx.commit();
    nodeBefore = fileNode(conn, quoted);
  });
  if (!installed) {
    throw DbError(ErrorKind::Permanent, "",
                  std::string("the database \"") + params.dbname + "\" has no pg_repack extension" +
                      (available ? " (the server offers it: CREATE EXTENSION pg_repack, as a superuser)"
                                 : " and the server does not offer it (Debian: postgresql-15-repack)") +
                      ": " + kRepackMissingFix);
  }
  const char* path = std::getenv("PATH");
  const std::string client = findRepackClient(options.repackClient, path ? path : "");

  LockRetrySchedule schedule = scheduleFor(options);
  const auto start = Clock::now();
  bool granted = false;
  withRetry(params, retry, [&](pqxx::connection& conn) {
    granted = underLockRetries(conn, schedule, start, result.lockAttempts, [&](pqxx::connection& c, milliseconds t) {
      pqxx::work tx(c);
      tx.exec0("SET LOCAL lock_timeout = " + std::to_string(t.count()));
      tx.exec0("LOCK TABLE " + quoted + " IN ACCESS EXCLUSIVE MODE");
      tx.abort();  // a probe: the table is free now; the client takes its own locks
    });
  });
  if (!granted) {
    result.outcome = VacuumOutcome::GaveUp;
    result.message = gaveUpMessage(options, result.lockAttempts);
    return;
  }

  const auto began = Clock::now();
  const std::string secret = params.password.reveal().size() >= 4 ? params.password.reveal() : std::string();
  const ChildResult child =
      runChild(client, repackArguments(options.table, options.lockTimeout), repackEnvironment(params), secret,
               [&](const std::string& line) {
                 if (onMessage) onMessage("pg_repack: " + line);
               });
  result.durationSeconds = std::chrono::duration<double>(Clock::now() - began).count();

  long long nodeAfter = nodeBefore;
  withRetry(params, retry, [&](pqxx::connection& conn) { nodeAfter = fileNode(conn, quoted); });
  if (nodeAfter != nodeBefore) return;  // rebuilt
  if (child.output.find("timed out, do not cancel conflicting backends") != std::string::npos) {
    result.outcome = VacuumOutcome::GaveUp;
    result.message = "the repack of \"" + options.table +
                     "\" gave up: pg_repack could not take its brief ACCESS EXCLUSIVE lock within --lock-timeout " +
                     seconds(options.lockTimeout) +
                     " because other sessions are using the table; it dropped its copy and nothing was changed. "
                     "Run it in a quieter window or raise --lock-timeout";
    return;
  }
  std::string tail = child.output;
  if (tail.size() > 2000) tail = "..." + tail.substr(tail.size() - 2000);
  while (!tail.empty() && tail.back() == '\n') tail.pop_back();
  throw DbError(ErrorKind::Permanent, "",
                "pg_repack (" + client + ", exit code " + std::to_string(child.exitCode) + ") did not rebuild \"" +
                    options.table + "\"; nothing was changed. Its output: " + tail);
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

const char* toString(VacuumMethod method) {
  switch (method) {
    case VacuumMethod::Plain: return "Plain";
    case VacuumMethod::Full: return "Full";
    case VacuumMethod::Repack: return "Repack";
  }
  return "Unknown";
}

std::optional<VacuumMethod> parseVacuumMethod(const std::string& text) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "plain") return VacuumMethod::Plain;
  if (lower == "full") return VacuumMethod::Full;
  if (lower == "repack") return VacuumMethod::Repack;
  return std::nullopt;
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
  const bool rewrites = options.method != VacuumMethod::Plain;
  if (rewrites && options.lockTimeout.count() <= 0) {
    throw std::invalid_argument("--lock-timeout must be positive: a table rewrite never waits without a limit");
  }
  if (rewrites && options.lockAttempt.count() <= 0) {
    throw std::invalid_argument("--lock-attempt must be positive");
  }
  if (options.minDeadRatio && (*options.minDeadRatio < 0 || *options.minDeadRatio > 1)) {
    throw std::invalid_argument("--min-dead-ratio must be between 0 and 1");
  }

  VacuumResult result;
  result.table = options.table;
  result.method = options.method;
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

  switch (options.method) {
    case VacuumMethod::Plain:
      withRetry(params, retry, [&](pqxx::connection& conn) {
        MessageForwarder forward(conn, onMessage);
        pqxx::nontransaction tx(conn);  // autocommit: VACUUM refuses to run in a transaction block
        const auto start = Clock::now();
        tx.exec0("VACUUM (ANALYZE, VERBOSE) " + quoted);
        result.durationSeconds = std::chrono::duration<double>(Clock::now() - start).count();
      });
      break;
    case VacuumMethod::Full: vacuumFull(params, options, retry, onMessage, quoted, result); break;
    case VacuumMethod::Repack: repack(params, options, retry, onMessage, quoted, result); break;
  }
  if (result.gaveUp()) return result;

  result.after = statsWithRetry(params, retry, options.table);
  result.bytesReclaimed = result.before.totalBytes - result.after->totalBytes;
  result.outcome = VacuumOutcome::Completed;
  return result;
}

nlohmann::json toJson(const VacuumResult& r) {
  maintenance::VacuumSummary s;
  s.table = r.table;
  s.method = toString(r.method);
  s.outcome = toString(r.outcome);
  s.full = r.full();
  s.skipped = r.skipped();
  s.gaveUp = r.gaveUp();
  s.message = r.message;
  s.before = r.before;
  s.after = r.after;
  s.bytesReclaimed = r.bytesReclaimed;
  s.durationSeconds = r.durationSeconds;
  s.lockAttempts = r.lockAttempts;
  s.success = !r.gaveUp();
  return s;
}

}  // namespace pmo::db
