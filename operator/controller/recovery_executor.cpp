#include "controller/recovery_executor.hpp"

#include "common/log.hpp"

namespace pmo::controller {

RecoveryExecutor::RecoveryExecutor(RecoveryRunner& inner, std::function<void(const std::string&)> wake,
                                   RecoveryExecutorOptions options)
    : inner_(inner), wake_(std::move(wake)), options_(options) {
  for (int i = 0; i < std::max(1, options_.threads); ++i) threads_.emplace_back([this] { worker(); });
}

RecoveryExecutor::~RecoveryExecutor() { stop(); }

void RecoveryExecutor::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    queue_.clear();
    cv_.notify_all();
  }
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::size_t RecoveryExecutor::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

void RecoveryExecutor::pruneLocked(std::chrono::steady_clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.result && now - it->second.finishedAt > options_.resultTtl) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

RecoveryExecutor::Result RecoveryExecutor::resultOrSubmit(const std::string& key, std::function<Result()> work) {
  std::lock_guard<std::mutex> lock(mutex_);
  pruneLocked(std::chrono::steady_clock::now());
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (!it->second.result) {
      throw RecoveryError(RecoveryError::Kind::InProgress, "the recovery is running against the database");
    }
    Result out = std::move(*it->second.result);
    entries_.erase(it);
    return out;
  }
  if (stopping_) throw RecoveryError(RecoveryError::Kind::Busy, "the operator is stopping");
  if (queue_.size() >= options_.maxQueued) {
    throw RecoveryError(RecoveryError::Kind::Busy, "too many recoveries waiting for the database; retrying later");
  }
  entries_[key] = Entry{};
  queue_.emplace_back(key, std::move(work));
  cv_.notify_one();
  throw RecoveryError(RecoveryError::Kind::InProgress, "the recovery was queued");
}

void RecoveryExecutor::worker() {
  for (;;) {
    std::pair<std::string, std::function<Result()>> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    std::optional<Result> result;
    try {
      result = job.second();
    } catch (const RecoveryError& e) {
      result = e;
    } catch (const std::exception& e) {
      result = RecoveryError(RecoveryError::Kind::Failed, e.what());
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --running_;
      auto it = entries_.find(job.first);
      if (it != entries_.end()) {
        it->second.result = std::move(result);
        it->second.finishedAt = std::chrono::steady_clock::now();
      }
    }
    try {
      if (wake_) wake_(job.first.substr(job.first.find(':') + 1));  // the caller's request key
    } catch (const std::exception& e) {
      log::warn("could not wake the resource after its recovery", {{"key", job.first}, {"error", e.what()}});
    }
  }
}

namespace {
template <typename T, typename R>
T take(R&& result) {
  if (auto* e = std::get_if<RecoveryError>(&result)) throw *e;
  return std::get<T>(std::forward<R>(result));
}
}  // namespace

db::NetworkResetResult RecoveryExecutor::resetNetworkPolicies(const db::ConnectionParams& params,
                                                              const std::string& requestKey,
                                                              const std::vector<std::string>& organisations) {
  return take<db::NetworkResetResult>(resultOrSubmit("reset:" + requestKey, [this, params, requestKey, organisations] {
    return Result(inner_.resetNetworkPolicies(params, requestKey, organisations));
  }));
}

db::NetworkRestoreResult RecoveryExecutor::restoreNetworkPolicies(const db::ConnectionParams& params,
                                                                  const std::string& requestKey,
                                                                  const std::vector<db::PolicyChange>& changed) {
  return take<db::NetworkRestoreResult>(resultOrSubmit("restore:" + requestKey, [this, params, requestKey, changed] {
    return Result(inner_.restoreNetworkPolicies(params, requestKey, changed));
  }));
}

db::SsoDisableResult RecoveryExecutor::disableSso(const db::ConnectionParams& params, const std::string& requestKey,
                                                  const std::vector<std::string>& organisations,
                                                  bool disableProviders) {
  return take<db::SsoDisableResult>(
      resultOrSubmit("sso:" + requestKey, [this, params, requestKey, organisations, disableProviders] {
        return Result(inner_.disableSso(params, requestKey, organisations, disableProviders));
      }));
}

}  // namespace pmo::controller
