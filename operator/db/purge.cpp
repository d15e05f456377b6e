// The purge loop. How it is faster and gentler than Phase's (phase-facts.md):
//  * one pass over the timeline for ALL of the scope's environments at once, in
//    timestamp order (which is the heap's physical order for an append-only log), so
//    each heap page is dirtied once, not once per environment;
//  * one statement per batch: lock the batch's rows with SKIP LOCKED, delete their tag
//    rows, delete them, return counts; it runs in autocommit, so the batch is its own
//    transaction and costs one round trip;
//  * batches are windows of the timeline sized by PurgePacer to a target duration.
#include <algorithm>
#include <thread>

#include "db/purge_internal.hpp"
#include "db/purge_pacer.hpp"

namespace pmo::db {
namespace {

using Clock = std::chrono::steady_clock;
using purge_detail::tsParam;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A connection that reconnects and retries transient errors; session settings (lock
// and statement timeouts) are applied on every (re)connect.
class RetryingSession {
 public:
  RetryingSession(const ConnectionParams& params, const PurgeOptions& options, const RetryFn& onRetry)
      : params_(params), options_(options), onRetry_(onRetry) {}

  template <typename Work>
  void run(Work&& work, const std::function<void(const DbError&)>& beforeRetry = nullptr) {
    for (int attempt = 1;; ++attempt) {
      try {
        if (!conn_) open();
        work(*conn_);
        return;
      } catch (const PurgeError&) {
        throw;  // a scope problem, not a database failure: never retried
      } catch (const std::invalid_argument&) {
        throw;
      } catch (...) {
        DbError err = classifyCurrentException(params_);
        if (!err.transient() || attempt >= options_.retry.attempts) throw err;
        if (onRetry_) onRetry_(err, attempt);
        if (beforeRetry) beforeRetry(err);
        conn_.reset();
        std::this_thread::sleep_for(options_.retry.base * (1 << std::min(attempt - 1, 5)));
      }
    }
  }

 private:
  void open() {
    conn_ = connect(params_);
    pqxx::nontransaction tx(*conn_);
    tx.exec("SET lock_timeout = " + std::to_string(options_.lockTimeout.count()) + "; SET statement_timeout = " +
            std::to_string(options_.statementTimeout.count()) + "; SET TIME ZONE 'UTC'");
  }
  const ConnectionParams& params_;
  const PurgeOptions& options_;
  RetryFn onRetry_;
  std::unique_ptr<pqxx::connection> conn_;
};

// One batch: rows of the window [from, to), at or before the cutoff, at most `cap`,
// oldest first, skipping rows locked by others. Tag rows go first within the statement;
// the deferred FK checks run at its commit. Events are deleted by ctid (a TID scan: the
// rows are locked by this statement, so they cannot move) and tags through their
// secretevent_id index: never a join that would scan either table.
const std::string& batchSql() {
  static const std::string sql =
      "WITH batch AS MATERIALIZED ("
      " SELECT ctid, id, \"timestamp\" FROM api_secretevent"
      " WHERE environment_id = ANY($1::text[]) AND event_type = 'R'"
      " AND \"timestamp\" >= " + tsParam(2) + " AND \"timestamp\" < " + tsParam(3) + " AND \"timestamp\" <= " + tsParam(4) +
      " ORDER BY \"timestamp\" LIMIT $5 FOR UPDATE SKIP LOCKED),"
      " tags AS (DELETE FROM api_secretevent_tags WHERE secretevent_id = ANY(ARRAY(SELECT id FROM batch)) RETURNING 1),"
      " gone AS (DELETE FROM api_secretevent WHERE ctid = ANY(ARRAY(SELECT ctid FROM batch)) RETURNING 1)"
      " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM tags), (SELECT count(*) FROM batch),"
      " (SELECT (extract(epoch FROM max(\"timestamp\")) * 1000000)::bigint FROM batch)";
  return sql;
}

struct PassState {
  PurgeResult& result;
  long long total;
  Clock::time_point started;
};

bool pastDeadline(const PurgeOptions& o, double nextBatchSeconds) {
  if (!o.deadline) return false;
  const auto next = std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                            std::chrono::duration<double>(nextBatchSeconds));
  return next > *o.deadline;
}

// Walks [fromMicros, cutoff] once. Returns false when it stopped for the deadline.
bool purgePass(RetryingSession& session, const PurgeOptions& o, const purge_detail::Scope& scope, std::int64_t fromMicros,
               std::int64_t cutoffMicros, long long expectedRows, PassState& st, const ProgressFn& progress) {
  PurgePacer pacer(static_cast<double>(o.targetBatchDuration.count()), o.batchSizeCap, expectedRows,
                   std::max<std::int64_t>(1, cutoffMicros - fromMicros + 1));
  std::int64_t from = fromMicros;
  std::int64_t window = pacer.nextWindow();
  double lastBatchSeconds = 0;
  while (from <= cutoffMicros) {
    if (pastDeadline(o, lastBatchSeconds)) return false;
    const std::int64_t to = cutoffMicros - from < window ? cutoffMicros + 1 : from + window;
    long long deleted = 0, tags = 0, locked = 0;
    std::int64_t maxTs = 0;
    const auto t0 = Clock::now();
    session.run(
        [&](pqxx::connection& c) {
          pqxx::nontransaction tx(c);  // autocommit: the statement is the batch's transaction
          const pqxx::row r =
              tx.exec_params1(batchSql(), scope.environmentArray, from, to, cutoffMicros, o.batchSizeCap);
          deleted = r[0].as<long long>();
          tags = r[1].as<long long>();
          locked = r[2].as<long long>();
          maxTs = r[3].is_null() ? 0 : r[3].as<std::int64_t>();
        },
        [&](const DbError& err) {
          if (err.sqlstate() == "57014") window = std::max<std::int64_t>(1, window / 4);  // statement timeout
        });
    lastBatchSeconds = secondsSince(t0);
    const bool hitCap = locked >= o.batchSizeCap;
    st.result.deleted += deleted;
    st.result.tagRowsDeleted += tags;
    st.result.batches += 1;
    st.result.longestBatchSeconds = std::max(st.result.longestBatchSeconds, lastBatchSeconds);
    pacer.observe(to - from, static_cast<long>(locked), hitCap, lastBatchSeconds * 1000.0);
    window = pacer.nextWindow();
    // At the cap, rows of the window may remain: resume at the last timestamp taken.
    from = hitCap ? std::max(from, maxTs) : to;
    if (progress) {
      PurgeProgress p;
      p.deleted = st.result.deleted;
      p.total = st.total;
      p.batches = st.result.batches;
      p.elapsedSeconds = secondsSince(st.started);
      p.rowsPerSecond = p.elapsedSeconds > 0 ? p.deleted / p.elapsedSeconds : 0;
      p.etaSeconds = p.rowsPerSecond > 0 ? std::max(0.0, (st.total - p.deleted) / p.rowsPerSecond) : 0;
      progress(p);
    }
    if (o.sleepBetweenBatches.count() > 0 && from <= cutoffMicros) {
      if (pastDeadline(o, std::chrono::duration<double>(o.sleepBetweenBatches).count() + lastBatchSeconds)) return false;
      std::this_thread::sleep_for(o.sleepBetweenBatches);
    }
  }
  return true;
}

}  // namespace

PurgeResult runPurge(const ConnectionParams& params, const PurgeOptions& o, const ProgressFn& progress,
                     const RetryFn& onRetry) {
  if (o.retainDays < 0) throw std::invalid_argument("--retain must be 0 or more days (got " + std::to_string(o.retainDays) + ")");
  if (o.batchSizeCap < 1) throw std::invalid_argument("--batch-size must be at least 1");
  if (o.organisation.empty()) throw std::invalid_argument("the organisation name is empty");
  const auto started = Clock::now();
  PurgeResult result;
  RetryingSession session(params, o, onRetry);

  // Scope, cutoff and counts: read-only, decided once.
  purge_detail::Scope scope;
  purge_detail::Matching matching;
  std::int64_t cutoff = 0;
  session.run([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    scope = purge_detail::resolveScope(tx, o.organisation, o.appId);
    const std::int64_t now = o.nowMicrosOverride
                                 ? *o.nowMicrosOverride
                                 : tx.exec1("SELECT (extract(epoch FROM now()) * 1000000)::bigint")[0].as<std::int64_t>();
    cutoff = now - static_cast<std::int64_t>(o.retainDays) * 86400LL * 1000000LL;
    matching = purge_detail::countMatching(tx, scope, cutoff);
  });
  result.organisationId = scope.organisationId;
  result.cutoff = purge_detail::rfc3339Micros(cutoff);
  result.nothingToDo = scope.appIds.empty();
  result.matchedAtStart = matching.total;
  result.environments = scope.environments;
  result.remaining = matching.total;
  if (o.dryRun || result.nothingToDo || matching.total == 0) {
    result.durationSeconds = secondsSince(started);
    return result;
  }

  PassState st{result, matching.total, started};
  std::int64_t from = matching.oldestMicros;
  long long expected = matching.total;
  // The first pass does the work; later passes only pick up rows another purge had
  // locked and then released without deleting (bounded: at most two more).
  for (int pass = 0; pass < 3; ++pass) {
    if (!purgePass(session, o, scope, from, cutoff, expected, st, progress)) {
      result.stoppedEarly = true;
      break;
    }
    session.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      purge_detail::Scope copy = scope;
      matching = purge_detail::countMatching(tx, copy, cutoff);
    });
    if (matching.total == 0) break;
    std::this_thread::sleep_for(o.targetBatchDuration);  // let the other purge's batch commit
    from = matching.oldestMicros;
    expected = matching.total;
  }
  if (result.stoppedEarly) {
    session.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      purge_detail::Scope copy = scope;
      matching = purge_detail::countMatching(tx, copy, cutoff);
    });
  }
  result.remaining = matching.total;
  result.durationSeconds = secondsSince(started);
  return result;
}

nlohmann::json purgeSummary(const PurgeOptions& o, const PurgeResult& r) {
  nlohmann::json j;
  j["organisation"] = o.organisation;
  j["appId"] = o.appId.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.appId);
  j["retainDays"] = o.retainDays;
  j["cutoff"] = r.cutoff;
  j["deleted"] = r.deleted;
  j["tagRowsDeleted"] = r.tagRowsDeleted;
  j["remaining"] = r.remaining;
  j["batches"] = r.batches;
  j["durationSeconds"] = r.durationSeconds;
  j["rowsPerSecond"] = r.durationSeconds > 0 ? r.deleted / r.durationSeconds : 0.0;
  j["longestBatchSeconds"] = r.longestBatchSeconds;
  j["dryRun"] = o.dryRun;
  if (o.dryRun) j["wouldDelete"] = r.matchedAtStart;
  j["nothingToDo"] = r.nothingToDo;
  j["stoppedEarly"] = r.stoppedEarly;
  j["success"] = true;
  return j;
}

}  // namespace pmo::db
