// The schedule by which VACUUM FULL and the repack's probe ask for a table lock: short
// attempts, jittered pauses, never past the budget.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "common/lock_retry.hpp"

namespace pmo {
namespace {

using std::chrono::milliseconds;

// Plays the schedule as if every attempt were refused after its full lock_timeout.
struct Played {
  int attempts = 0;
  milliseconds end{0};
  std::vector<milliseconds> pauses, timeouts;
};
Played playRefusals(LockRetrySchedule& s) {
  Played p;
  milliseconds t{0};
  while (auto attempt = s.nextAttempt(t)) {
    ++p.attempts;
    p.timeouts.push_back(*attempt);
    t += *attempt;
    const milliseconds pause = s.pauseAfterRefusal(t);
    p.pauses.push_back(pause);
    t += pause;
  }
  p.end = t;
  return p;
}

TEST(LockRetrySchedule, AttemptsAreShortAndNeverRunPastTheBudget) {
  LockRetrySchedule s({milliseconds(5000), milliseconds(50), milliseconds(150), milliseconds(400)}, 42);
  const Played p = playRefusals(s);
  EXPECT_LE(p.end, milliseconds(5000));
  EXPECT_GE(p.end, milliseconds(4950)) << "the whole budget is used";
  for (auto t : p.timeouts) {
    EXPECT_GT(t, milliseconds(0));
    EXPECT_LE(t, milliseconds(50)) << "a reader never waits longer than one attempt";
  }
  EXPECT_GE(p.attempts, 5000 / 450);
  EXPECT_LE(p.attempts, 5000 / 200 + 2);
}

TEST(LockRetrySchedule, PausesAreJitteredWithinTheirBoundsAndSeeded) {
  LockRetrySchedule a({milliseconds(60000), milliseconds(50), milliseconds(150), milliseconds(400)}, 7);
  LockRetrySchedule b({milliseconds(60000), milliseconds(50), milliseconds(150), milliseconds(400)}, 7);
  LockRetrySchedule c({milliseconds(60000), milliseconds(50), milliseconds(150), milliseconds(400)}, 8);
  std::set<long long> distinct;
  bool differs = false;
  for (int i = 0; i < 50; ++i) {
    const milliseconds pa = a.pauseAfterRefusal(milliseconds(1000));
    EXPECT_GE(pa, milliseconds(150));
    EXPECT_LE(pa, milliseconds(400));
    EXPECT_EQ(pa, b.pauseAfterRefusal(milliseconds(1000))) << "same seed, same schedule";
    differs = differs || pa != c.pauseAfterRefusal(milliseconds(1000));
    distinct.insert(pa.count());
  }
  EXPECT_GT(distinct.size(), 10u) << "jittered, so two runs do not retry in lockstep";
  EXPECT_TRUE(differs);
}

TEST(LockRetrySchedule, TheLastPauseLeavesRoomForALastAttempt) {
  LockRetrySchedule s({milliseconds(1000), milliseconds(50), milliseconds(300), milliseconds(300)}, 1);
  EXPECT_EQ(s.pauseAfterRefusal(milliseconds(800)), milliseconds(150));
  EXPECT_EQ(s.nextAttempt(milliseconds(950)), milliseconds(50));
  EXPECT_EQ(s.pauseAfterRefusal(milliseconds(980)), milliseconds(0));
  EXPECT_EQ(s.nextAttempt(milliseconds(980)), milliseconds(20)) << "shortened to what is left";
  EXPECT_EQ(s.nextAttempt(milliseconds(1000)), std::nullopt);
  EXPECT_EQ(s.nextAttempt(milliseconds(1200)), std::nullopt);
}

TEST(LockRetrySchedule, ABudgetShorterThanAnAttemptIsOneShortAttempt) {
  LockRetrySchedule s({milliseconds(30), milliseconds(50), milliseconds(150), milliseconds(400)}, 3);
  const Played p = playRefusals(s);
  EXPECT_EQ(p.attempts, 1);
  EXPECT_EQ(p.timeouts.front(), milliseconds(30));
}

TEST(LockRetrySchedule, RefusesPoliciesThatCouldWaitForever) {
  EXPECT_THROW(LockRetrySchedule({milliseconds(0), milliseconds(50), milliseconds(1), milliseconds(2)}, 1),
               std::invalid_argument);
  EXPECT_THROW(LockRetrySchedule({milliseconds(10), milliseconds(0), milliseconds(1), milliseconds(2)}, 1),
               std::invalid_argument);
  EXPECT_THROW(LockRetrySchedule({milliseconds(10), milliseconds(5), milliseconds(3), milliseconds(2)}, 1),
               std::invalid_argument);
}

}  // namespace
}  // namespace pmo
