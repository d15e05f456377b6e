#include "controller/recovery_executor.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

#include "recovery_runner_fakes.hpp"
#include "support/eventually.hpp"

namespace pmo::controller {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

// A database per request key: "dead/..." keys hang until released (an unreachable host
// waits out its connect timeout), "refused/..." fail as unreachable, others succeed.
class FakeDatabases final : public ResetOnlyRecoveries {
 public:
  db::NetworkResetResult resetNetworkPolicies(const db::ConnectionParams&, const std::string& key,
                                              const std::vector<std::string>&) override {
    ++calls;
    if (key.rfind("dead/", 0) == 0) {
      std::unique_lock<std::mutex> lock(m_);
      ++hanging;
      cv_.wait(lock, [&] { return released_; });
      --hanging;
      throw RecoveryError(RecoveryError::Kind::Unreachable, "connection timed out");
    }
    if (key.rfind("refused/", 0) == 0) throw RecoveryError(RecoveryError::Kind::Unreachable, "connection refused");
    db::NetworkResetResult r;
    r.appliedAt = "2026-01-01T00:00:00Z";
    return r;
  }
  void release() {
    std::lock_guard<std::mutex> lock(m_);
    released_ = true;
    cv_.notify_all();
  }

  std::atomic<int> calls{0};
  std::atomic<int> hanging{0};

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool released_ = false;
};

RecoveryError::Kind kindOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const RecoveryError& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no RecoveryError";
  return RecoveryError::Kind::Failed;
}

struct Woken {
  std::mutex m;
  std::multiset<std::string> keys;
  void operator()(const std::string& k) {
    std::lock_guard<std::mutex> lock(m);
    keys.insert(k);
  }
  std::size_t count(const std::string& k) {
    std::lock_guard<std::mutex> lock(m);
    return keys.count(k);
  }
};

TEST(RecoveryExecutor, TwoDeadDatabasesDoNotHoldTheCallerNorAThirdResource) {
  FakeDatabases dbs;
  Woken woken;
  RecoveryExecutor exec(dbs, [&](const std::string& k) { woken(k); }, {3, 8, 3600s});
  const db::ConnectionParams params;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "dead/a/r/1", {}); }), RecoveryError::Kind::InProgress);
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "dead/b/r/1", {}); }), RecoveryError::Kind::InProgress);
  ASSERT_TRUE(eventually([&] { return dbs.hanging == 2; }));
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "ok/c/r/1", {}); }), RecoveryError::Kind::InProgress);
  ASSERT_TRUE(eventually([&] { return woken.count("ok/c/r/1") == 1; })) << "the live database's work ran";
  const auto result = exec.resetNetworkPolicies(params, "ok/c/r/1", {});
  EXPECT_EQ(result.appliedAt, "2026-01-01T00:00:00Z");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s) << "no call waited on a dead database";
  // While the dead ones hang, asking again neither blocks nor starts a second attempt.
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "dead/a/r/1", {}); }), RecoveryError::Kind::InProgress);
  EXPECT_EQ(dbs.calls, 3);
  dbs.release();
  ASSERT_TRUE(eventually([&] { return woken.count("dead/a/r/1") == 1 && woken.count("dead/b/r/1") == 1; }));
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "dead/a/r/1", {}); }), RecoveryError::Kind::Unreachable)
      << "the failure is handed to the next reconcile, once";
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "dead/a/r/1", {}); }), RecoveryError::Kind::InProgress)
      << "then a new attempt starts";
}

TEST(RecoveryExecutor, AFullQueueAnswersBusyInsteadOfBlocking) {
  FakeDatabases dbs;
  RecoveryExecutor exec(dbs, nullptr, {1, 1, 3600s});
  const db::ConnectionParams params;
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "dead/a/r/1", {}); }), RecoveryError::Kind::InProgress);
  ASSERT_TRUE(eventually([&] { return dbs.hanging == 1; }));
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "dead/b/r/1", {}); }), RecoveryError::Kind::InProgress)
      << "queued behind the running one";
  EXPECT_EQ(kindOf([&] { exec.resetNetworkPolicies(params, "dead/c/r/1", {}); }), RecoveryError::Kind::Busy);
  dbs.release();
}

}  // namespace
}  // namespace pmo::controller
