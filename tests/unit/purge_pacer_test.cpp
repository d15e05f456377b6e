// The purge's batch sizing (operator/db/purge/pacer.hpp): batches converge on the target
// duration, ramp up quickly but boundedly, back off at once after a slow batch, and
// never plan more rows than the cap.
#include <gtest/gtest.h>

#include <cmath>

#include "db/purge/load_monitor.hpp"
#include "db/purge/pacer.hpp"

using pmo::db::PurgePacer;

namespace {

// A simulated database: a batch over `span` units costs fixed + perUnit * span ms and
// finds `density` rows per unit, at most `cap` of them.
struct Model {
  double fixedMs, perUnitMs, density;
  long cap;
  long rows(std::int64_t span) const { return std::min<long>(cap, std::lround(density * static_cast<double>(span))); }
  double ms(std::int64_t span) const {
    const double covered = rows(span) >= cap ? cap / density : static_cast<double>(span);
    return fixedMs + perUnitMs * covered;
  }
};

TEST(PurgePacer, FirstSpanAimsAtAThousandRowsFromTheHint) {
  const PurgePacer p(500, 20000, 700000, 100000, 8192);  // 7 rows per unit
  EXPECT_EQ(p.nextSpan(), 142);                           // 1000 / 7
  const PurgePacer small(500, 50, 700000, 100000, 8192);  // the cap is smaller: start at it
  EXPECT_EQ(small.nextSpan(), 7);
  const PurgePacer noHint(500, 20000, 0, 0, 8192);
  EXPECT_EQ(noHint.nextSpan(), 8192);
}

TEST(PurgePacer, GrowsAtMostFourfoldPerBatchWhileFast) {
  PurgePacer p(500, 1000000, 7000, 1000, 1 << 30);
  std::int64_t span = p.nextSpan();
  for (int i = 0; i < 5; ++i) {
    p.observe(span, static_cast<long>(span * 7), false, 1.0);  // far faster than the target
    EXPECT_LE(p.nextSpan(), 4 * span);
    EXPECT_GT(p.nextSpan(), span);
    span = p.nextSpan();
  }
}

TEST(PurgePacer, ConvergesOnTheTargetDuration) {
  const Model m{20, 0.05, 7, 1000000};
  PurgePacer p(500, m.cap, 700000, 100000, 1 << 20);
  double last = 0;
  int batches = 0;
  for (; batches < 30; ++batches) {
    const std::int64_t span = p.nextSpan();
    last = m.ms(span);
    p.observe(span, m.rows(span), false, last);
    if (batches >= 4 && std::abs(last - 500) < 50) break;
  }
  EXPECT_LT(batches, 12) << "ramp-up took too long";
  EXPECT_NEAR(last, 500, 50);
}

TEST(PurgePacer, ShrinksAtOnceAfterASlowBatch) {
  PurgePacer p(500, 1000000, 7000, 1000, 1 << 20);
  p.observe(10000, 70000, false, 200);  // settled and fast
  p.observe(10000, 70000, false, 200);
  p.observe(10000, 70000, false, 2000);  // then four times the target (a checkpoint, a neighbour)
  EXPECT_LE(p.nextSpan(), 2500);         // 500 ms at this batch's speed, not a smoothed one
  EXPECT_GE(p.nextSpan(), 2400);
}

TEST(PurgePacer, NeverPlansMoreRowsThanTheCap) {
  PurgePacer p(10000, 5000, 7000, 1000, 1 << 20);  // a long target: the cap binds
  for (int i = 0; i < 10; ++i) {
    const std::int64_t span = p.nextSpan();
    const long rows = std::min<long>(5000, static_cast<long>(span * 7));
    p.observe(span, rows, rows >= 5000, 10.0);
    EXPECT_LE(p.nextSpan() * 7, 5000 + 7) << "batch " << i;
  }
}

TEST(PurgePacer, ASpanThatStoppedAtTheCapDoesNotGrow) {
  PurgePacer p(500, 100, 7000, 1000, 1 << 20);
  p.observe(50, 100, true, 1.0);
  EXPECT_LE(p.nextSpan(), 50);
}

TEST(PurgePacer, EmptySpansAreSteppedOverQuickly) {
  PurgePacer p(500, 1000000, 7000, 1000, 1 << 20);
  std::int64_t span = p.nextSpan();
  for (int i = 0; i < 3; ++i) {
    p.observe(span, 0, false, 2.0);
    EXPECT_EQ(p.nextSpan(), 4 * span);
    span = p.nextSpan();
  }
}

TEST(PurgePacer, StatementTimeoutQuartersTheSpan) {
  PurgePacer p(500, 20000, 7000, 1000, 1 << 20);
  p.observe(1000, 7000, false, 100);
  const std::int64_t before = p.nextSpan();
  p.observeTimeout();
  EXPECT_EQ(p.nextSpan(), before / 4);
}

TEST(PurgePacer, SpansStayWithinOneAndTheMaximum) {
  PurgePacer p(500, 20000, 1, 1000000000, 8192);  // hardly any rows: wants a huge span
  EXPECT_EQ(p.nextSpan(), 8192);
  p.observe(8192, 0, false, 0.0);
  EXPECT_EQ(p.nextSpan(), 8192);
  p.observe(1, 1, false, 1e9);  // absurdly slow
  EXPECT_EQ(p.nextSpan(), 1);
  for (int i = 0; i < 3; ++i) p.observeTimeout();
  EXPECT_EQ(p.nextSpan(), 1);
}

}  // namespace

// The back-off decision (issue 13, "Gentle").
namespace {
using pmo::db::decideBackoff;
using pmo::db::GentleLimits;
using pmo::db::LoadSignals;

TEST(PurgeBackoff, NoSignalNoPauseEvenWithoutStandbys) {
  const auto b = decideBackoff(400, LoadSignals{}, GentleLimits{});
  EXPECT_EQ(b.pauseMs, 0);
  EXPECT_EQ(b.spanFactor, 1.0);
  EXPECT_STREQ(b.reason, "");
  LoadSignals normal;
  normal.commitMs = 120;
  normal.commitBaselineMs = 100;  // a little slower than usual is not a signal
  EXPECT_EQ(decideBackoff(400, normal, GentleLimits{}).pauseMs, 0);
}

TEST(PurgeBackoff, AReplicaBehindTheBoundPausesForTheExcessAndHalvesTheBatch) {
  LoadSignals s;
  s.standbys = 1;
  s.replicationLagSeconds = 13;
  const auto b = decideBackoff(400, s, GentleLimits{});  // bound 10 s
  EXPECT_EQ(b.pauseMs, 3000);
  EXPECT_EQ(b.spanFactor, 0.5);
  EXPECT_NE(std::string(b.reason).find("replication lag"), std::string::npos);
  s.replicationLagSeconds = 9;  // within the bound
  EXPECT_EQ(decideBackoff(400, s, GentleLimits{}).pauseMs, 0);
  s.replicationLagSeconds = 60;  // never longer than maxPauseMs at once
  EXPECT_EQ(decideBackoff(400, s, GentleLimits{}).pauseMs, 10000);
  GentleLimits off;
  off.maxReplicationLagSeconds = 0;
  EXPECT_EQ(decideBackoff(400, s, off).pauseMs, 0);
}

TEST(PurgeBackoff, SessionsWaitingOnItsLocksHalveTheBatchAndGetAPause) {
  LoadSignals s;
  s.blockedByUs = 2;
  const auto b = decideBackoff(300, s, GentleLimits{});
  EXPECT_EQ(b.pauseMs, 300);
  EXPECT_EQ(b.spanFactor, 0.5);
  EXPECT_NE(std::string(b.reason).find("wait on its locks"), std::string::npos);
}

TEST(PurgeBackoff, WalWaitersAndSlowCommitsPauseInProportionAtMostTwoBatches) {
  LoadSignals s;
  s.walWaiters = 1;
  EXPECT_EQ(decideBackoff(400, s, GentleLimits{}).pauseMs, 200);
  s.walWaiters = 10;
  EXPECT_EQ(decideBackoff(400, s, GentleLimits{}).pauseMs, 800);
  EXPECT_EQ(decideBackoff(400, s, GentleLimits{}).spanFactor, 1.0);
  LoadSignals c;
  c.commitBaselineMs = 100;
  c.commitMs = 450;  // 1.5x over the 3x bound
  const auto b = decideBackoff(400, c, GentleLimits{});
  EXPECT_EQ(b.pauseMs, 400);
  EXPECT_NE(std::string(b.reason).find("commits are slow"), std::string::npos);
  c.commitMs = 100000;
  EXPECT_EQ(decideBackoff(400, c, GentleLimits{}).pauseMs, 800);
}

TEST(PurgeBackoff, ShrinkNarrowsTheNextSpanButNeverBelowOne) {
  PurgePacer p(500, 20000, 0, 0, 8192);
  p.shrink(0.5);
  EXPECT_EQ(p.nextSpan(), 4096);
  p.shrink(1.5);  // never widens
  EXPECT_EQ(p.nextSpan(), 4096);
  for (int i = 0; i < 20; ++i) p.shrink(0.01);
  EXPECT_EQ(p.nextSpan(), 1);
}
}  // namespace

// The load monitor's WAL signal (db/purge/load_monitor.hpp): a queue seen in one sample
// only is not pressure; waiters seen in two samples are, counted by the smaller of the two.
TEST(PurgeLoadMonitor, WalWaitersCountOnlyWhenSeenInTwoSamples) {
  pmo::db::purge_detail::WalTally t;
  EXPECT_EQ(t.persistent(), 0);
  t.add(0);
  t.add(3);
  t.add(0);
  EXPECT_EQ(t.persistent(), 0) << "one sample saw a queue: noise";
  t.add(1);
  EXPECT_EQ(t.persistent(), 1);
  t.add(2);
  EXPECT_EQ(t.persistent(), 2);
  t.add(5);
  EXPECT_EQ(t.persistent(), 3);
  t.reset();
  EXPECT_EQ(t.persistent(), 0);
}
