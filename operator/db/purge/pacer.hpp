#pragma once
// Sizes the purge's batches. A batch covers a span of an ordered space: heap blocks in
// the physical pass, microseconds of the timeline in the sweep. The pacer widens or
// narrows the next span so that a batch takes about the target duration.
//
// Guarantees (unit tested, tests/unit/purge_pacer_test.cpp):
//  * the first span aims at kFirstBatchRows rows (or the row cap if smaller), from the
//    caller's hint of how many rows lie in how much span;
//  * a span grows at most kMaxGrowth times per batch, and only while batches are faster
//    than the target; after a batch slower than the target the next span shrinks at
//    once in proportion (no smoothing delays the correction);
//  * it never plans more rows than the cap at the measured density, and never grows a
//    span that stopped at the cap;
//  * spans stay within [1, maxSpan].
// Pure and header-only (no database, no clock): time and counts come in as numbers.
// decideBackoff, below, is the other half: how much to slow down when the database shows
// that the purge is hurting others.
#include <algorithm>
#include <cstdint>

namespace pmo::db {

class PurgePacer {
 public:
  static constexpr long kFirstBatchRows = 1000;  // small first step: measure before going big
  static constexpr double kMaxGrowth = 4.0;

  // `rowsHint` rows are expected over `spanHint` units; `maxSpan` bounds every span.
  PurgePacer(double targetMs, long rowCap, long long rowsHint, std::int64_t spanHint, std::int64_t maxSpan)
      : targetMs_(std::max(1.0, targetMs)), rowCap_(std::max(1L, rowCap)), maxSpan_(std::max<std::int64_t>(1, maxSpan)) {
    if (rowsHint > 0 && spanHint > 0) density_ = static_cast<double>(rowsHint) / static_cast<double>(spanHint);
    const double rows = std::min<double>(kFirstBatchRows, rowCap_);
    span_ = density_ > 0 ? clampSpan(rows / density_) : maxSpan_;
  }

  std::int64_t nextSpan() const { return span_; }
  long rowCap() const { return rowCap_; }
  double targetMs() const { return targetMs_; }

  // Feedback from a finished batch: the span it covered, the rows it removed, whether it
  // stopped at the row cap, and how long it took.
  void observe(std::int64_t span, long rows, bool hitCap, double elapsedMs) {
    span = std::max<std::int64_t>(1, span);
    elapsedMs = std::max(elapsedMs, 0.1);
    const double speed = static_cast<double>(span) / elapsedMs;  // span units per ms
    // Too slow: believe this batch alone. Fast enough: smooth out the noise.
    speed_ = (speed_ <= 0 || elapsedMs > targetMs_) ? speed : 0.5 * speed_ + 0.5 * speed;
    if (rows > 0 && !hitCap) {
      const double d = static_cast<double>(rows) / static_cast<double>(span);
      density_ = density_ <= 0 ? d : 0.5 * density_ + 0.5 * d;
    }
    double wanted = speed_ * targetMs_;
    if (elapsedMs <= targetMs_) wanted = std::min(wanted, kMaxGrowth * static_cast<double>(span));
    if (density_ > 0) wanted = std::min(wanted, static_cast<double>(rowCap_) / density_);
    if (hitCap) wanted = std::min(wanted, static_cast<double>(span));
    span_ = clampSpan(wanted);
  }

  // The last batch hit the statement timeout: a quarter of the span next time.
  void observeTimeout() { span_ = clampSpan(static_cast<double>(span_) / 4.0); }

  // The database is under pressure (decideBackoff): the next span by this factor (<= 1).
  void shrink(double factor) {
    if (factor < 1.0) span_ = clampSpan(static_cast<double>(span_) * std::max(0.05, factor));
  }

 private:
  std::int64_t clampSpan(double s) const {
    if (!(s >= 1.0)) return 1;
    if (s >= static_cast<double>(maxSpan_)) return maxSpan_;
    return static_cast<std::int64_t>(s);
  }
  double targetMs_;
  long rowCap_;
  std::int64_t maxSpan_;
  double speed_ = 0;    // span units per ms, smoothed
  double density_ = 0;  // rows per span unit, smoothed
  std::int64_t span_ = 1;
};

// What the purge sees of its effect on the database after a batch (db/purge/load_monitor).
struct LoadSignals {
  double commitMs = 0;          // this batch's COMMIT (deferred FK checks + WAL flush)
  double commitBaselineMs = 0;  // the purge's usual COMMIT for a batch this size; 0: unknown
  int blockedByUs = 0;          // sessions seen waiting on a lock the purge held, during the batch
  int walWaiters = 0;           // other sessions seen queued for WAL (LWLock WALWrite, WALInsert, ...)
  int standbys = 0;             // rows of pg_stat_replication
  double replicationLagSeconds = 0;  // the largest write/flush/replay lag among them
};

struct GentleLimits {
  double maxReplicationLagSeconds = 10;  // --max-replication-lag; <= 0: not watched
  double slowCommitFactor = 3;           // a COMMIT this many times its baseline is "slow"
  double maxPauseMs = 10000;             // the longest single pause
};

struct Backoff {
  double pauseMs = 0;       // sleep this long before the next batch
  double spanFactor = 1.0;  // and shrink the next batch by this factor
  const char* reason = "";  // the strongest reason, "" when none
};

// The purge's back-off decision after a batch of `batchMs`, pure (unit tested,
// tests/unit/purge_pacer_test.cpp). Guarantees:
//  * no signal, no back-off: without standbys, waiters or slow commits it never pauses;
//  * a replica behind more than the bound: pause for the excess (at least one batch) and
//    halve the batch, so the standby catches up before more WAL comes;
//  * sessions waiting on the purge's locks: halve the batch (locks held half as long) and
//    pause one batch's length, so they get through;
//  * others waiting on WAL, or its own COMMIT slower than slowCommitFactor x its baseline:
//    a pause in proportion (the I/O is shared), at most two batch lengths;
//  * pauses never exceed maxPauseMs; the strongest signal names the reason.
inline Backoff decideBackoff(double batchMs, const LoadSignals& s, const GentleLimits& limits) {
  Backoff b;
  batchMs = std::max(batchMs, 1.0);
  auto want = [&b](double pauseMs, double factor, const char* reason) {
    if (pauseMs > b.pauseMs) {
      b.pauseMs = pauseMs;
      b.reason = reason;
    }
    b.spanFactor = std::min(b.spanFactor, factor);
  };
  if (s.commitBaselineMs > 0 && s.commitMs > limits.slowCommitFactor * s.commitBaselineMs) {
    const double ratio = s.commitMs / (limits.slowCommitFactor * s.commitBaselineMs);
    want(batchMs * std::min(2.0, ratio - 1.0 + 0.5), 1.0, "its commits are slow (WAL flush or FK checks under load)");
  }
  if (s.walWaiters > 0) want(batchMs * std::min(2.0, 0.5 * s.walWaiters), 1.0, "other sessions wait on WAL");
  if (s.blockedByUs > 0) want(batchMs, 0.5, "other sessions wait on its locks");
  if (limits.maxReplicationLagSeconds > 0 && s.standbys > 0 && s.replicationLagSeconds > limits.maxReplicationLagSeconds)
    want(std::max(batchMs, 1000.0 * (s.replicationLagSeconds - limits.maxReplicationLagSeconds)), 0.5,
         "a standby's replication lag is over --max-replication-lag");
  b.pauseMs = std::min(b.pauseMs, limits.maxPauseMs);
  return b;
}

}  // namespace pmo::db
