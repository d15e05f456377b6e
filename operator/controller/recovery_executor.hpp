#pragma once
// Recoveries off the reconcile path: a RecoveryRunner that hands the database work to a
// small pool of its own threads, so a reconcile never waits on a database (an unreachable
// one costs two connect timeouts per attempt) and a dead database delays only the
// resource whose recovery it is.
//
// How the reconcile sees it: the first call for a request key queues the work and throws
// RecoveryError InProgress; when the work ends, wake(requestKey) is called (the operator
// enqueues the resource) and the next call for that key returns the result, or throws
// the RecoveryError the work ended with, once. A call while the work runs throws
// InProgress again. The result is handed out once; a later call starts a new attempt,
// which the database ledger answers without applying the change twice.
//
// Guarantees: at most `threads` recoveries run at once and at most `maxQueued` wait;
// beyond that a call throws Busy (retried with the controller's backoff) instead of
// blocking. Results nobody asked for within `resultTtl` are dropped. stop() (and the
// destructor) lets running work finish and drops what has not started.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "controller/recovery_runner.hpp"

namespace pmo::controller {

struct RecoveryExecutorOptions {
  int threads = 2;
  std::size_t maxQueued = 64;
  std::chrono::seconds resultTtl{3600};
};

class RecoveryExecutor final : public RecoveryRunner {
 public:
  RecoveryExecutor(RecoveryRunner& inner, std::function<void(const std::string& requestKey)> wake,
                   RecoveryExecutorOptions options = {});
  ~RecoveryExecutor() override;
  RecoveryExecutor(const RecoveryExecutor&) = delete;
  RecoveryExecutor& operator=(const RecoveryExecutor&) = delete;

  db::NetworkResetResult resetNetworkPolicies(const db::ConnectionParams& params, const std::string& requestKey,
                                              const std::vector<std::string>& organisations) override;
  db::NetworkRestoreResult restoreNetworkPolicies(const db::ConnectionParams& params, const std::string& requestKey,
                                                  const std::vector<db::PolicyChange>& changed) override;
  db::SsoDisableResult disableSso(const db::ConnectionParams& params, const std::string& requestKey,
                                  const std::vector<std::string>& organisations, bool disableProviders) override;

  void stop();
  std::size_t running() const;

 private:
  using Result = std::variant<db::NetworkResetResult, db::NetworkRestoreResult, db::SsoDisableResult, RecoveryError>;
  struct Entry {
    std::optional<Result> result;  // empty while queued or running
    std::chrono::steady_clock::time_point finishedAt;
  };
  // Returns the finished result for the key, or queues `work` and throws InProgress.
  Result resultOrSubmit(const std::string& key, std::function<Result()> work);
  void worker();
  void pruneLocked(std::chrono::steady_clock::time_point now);

  RecoveryRunner& inner_;
  std::function<void(const std::string&)> wake_;
  RecoveryExecutorOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, Entry> entries_;
  std::deque<std::pair<std::string, std::function<Result()>>> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace pmo::controller
