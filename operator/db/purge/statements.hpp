#pragma once
// Every statement the purge sends, by name, with its parameters beside it. The bodies are
// built once (static) from the same pieces, so the predicate that decides which rows go
// is written in exactly one place: kInScopePredicate.
//
// Guarantees of the statements that delete (heap batch, skip-held heap batch, sweep):
//  * an event goes only if it matches kInScopePredicate at the moment it is deleted (the
//    DELETE re-checks it), and a tag row goes only with its event, in the same statement;
//  * the skip-held forms never wait for a row lock: event rows another transaction holds
//    are skipped (FOR UPDATE SKIP LOCKED), and an event one of whose tag rows another
//    transaction holds is left whole (neither it nor any of its tag rows is deleted), since
//    deleting it would need that tag row (Phase's FK is ON DELETE NO ACTION);
//  * each returns one row: deleted events, deleted tag rows, rows the batch looked at,
//    where it ended, and (heap batch) the chunks it locked.
#include <string>

namespace pmo::db::purge_detail {

// "The timestamptz at parameter $N microseconds since the epoch": exact to the microsecond.
std::string tsParam(int n);

// Read events of the scope at or before the cutoff.
//   $1 text[]  the scope's environment ids
//   $N bigint  the cutoff, microseconds since the epoch (N given)
std::string inScopePredicate(int cutoffParam);

// The heap batch (ChunkAdvisory): deletes the in-scope rows of the TID range [$3, $4), at
// most $5, from the chunks among [$7, $8) whose advisory lock it gets; waits for a held
// row (run it with a tiny lock_timeout: a lock failure means "use the skip-held form").
//   $1 text[] environments  $2 bigint cutoff  $3 tid from  $4 tid to  $5 bigint row cap
//   $6 text organisation id (advisory key space)  $7 bigint first chunk  $8 bigint end chunk
//   returns deleted, tag rows, batch rows, max(ctid)::text, locked chunks as int[] text
const std::string& heapBatchSql();

// The heap batch, skip-held form: same range and cap, rows locked FOR UPDATE SKIP LOCKED,
// events with a held tag row left. No advisory locks (row locks keep two purges apart).
//   $1 environments  $2 cutoff  $3 tid from  $4 tid to  $5 row cap
//   returns deleted, tag rows, batch rows, max(ctid)::text, NULL
const std::string& heapBatchSkipHeldSql();

// The sweep batch: the scope's read events with timestamp in [$2, $3) and <= $4, oldest
// first, at most $5, through the (environment_id, timestamp) index; skip-held.
//   $1 environments  $2 bigint window start  $3 bigint window end  $4 bigint cutoff
//   $5 bigint row cap
//   returns deleted, tag rows, rows locked, max(timestamp) in microseconds (NULL if none)
const std::string& sweepBatchSql();

// Phase's scope (read-only). The organisation by exact name:
//   $1 text name  returns id
inline constexpr const char* kOrganisationByNameSql = "SELECT id FROM api_organisation WHERE name = $1";
// Every app of the organisation:  $1 text organisation id  returns id
inline constexpr const char* kAppsOfOrganisationSql = "SELECT id FROM api_app WHERE organisation_id = $1 ORDER BY id";
// The one app, if it is the organisation's:  $1 text organisation id  $2 text app id  returns id
inline constexpr const char* kAppOfOrganisationSql = "SELECT id FROM api_app WHERE organisation_id = $1 AND id = $2";
// The apps' environments:  $1 text[] app ids  returns app id, app name, environment id, name
inline constexpr const char* kEnvironmentsOfAppsSql =
    "SELECT a.id, a.name, e.id, e.name FROM api_environment e JOIN api_app a ON a.id = e.app_id "
    "WHERE a.id = ANY($1::text[]) ORDER BY a.name, a.id, e.index, e.name, e.id";

// Whether any row is in scope (stops at the first).  $1 environments  $2 cutoff
const std::string& anyInScopeSql();

// Per-environment count and oldest timestamp of the in-scope rows.
//   $1 environments  $2 cutoff
//   returns environment_id, count, min(timestamp) in microseconds
const std::string& countMatchingSql();

// The heap's extent in blocks. No parameters.
inline constexpr const char* kHeapBlocksSql =
    "SELECT pg_relation_size('api_secretevent') / current_setting('block_size')::bigint";

// The database's now(), microseconds since the epoch. No parameters.
inline constexpr const char* kNowMicrosSql = "SELECT (extract(epoch FROM now()) * 1000000)::bigint";

// Session settings applied on every (re)connect: lock and statement timeouts (ms, from the
// options), UTC, and no parallel workers: the purge's counts must not take CPU and I/O
// from Phase with extra processes.
std::string sessionSetupSql(long long lockTimeoutMs, long long statementTimeoutMs);

// Sets the transaction's lock_timeout to $ms (SET LOCAL: ends with the transaction).
std::string setLocalLockTimeoutSql(long long ms);

// The load monitor's session: short timeouts (a monitor never waits long), UTC.
inline constexpr const char* kMonitorSessionSql =
    "SET lock_timeout = 1000; SET statement_timeout = 2000; SET max_parallel_workers_per_gather = 0";

// Sessions the purge is hurting right now.
//   $1 int  the purge's backend pid
//   returns sessions waiting on a lock the purge holds, other sessions queued for WAL
//   (LWLock waits: for another process's WAL write to finish, for WAL buffer space; not
//   the IO wait of their own fsync, which every commit has)
inline constexpr const char* kWaitsCausedSql =
    "SELECT count(*) FILTER (WHERE wait_event_type = 'Lock' AND $1::int = ANY(pg_blocking_pids(pid)))::int,"
    " count(*) FILTER (WHERE wait_event_type = 'LWLock' AND wait_event IN ('WALWrite', 'WALInsert', 'WALBufMapping'))::int"
    " FROM pg_stat_activity WHERE pid <> $1::int AND pid <> pg_backend_pid() AND backend_type = 'client backend'";

// Standbys and the largest of their write, flush and replay lags, in seconds. No parameters.
inline constexpr const char* kReplicationLagSql =
    "SELECT count(*)::int, coalesce(extract(epoch FROM max(greatest(write_lag, flush_lag, replay_lag))), 0)::float8"
    " FROM pg_stat_replication";

}  // namespace pmo::db::purge_detail
