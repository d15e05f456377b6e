// The sweep: what the physical pass left behind (rows another transaction held while the
// pass went by, rows written into already-visited pages after the start), found through
// the (environment_id, timestamp) index and taken in timestamp windows.
//
// Guarantees: each batch locks its rows FOR UPDATE SKIP LOCKED and their tag rows the same
// way (never waits for anyone), deletes the events none of whose tag rows is held by
// another transaction and exactly those events' tag rows, in one autocommit statement;
// repeating a batch is harmless. The sweep only ever has a few rows to do, so the cost of the row
// locks does not matter here.
#include "db/purge/internal.hpp"
#include "db/purge/pacer.hpp"
#include "db/purge/statements.hpp"

namespace pmo::db::purge_detail {
namespace {

constexpr std::int64_t kMaxWindowMicros = std::int64_t{400} * 24 * 3600 * 1000000;  // 400 days

}  // namespace

bool sweepPass(RetryingSession& session, RunState& st, std::int64_t fromMicros, long long expectedRows) {
  const PurgeOptions& o = st.options;
  const std::int64_t cutoff = st.cutoffMicros;
  PurgePacer pacer(static_cast<double>(o.targetBatchDuration.count()), o.batchSizeCap, expectedRows,
                   std::max<std::int64_t>(1, cutoff - fromMicros + 1), kMaxWindowMicros);
  std::int64_t from = fromMicros;
  double lastBatchSeconds = 0;
  while (from <= cutoff) {
    if (st.pastDeadline(lastBatchSeconds)) return false;
    long long deleted = 0, tags = 0, locked = 0;
    std::int64_t maxTs = 0, to = 0;
    const auto t0 = Clock::now();
    session.run(
        [&](pqxx::connection& c) {
          const std::int64_t window = pacer.nextSpan();
          to = cutoff - from < window ? cutoff + 1 : from + window;
          pqxx::nontransaction tx(c);  // autocommit: the statement is the batch's transaction
          const pqxx::row r = tx.exec_params1(sweepBatchSql(), st.scope.environmentArray, from, to, cutoff, o.batchSizeCap);
          deleted = r[0].as<long long>();
          tags = r[1].as<long long>();
          locked = r[2].as<long long>();
          maxTs = r[3].is_null() ? 0 : r[3].as<std::int64_t>();
        },
        [&](const DbError& err) {
          if (err.sqlstate() == "57014") pacer.observeTimeout();  // statement timeout
        });
    lastBatchSeconds = secondsSince(t0);
    st.recordBatch(deleted, tags, lastBatchSeconds);
    const bool hitCap = locked >= o.batchSizeCap;
    pacer.observe(to - from, static_cast<long>(locked), hitCap, lastBatchSeconds * 1000.0);
    // At the cap, rows of the window may remain: resume at the last timestamp taken (its
    // other rows may remain). A full batch of rows that could not go (their tag rows are
    // held) all at that timestamp would come back every time: then step past it, and the
    // rows left there are counted at the end, never deleted by guess.
    from = !hitCap ? to : (deleted == 0 && maxTs <= from) ? from + 1 : std::max(from, maxTs);
    if (from <= cutoff && !st.backOff(pacer, lastBatchSeconds * 1000.0, 0, deleted)) return false;
    if (from <= cutoff && !st.pause(lastBatchSeconds)) return false;
  }
  return true;
}

}  // namespace pmo::db::purge_detail
