// The purge run. How it is faster and gentler than Phase's loop (phase-facts.md: its
// time goes to the visiting order, the row-lock pass and the WAL volume):
//  * one physical pass over the heap for ALL of the scope's environments at once
//    (db/purge/heap_pass.cpp): each page is read and dirtied once, rows are written once (no
//    lock pass), so fewer full-page images and less WAL;
//  * the first batch starts at once: the exact count of what is in scope at the start runs
//    on its own connection beside the first batches, from a snapshot taken before them
//    (StartCount), instead of delaying them by a scan of the scope;
//  * one autocommit statement per batch, batches sized by PurgePacer to a target duration;
//  * then only what the pass could not take: chunks another purge held, pages added since
//    the start, and a final exact count with a sweep through the index for the rest.
#include "db/purge/internal.hpp"
#include "db/purge/statements.hpp"

namespace pmo::db {
namespace purge_detail {

void RetryingSession::open() {
  conn_ = connect(params_);
  pqxx::nontransaction tx(*conn_);
  tx.exec(sessionSetupSql(options_.lockTimeout.count(), options_.statementTimeout.count()));
}

void RunState::adoptStartCount(bool wait) {
  if (!startCount || (!wait && !startCount->ready())) return;
  const std::optional<StartCount::Counts>& c = startCount->result();
  startCount = nullptr;
  if (!c) return;  // it failed: runPurge falls back at the end
  total = c->matching.total;
  totalKnown = true;
  result.matchedAtStart = total;
  result.environments = c->environments;
  result.remaining = std::max(0LL, total - result.deleted);
}

void RunState::recordBatch(long long deleted, long long tags, double seconds) {
  adoptStartCount(false);
  result.deleted += deleted;
  result.tagRowsDeleted += tags;
  result.batches += 1;
  if (totalKnown) result.remaining = std::max(0LL, total - result.deleted);  // exact again at the end
  result.longestBatchSeconds = std::max(result.longestBatchSeconds, seconds);
  if (!progress) return;
  PurgeProgress p;
  p.deleted = result.deleted;
  p.total = total;
  p.batches = result.batches;
  p.elapsedSeconds = secondsSince(started);
  p.rowsPerSecond = p.elapsedSeconds > 0 ? p.deleted / p.elapsedSeconds : 0;
  p.etaSeconds = totalKnown && p.rowsPerSecond > 0 ? std::max(0.0, (total - p.deleted) / p.rowsPerSecond) : 0;
  progress(p);
}

bool RunState::pastDeadline(double nextBatchSeconds) const {
  if (!options.deadline) return false;
  const auto next = std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                            std::chrono::duration<double>(nextBatchSeconds));
  return next > *options.deadline;
}

bool RunState::pause(double lastBatchSeconds) const {
  if (options.sleepBetweenBatches.count() <= 0) return true;
  if (pastDeadline(std::chrono::duration<double>(options.sleepBetweenBatches).count() + lastBatchSeconds)) return false;
  std::this_thread::sleep_for(options.sleepBetweenBatches);
  return true;
}

bool RunState::backOff(PurgePacer& pacer, double batchMs, double commitMs, long long rows) {
  if (!monitor) return true;
  const LoadSample seen = monitor->take();
  LoadSignals signals;
  signals.blockedByUs = seen.blockedByUs;
  signals.walWaiters = seen.walWaiters;
  signals.standbys = seen.standbys;
  signals.replicationLagSeconds = seen.replicationLagSeconds;
  constexpr long long kMinRowsForCommitBaseline = 500;  // below, the fixed cost of a COMMIT dominates
  if (commitMs > 0 && rows >= kMinRowsForCommitBaseline) {
    const double perRow = commitMs / static_cast<double>(rows);
    signals.commitMs = commitMs;
    signals.commitBaselineMs = commitMsPerRow * static_cast<double>(rows);
    commitMsPerRow = commitMsPerRow <= 0 ? perRow : std::min(perRow, commitMsPerRow * 1.02);
  }
  GentleLimits limits;
  limits.maxReplicationLagSeconds = std::chrono::duration<double>(options.maxReplicationLag).count();
  const Backoff b = decideBackoff(batchMs, signals, limits);
  pacer.shrink(b.spanFactor);
  if (b.pauseMs <= 0) return true;
  // Counted even when it stops the run (a pause past the deadline): the summary then says
  // why the run stopped early (backoffReason) as well as that it did.
  result.backoffs += 1;
  result.backoffReason = b.reason;
  if (pastDeadline(b.pauseMs / 1000.0 + batchMs / 1000.0)) return false;
  result.backoffSeconds += b.pauseMs / 1000.0;
  std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(b.pauseMs));
  return true;
}

}  // namespace purge_detail

namespace {

using namespace purge_detail;

std::int64_t heapBlocks(RetryingSession& session) {
  std::int64_t blocks = 0;
  session.run([&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    blocks = tx.exec1(kHeapBlocksSql)[0].as<std::int64_t>();
  });
  return blocks;
}

Matching recount(RetryingSession& session, const Scope& scope, std::int64_t cutoff) {
  Matching m;
  session.run([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    Scope copy = scope;
    m = countMatching(tx, copy, cutoff);
  });
  return m;
}

// Everything after the start: chunks skipped because another purge held them (retried
// a few times, a batch's length apart), pages added since the start, then an exact
// count and a sweep for what is still there. False when stopped for the deadline.
bool finish(RetryingSession& session, RunState& st, std::int64_t blocksAtStart, std::set<std::int64_t>& skipped,
            Matching& left) {
  for (int round = 0; round < 3 && !skipped.empty(); ++round) {
    std::this_thread::sleep_for(st.options.targetBatchDuration);  // let the other purge's batch commit
    const std::set<std::int64_t> chunks = std::move(skipped);
    skipped.clear();
    for (std::int64_t c : chunks)
      if (!heapPass(session, st, c * kChunkBlocks, (c + 1) * kChunkBlocks, 0, skipped)) return false;
  }
  const std::int64_t blocksNow = heapBlocks(session);
  if (blocksNow > blocksAtStart && !heapPass(session, st, blocksAtStart, blocksNow, 0, skipped)) return false;
  // Every page was visited, none was skipped and no row was held: nothing in scope is left
  // (rows written later carry later timestamps than the cutoff). No recount: reading the
  // freshly purged table again would prune its pages and write WAL for nothing.
  if (skipped.empty() && !st.leftHeldRows) {
    left = Matching{};
    return true;
  }
  left = recount(session, st.scope, st.cutoffMicros);
  for (int round = 0; round < 3 && left.total > 0; ++round) {
    if (round > 0) std::this_thread::sleep_for(st.options.targetBatchDuration);
    if (!sweepPass(session, st, left.oldestMicros, left.total)) return false;
    left = recount(session, st.scope, st.cutoffMicros);
  }
  return true;
}

}  // namespace

void runPurge(const ConnectionParams& params, const PurgeOptions& o, PurgeResult& result, const ProgressFn& progress,
              const RetryFn& onRetry) {
  if (o.retainDays < 0) throw std::invalid_argument("--retain must be 0 or more days (got " + std::to_string(o.retainDays) + ")");
  if (o.batchSizeCap < 1) throw std::invalid_argument("--batch-size must be at least 1");
  if (o.organisation.empty()) throw std::invalid_argument("the organisation name is empty");
  const auto started = Clock::now();
  result = PurgeResult{};
  // On every way out, a failure included, the result says how long the run took.
  struct Stopwatch {
    PurgeResult& r;
    Clock::time_point t0;
    ~Stopwatch() { r.durationSeconds = secondsSince(t0); }
  } stopwatch{result, started};
  RetryingSession session(params, o, onRetry);

  // Scope and cutoff: read-only, decided once. A dry run counts here; a real run only asks
  // whether anything is in scope, and counts beside its first batches (StartCount).
  Scope scope;
  Matching matching;
  std::int64_t cutoff = 0;
  bool anyInScope = false;
  session.run([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    scope = resolveScope(tx, o.organisation, o.appId);
    const std::int64_t now = o.nowMicrosOverride
                                 ? *o.nowMicrosOverride
                                 : tx.exec1(kNowMicrosSql)[0].as<std::int64_t>();
    cutoff = purgeCutoffMicros(now, o.retainDays);
    if (o.dryRun) {
      matching = countMatching(tx, scope, cutoff);
      anyInScope = matching.total > 0;
    } else if (!scope.environments.empty()) {
      anyInScope = tx.exec_params1(anyInScopeSql(), scope.environmentArray, cutoff)[0].as<bool>();
    }
  });
  result.organisationId = scope.organisationId;
  result.cutoff = rfc3339Micros(cutoff);
  result.nothingToDo = scope.appIds.empty();
  result.matchedAtStart = matching.total;
  result.environments = scope.environments;
  result.remaining = matching.total;
  if (o.dryRun || result.nothingToDo || !anyInScope) return;

  // Rows appended after this point lie beyond these blocks; finish() visits them.
  const std::int64_t blocks = heapBlocks(session);
  std::unique_ptr<LoadMonitor> monitor;
  if (o.backOffUnderLoad) monitor = std::make_unique<LoadMonitor>(params, std::chrono::milliseconds(250));
  RunState st{o, scope, cutoff, result, 0, started, progress, monitor.get()};
  StartCount startCount(params, o, scope, cutoff);  // its snapshot: now, before the first batch
  if (startCount.started()) {
    st.startCount = &startCount;
  } else {
    // No second connection: count here, before the first batch, as a count must.
    session.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      matching = countMatching(tx, scope, cutoff);
    });
    st.total = matching.total;
    st.totalKnown = true;
    result.matchedAtStart = matching.total;
    result.environments = scope.environments;
    result.remaining = matching.total;
  }
  std::set<std::int64_t> skipped;
  Matching left;
  try {
    const bool done = heapPass(session, st, 0, blocks, st.total, skipped) && finish(session, st, blocks, skipped, left);
    if (!done) {
      result.stoppedEarly = true;
      left = recount(session, scope, cutoff);
    }
  } catch (...) {
    st.adoptStartCount(true);  // a failure's summary: what was left of the count at the start
    throw;
  }
  st.adoptStartCount(true);
  // The start count failed (its connection was lost): what went plus what is left, which
  // equals it unless something else deleted rows of the scope meanwhile.
  if (!st.totalKnown) result.matchedAtStart = result.deleted + left.total;
  result.remaining = left.total;
  if (!result.stoppedEarly) result.skippedLocked = left.total;
}

PurgeResult runPurge(const ConnectionParams& params, const PurgeOptions& options, const ProgressFn& progress,
                     const RetryFn& onRetry) {
  PurgeResult result;
  runPurge(params, options, result, progress, onRetry);
  return result;
}

nlohmann::json purgeSummary(const PurgeOptions& o, const PurgeResult& r) {
  maintenance::PurgeSummary s;
  s.organisation = o.organisation;
  s.appId = o.appId;
  s.retainDays = o.retainDays;
  s.cutoff = r.cutoff;
  s.deleted = r.deleted;
  s.tagRowsDeleted = r.tagRowsDeleted;
  s.remaining = r.remaining;
  s.batches = r.batches;
  s.durationSeconds = r.durationSeconds;
  s.rowsPerSecond = r.durationSeconds > 0 ? r.deleted / r.durationSeconds : 0.0;
  s.longestBatchSeconds = r.longestBatchSeconds;
  s.dryRun = o.dryRun;
  s.wouldDelete = r.matchedAtStart;  // written only for a dry run
  s.nothingToDo = r.nothingToDo;
  s.matchedAtStart = r.matchedAtStart;
  s.backoffs = r.backoffs;
  s.backoffSeconds = r.backoffSeconds;
  s.backoffReason = r.backoffReason;
  s.stoppedEarly = r.stoppedEarly;
  if (o.deadline) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(o.deadline->time_since_epoch()).count();
    s.deadline = rfc3339Micros(us);  // --deadline or now + --max-duration, the earlier
    if (r.stoppedEarly) s.stopReason = "deadline: no batch starts that would end after it; the rest is left for the next run";
  }
  s.skippedLocked = r.skippedLocked;
  if (r.skippedLocked > 0)
    s.skippedReason = "held by another transaction (row locks on the events or their tag rows); left for the next run";
  s.success = true;
  return s;
}

std::int64_t purgeCutoffMicros(std::int64_t nowMicros, long retainDays) {
  constexpr std::int64_t kMicrosPerDay = 86400LL * 1000000LL;
  constexpr std::int64_t kYearOneMicros = -62135596800LL * 1000000LL;  // 0001-01-01T00:00:00Z
  const std::int64_t maxDays = (nowMicros - kYearOneMicros) / kMicrosPerDay;
  if (retainDays < 0 || retainDays > maxDays)
    throw std::invalid_argument("--retain " + std::to_string(retainDays) + " days reaches back before the year 1 (at most " +
                                std::to_string(maxDays) + " today; Phase refuses it too): nothing was deleted");
  return nowMicros - static_cast<std::int64_t>(retainDays) * kMicrosPerDay;
}

}  // namespace pmo::db
