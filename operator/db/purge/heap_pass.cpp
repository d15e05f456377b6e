// The physical pass: the purge visits api_secretevent in heap order, a range of blocks per
// batch (TID Range Scan), so each page is read and dirtied once, whatever the number of
// environments, and none of the table's indexes is walked to find the rows.
//
// Guarantees:
//  * A batch deletes only rows matching the scope, event_type 'R' and timestamp <= cutoff,
//    checked again by the DELETE itself, and the tag rows of exactly the events it deleted
//    (from the DELETE's RETURNING). It is one statement in its own transaction (with a
//    SET LOCAL lock_timeout before it): all of it or nothing.
//    Deleting the events and their tags in one statement is safe with Phase's FK: it is
//    DEFERRABLE INITIALLY DEFERRED, checked at the commit, when both are gone.
//  * A batch never waits for another purge: it only touches chunks whose advisory lock it
//    got (pg_try_advisory_xact_lock, released at its commit); what it skipped is reported
//    back. Rows are written once, by the DELETE (no FOR UPDATE pass). A row held by anyone
//    else (an event or a tag row) makes it redo its range at once in the skip-held form.
//  * Repeating a batch (after a lost connection) is harmless: it finds what is left.
#include <cstdio>
#include <optional>

#include "db/purge/internal.hpp"
#include "db/purge/pacer.hpp"
#include "db/purge/statements.hpp"

namespace pmo::db::purge_detail {
namespace {

constexpr std::int64_t kMaxBatchChunks = 256;  // 8192 blocks (64 MB) at most per batch
// How long the heap batch may wait for a row lock before it is redone skipping held rows:
// long enough not to mistake a lock being released for a held one, short enough that no
// other transaction notices (PostgreSQL has no lock_timeout of 0: that means "forever").
constexpr long long kHeldRowWaitMs = 5;
const char* const kLockNotAvailable = "55P03";

struct Tid {
  std::int64_t block = 0;
  std::int64_t offset = 0;
  std::string text() const { return "(" + std::to_string(block) + "," + std::to_string(offset) + ")"; }
};

Tid parseTid(const std::string& s) {
  Tid t;
  long long b = 0, o = 0;
  if (std::sscanf(s.c_str(), "(%lld,%lld)", &b, &o) == 2) {
    t.block = b;
    t.offset = o;
  }
  return t;
}

// "{3,4,7}" -> {3, 4, 7}
std::set<std::int64_t> parseIntArray(const std::string& s) {
  std::set<std::int64_t> out;
  std::int64_t v = 0;
  bool in = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      v = v * 10 + (c - '0');
      in = true;
    } else if (in) {
      out.insert(v);
      v = 0;
      in = false;
    }
  }
  return out;
}

std::int64_t chunkOf(std::int64_t block) { return block / kChunkBlocks; }

}  // namespace

bool heapPass(RetryingSession& session, RunState& st, std::int64_t fromBlock, std::int64_t toBlock, long long expectedRows,
              std::set<std::int64_t>& skippedChunks) {
  const PurgeOptions& o = st.options;
  constexpr bool advisoryMode = true;  // the skip-held form only after a lock failure
  // Without an expected count (the start count runs beside the first batches), the first
  // batch covers kFirstSpanChunks chunks; the pacer grows it from there.
  constexpr std::int64_t kFirstSpanChunks = 4;
  PurgePacer pacer(static_cast<double>(o.targetBatchDuration.count()), o.batchSizeCap,
                   expectedRows > 0 ? expectedRows : PurgePacer::kFirstBatchRows,
                   expectedRows > 0 ? std::max<std::int64_t>(1, toBlock - fromBlock) : kFirstSpanChunks * kChunkBlocks,
                   kMaxBatchChunks * kChunkBlocks);
  Tid from{fromBlock, 0};
  double lastBatchSeconds = 0;
  while (from.block < toBlock) {
    if (st.pastDeadline(lastBatchSeconds)) return false;
    long long deleted = 0, tags = 0, rows = 0;
    Tid last;
    std::set<std::int64_t> locked;
    std::int64_t end = 0;
    // The heap batch writes each row once (no lock pass) but would wait for a row lock
    // held by someone else (a SELECT ... FOR UPDATE on an event or on one of its tag
    // rows). So it runs with a lock_timeout of a few milliseconds, and on a lock failure
    // the same range is done at once with the skip-held form: held rows, and events with
    // a held tag row, are left for the sweep and the next run, never waited on.
    bool advisory = advisoryMode;
    double commitMs = 0;
    const auto t0 = Clock::now();
    session.run(
        [&](pqxx::connection& c) {
          // Whole chunks: two purges then contend for the same chunk locks, never for rows.
          const std::int64_t want = from.block + pacer.nextSpan();
          end = std::min(toBlock, (want + kChunkBlocks - 1) / kChunkBlocks * kChunkBlocks);
          const Tid to{end, 0};
          if (st.monitor) st.monitor->setPurgePid(c.backendpid());
          std::optional<pqxx::row> r;
          if (advisory) {
            try {
              pqxx::work tx(c);
              tx.exec(setLocalLockTimeoutSql(kHeldRowWaitMs));
              r = tx.exec_params1(heapBatchSql(), st.scope.environmentArray, st.cutoffMicros, from.text(), to.text(),
                                  o.batchSizeCap, st.scope.organisationId, chunkOf(from.block), chunkOf(end - 1) + 1);
              const auto c0 = Clock::now();
              tx.commit();  // the deferred FK checks and the WAL flush: the commit latency signal
              commitMs = secondsSince(c0) * 1000.0;
            } catch (const pqxx::sql_error& e) {
              if (e.sqlstate() != kLockNotAvailable) throw;
              advisory = false;  // a held row: this range again, skipping what is held
            }
          }
          if (!advisory) {
            st.leftHeldRows = true;  // rows it skips are left for the sweep
            pqxx::nontransaction tx(c);  // autocommit: the statement is the batch's transaction
            r = tx.exec_params1(heapBatchSkipHeldSql(), st.scope.environmentArray, st.cutoffMicros, from.text(), to.text(),
                                o.batchSizeCap);
          }
          deleted = (*r)[0].as<long long>();
          tags = (*r)[1].as<long long>();
          rows = (*r)[2].as<long long>();
          if (!(*r)[3].is_null()) last = parseTid((*r)[3].as<std::string>());
          if (advisory) locked = parseIntArray((*r)[4].as<std::string>());
        },
        [&](const DbError& err) {
          if (err.sqlstate() == "57014") pacer.observeTimeout();  // statement timeout
          advisory = advisoryMode;
        });
    lastBatchSeconds = secondsSince(t0);
    st.recordBatch(deleted, tags, lastBatchSeconds);
    const bool hitCap = rows >= o.batchSizeCap;
    pacer.observe(end - from.block, static_cast<long>(rows), hitCap, lastBatchSeconds * 1000.0);
    if (advisory) {
      for (std::int64_t c = chunkOf(from.block); c <= chunkOf(end - 1); ++c)
        if (!locked.count(c)) skippedChunks.insert(c);
    }
    // At the cap, rows of the range may remain: resume just after the last one taken.
    from = hitCap ? Tid{last.block, last.offset + 1} : Tid{end, 0};
    if (from.block < toBlock && !st.backOff(pacer, lastBatchSeconds * 1000.0, commitMs, deleted)) return false;
    if (from.block < toBlock && !st.pause(lastBatchSeconds)) return false;
  }
  return true;
}

}  // namespace pmo::db::purge_detail
