#include "runtime/leader_election.hpp"

#include <unistd.h>

#include <cstdio>
#include <random>

#include "common/log.hpp"
#include "runtime/time_format.hpp"

namespace pmo::runtime {

using kube::resources::kLeases;

namespace {
long seconds(Clock::Duration d) { return static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(d).count()); }
}  // namespace

std::string LeaderElector::defaultIdentity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  std::random_device rd;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(rd));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char uuid[37];
  std::snprintf(uuid, sizeof uuid, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return std::string(host) + "_" + uuid;
}

LeaderElector::LeaderElector(kube::Client& client, std::shared_ptr<Clock> clock, LeaderElectionOptions options,
                             LeaderCallbacks callbacks)
    : client_(client), clock_(std::move(clock)), options_(std::move(options)), callbacks_(std::move(callbacks)) {
  if (options_.identity.empty()) options_.identity = defaultIdentity();
}

LeaderElector::~LeaderElector() { stop(); }

bool LeaderElector::isLeader() const {
  return leading_.load() && clock_->now().time_since_epoch().count() < leaderUntil_.load();
}

void LeaderElector::leadUntilDeadlineFrom(Clock::TimePoint sentAt) {
  leaderUntil_ = (sentAt + options_.renewDeadline).time_since_epoch().count();
}

void LeaderElector::observe(const kube::Json& lease) {
  std::string spec = lease.value("spec", kube::Json::object()).dump();
  if (spec != observedSpec_) {
    observedSpec_ = std::move(spec);
    observedTime_ = clock_->now();
  }
  observed_ = lease;
  const std::string holder = lease.value("/spec/holderIdentity"_json_pointer, std::string());
  if (holder != reportedHolder_) {
    reportedHolder_ = holder;
    if (callbacks_.onNewLeader && !holder.empty()) callbacks_.onNewLeader(holder);
  }
}

// client-go's isLeaseValid: the record has changed within its leaseDurationSeconds of
// this node's monotonic clock. Another node's renewTime is never compared with our clock.
bool LeaderElector::observedLeaseValid(Clock::TimePoint now) const {
  const long duration = observed_.value("/spec/leaseDurationSeconds"_json_pointer, 0L);
  return observedTime_ + std::chrono::seconds(duration) > now;
}

bool LeaderElector::tryAcquireOrRenew() {
  const auto sentAt = clock_->now();
  const std::string nowText = formatMicroTime(clock_->wallNow());
  const auto deadline = Clock::TimePoint(Clock::Duration(leaderUntil_.load()));
  // A renewal that returns after the deadline does not count (client-go cancels it with
  // the renew deadline's context): leadership has already ended for the writers.
  auto succeeded = [&](const kube::Json& written) {
    observe(written);
    if (leading_ && clock_->now() >= deadline) {
      log::warn("lease renewal returned after the renew deadline", {{"lease", options_.leaseName}});
      return false;
    }
    leadUntilDeadlineFrom(sentAt);
    return true;
  };
  const std::string observedHolder = observed_.value("/spec/holderIdentity"_json_pointer, std::string());
  // Fast path while leading, as client-go's: renew the Lease as last written, guarded by
  // its resourceVersion, without reading it first (one request per renewal, not two).
  // Any failure (a conflict: someone else wrote it) falls back to reading it.
  if (observedHolder == options_.identity && observedLeaseValid(sentAt)) {
    kube::Json lease = observed_;
    lease["spec"]["renewTime"] = nowText;
    lease["spec"]["leaseDurationSeconds"] = seconds(options_.leaseDuration);
    try {
      return succeeded(client_.update(kLeases, options_.leaseNamespace, lease));
    } catch (const std::exception& e) {
      log::debug("lease renewal without a read failed; reading it", {{"lease", options_.leaseName}, {"error", e.what()}});
    }
  }
  try {
    kube::Json lease;
    try {
      lease = client_.get(kLeases, options_.leaseNamespace, options_.leaseName);
    } catch (const kube::ApiError& e) {
      if (e.reason() != kube::ErrorReason::NotFound) throw;
      kube::Json fresh{{"apiVersion", "coordination.k8s.io/v1"},
                       {"kind", "Lease"},
                       {"metadata", {{"name", options_.leaseName}, {"namespace", options_.leaseNamespace}}},
                       {"spec",
                        {{"holderIdentity", options_.identity},
                         {"leaseDurationSeconds", seconds(options_.leaseDuration)},
                         {"acquireTime", nowText},
                         {"renewTime", nowText},
                         {"leaseTransitions", 0}}}};
      return succeeded(client_.create(kLeases, options_.leaseNamespace, fresh));
    }
    observe(lease);
    kube::Json& spec = lease["spec"];
    const std::string holder = spec.value("holderIdentity", "");
    if (!holder.empty() && holder != options_.identity && observedLeaseValid(clock_->now())) {
      return false;  // held by another and seen changing within its lease duration
    }
    if (holder != options_.identity) {
      spec["acquireTime"] = nowText;
      spec["leaseTransitions"] = spec.value("leaseTransitions", 0L) + (holder.empty() ? 0 : 1);
    }
    spec["holderIdentity"] = options_.identity;
    spec["leaseDurationSeconds"] = seconds(options_.leaseDuration);
    spec["renewTime"] = nowText;
    return succeeded(client_.update(kLeases, options_.leaseNamespace, lease));  // guarded by resourceVersion
  } catch (const std::exception& e) {
    // Conflict: someone else wrote the lease first; the next attempt re-reads it.
    log::debug("lease attempt failed", {{"lease", options_.leaseName}, {"error", e.what()}});
    return false;
  }
}

void LeaderElector::release() {
  try {
    kube::Json lease = client_.get(kLeases, options_.leaseNamespace, options_.leaseName);
    kube::Json& spec = lease["spec"];
    if (spec.value("holderIdentity", "") != options_.identity) return;
    const std::string nowText = formatMicroTime(clock_->wallNow());
    spec["holderIdentity"] = "";
    spec["leaseDurationSeconds"] = 1;
    spec["renewTime"] = nowText;
    spec["acquireTime"] = nowText;
    client_.update(kLeases, options_.leaseNamespace, lease);
    log::info("released leader lease", {{"lease", options_.leaseName}, {"identity", options_.identity}});
  } catch (const std::exception& e) {
    log::warn("could not release leader lease", {{"lease", options_.leaseName}, {"error", e.what()}});
  }
}

void LeaderElector::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_ || stopped_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void LeaderElector::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (leading_) {
    release();
    becomeFollower();
  }
}

bool LeaderElector::sleepFor(Clock::Duration d) {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto deadline = clock_->now() + d;
  while (!stopped_ && clock_->now() < deadline) clock_->waitUntil(lock, cv_, deadline);
  return !stopped_;
}

void LeaderElector::becomeFollower() {
  leading_ = false;
  log::warn("stopped leading", {{"lease", options_.leaseName}, {"identity", options_.identity}});
  if (callbacks_.onStoppedLeading) callbacks_.onStoppedLeading();
}

void LeaderElector::run() {
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(1.0, 1.2);
  auto retryWait = [&] { return std::chrono::duration_cast<Clock::Duration>(options_.retryPeriod * jitter(rng)); };
  auto until = [&] { return Clock::TimePoint(Clock::Duration(leaderUntil_.load())); };
  while (true) {
    // Acquire: retry every retryPeriod (jittered) until the lease is ours.
    while (!tryAcquireOrRenew()) {
      if (!sleepFor(retryWait())) return;
    }
    leading_ = true;
    log::info("started leading", {{"lease", options_.leaseName}, {"identity", options_.identity}});
    if (callbacks_.onStartedLeading) callbacks_.onStartedLeading();
    // Renew every retryPeriod; retry a failed renewal every retryPeriod until the deadline
    // (renewDeadline after the last renewal was sent). No sleep runs past the deadline.
    bool renewed = true;
    while (renewed) {
      if (!sleepFor(std::min(options_.retryPeriod, until() - clock_->now()))) return;
      renewed = false;
      while (clock_->now() < until()) {
        if (tryAcquireOrRenew()) {
          renewed = true;
          break;
        }
        const std::string holder = observed_.value("/spec/holderIdentity"_json_pointer, std::string());
        if (!holder.empty() && holder != options_.identity) break;  // someone else holds it
        if (!sleepFor(std::min(options_.retryPeriod, until() - clock_->now()))) return;
      }
    }
    becomeFollower();
  }
}

}  // namespace pmo::runtime
