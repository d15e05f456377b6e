// The purge's statements (statements.hpp documents their parameters).
#include "db/purge/statements.hpp"

#include "db/purge/internal.hpp"

namespace pmo::db::purge_detail {
namespace {

// Given `batch(ctid, id)` of event rows this statement has locked: their tag rows, locked
// without waiting; the events of which some tag row could not be locked (`blocked`); and
// the deletes of the rest. The DELETE of events re-checks the scope predicate.
std::string skipHeldDeletes(int cutoffParam) {
  return " tagrows AS MATERIALIZED (SELECT id, secretevent_id FROM api_secretevent_tags"
         " WHERE secretevent_id = ANY(ARRAY(SELECT id FROM batch)) FOR UPDATE SKIP LOCKED),"
         " blocked AS MATERIALIZED (SELECT DISTINCT secretevent_id AS id FROM api_secretevent_tags"
         " WHERE secretevent_id = ANY(ARRAY(SELECT id FROM batch)) AND id <> ALL(ARRAY(SELECT id FROM tagrows))),"
         " tags AS (DELETE FROM api_secretevent_tags WHERE id = ANY(ARRAY("
         "SELECT id FROM tagrows WHERE secretevent_id <> ALL(ARRAY(SELECT id FROM blocked)))) RETURNING 1),"
         " gone AS (DELETE FROM api_secretevent WHERE ctid = ANY(ARRAY("
         "SELECT ctid FROM batch WHERE id <> ALL(ARRAY(SELECT id FROM blocked)))) AND " + inScopePredicate(cutoffParam) +
         " RETURNING 1)";
}

// The in-scope rows of the TID range [$3, $4), oldest position first, at most $5.
std::string heapRange(const std::string& extraCondition, const std::string& lockClause) {
  return "SELECT ctid, id FROM api_secretevent WHERE ctid >= $3::tid AND ctid < $4::tid AND " + inScopePredicate(2) +
         extraCondition + " ORDER BY ctid LIMIT $5" + lockClause;
}

}  // namespace

std::string tsParam(int n) {
  return "(TIMESTAMPTZ 'epoch' + $" + std::to_string(n) + "::bigint * INTERVAL '1 microsecond')";
}

std::string inScopePredicate(int cutoffParam) {
  return "environment_id = ANY($1::text[]) AND event_type = 'R' AND \"timestamp\" <= " + tsParam(cutoffParam);
}

const std::string& heapBatchSql() {
  static const std::string chunk = "((ctid::text::point)[0]::bigint / " + std::to_string(kChunkBlocks) + ")";
  static const std::string sql =
      "WITH locked AS MATERIALIZED (SELECT c FROM generate_series($7::bigint, $8::bigint - 1) c"
      " WHERE pg_try_advisory_xact_lock(hashtext('pmo-purge:' || $6::text), c::int)),"
      " batch AS MATERIALIZED (" +
      heapRange(" AND ((SELECT count(*) FROM locked) = $8::bigint - $7::bigint OR " + chunk +
                    " = ANY(ARRAY(SELECT c FROM locked)))",
                "") +
      "),"
      " gone AS (DELETE FROM api_secretevent WHERE ctid = ANY(ARRAY(SELECT ctid FROM batch)) AND " + inScopePredicate(2) +
      " RETURNING id),"
      " tags AS (DELETE FROM api_secretevent_tags WHERE secretevent_id = ANY(ARRAY(SELECT id FROM gone)) RETURNING 1)"
      " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM tags), (SELECT count(*) FROM batch),"
      " (SELECT max(ctid)::text FROM batch), (SELECT coalesce(array_agg(c), '{}')::text FROM locked)";
  return sql;
}

const std::string& heapBatchSkipHeldSql() {
  static const std::string sql = "WITH batch AS MATERIALIZED (" + heapRange("", " FOR UPDATE SKIP LOCKED") + ")," +
                                 skipHeldDeletes(2) +
                                 " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM tags),"
                                 " (SELECT count(*) FROM batch), (SELECT max(ctid)::text FROM batch), NULL::text";
  return sql;
}

const std::string& sweepBatchSql() {
  static const std::string sql =
      "WITH batch AS MATERIALIZED ("
      " SELECT ctid, id, \"timestamp\" FROM api_secretevent WHERE " + inScopePredicate(4) +
      " AND \"timestamp\" >= " + tsParam(2) + " AND \"timestamp\" < " + tsParam(3) +
      " ORDER BY \"timestamp\" LIMIT $5 FOR UPDATE SKIP LOCKED)," + skipHeldDeletes(4) +
      " SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM tags), (SELECT count(*) FROM batch),"
      " (SELECT (extract(epoch FROM max(\"timestamp\")) * 1000000)::bigint FROM batch)";
  return sql;
}

const std::string& anyInScopeSql() {
  static const std::string sql = "SELECT EXISTS (SELECT 1 FROM api_secretevent WHERE " + inScopePredicate(2) + ")";
  return sql;
}

const std::string& countMatchingSql() {
  static const std::string sql =
      "SELECT environment_id, count(*), (extract(epoch FROM min(\"timestamp\")) * 1000000)::bigint "
      "FROM api_secretevent WHERE " + inScopePredicate(2) + " GROUP BY environment_id";
  return sql;
}

std::string sessionSetupSql(long long lockTimeoutMs, long long statementTimeoutMs) {
  return "SET lock_timeout = " + std::to_string(lockTimeoutMs) + "; SET statement_timeout = " +
         std::to_string(statementTimeoutMs) + "; SET TIME ZONE 'UTC'; SET max_parallel_workers_per_gather = 0";
}

std::string setLocalLockTimeoutSql(long long ms) { return "SET LOCAL lock_timeout = " + std::to_string(ms); }

}  // namespace pmo::db::purge_detail
