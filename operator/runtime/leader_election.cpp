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

bool LeaderElector::tryAcquireOrRenew() {
  const auto now = clock_->wallNow();
  const std::string nowText = formatMicroTime(now);
  // Fast path while leading, as client-go's: renew the Lease as last written, guarded by
  // its resourceVersion, without reading it first (one request per renewal, not two).
  // Any failure (a conflict: someone else wrote it) falls back to reading it.
  if (!held_.is_null() && heldRenewed_ + options_.leaseDuration > now) {
    kube::Json lease = held_;
    lease["spec"]["renewTime"] = nowText;
    try {
      held_ = client_.update(kLeases, options_.leaseNamespace, lease);
      heldRenewed_ = now;
      return true;
    } catch (const std::exception& e) {
      log::debug("lease renewal without a read failed; reading it", {{"lease", options_.leaseName}, {"error", e.what()}});
    }
  }
  held_ = nullptr;
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
      held_ = client_.create(kLeases, options_.leaseNamespace, fresh);
      heldRenewed_ = now;
      observedHolder_ = options_.identity;
      return true;
    }
    kube::Json& spec = lease["spec"];
    const std::string holder = spec.value("holderIdentity", "");
    if (holder != observedHolder_) {
      observedHolder_ = holder;
      if (callbacks_.onNewLeader && !holder.empty()) callbacks_.onNewLeader(holder);
    }
    if (!holder.empty() && holder != options_.identity) {
      const auto renew = parseTime(spec.value("renewTime", ""));
      const long duration = spec.value("leaseDurationSeconds", 0L);
      if (renew && *renew + std::chrono::seconds(duration) > now) return false;  // held by another, not expired
    }
    if (holder != options_.identity) {
      spec["acquireTime"] = nowText;
      spec["leaseTransitions"] = spec.value("leaseTransitions", 0L) + (holder.empty() ? 0 : 1);
    }
    spec["holderIdentity"] = options_.identity;
    spec["leaseDurationSeconds"] = seconds(options_.leaseDuration);
    spec["renewTime"] = nowText;
    held_ = client_.update(kLeases, options_.leaseNamespace, lease);  // guarded by metadata.resourceVersion
    heldRenewed_ = now;
    observedHolder_ = options_.identity;
    return true;
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
  while (true) {
    // Acquire: retry every retryPeriod (jittered) until the lease is ours.
    while (!tryAcquireOrRenew()) {
      if (!sleepFor(retryWait())) return;
    }
    leading_ = true;
    log::info("started leading", {{"lease", options_.leaseName}, {"identity", options_.identity}});
    if (callbacks_.onStartedLeading) callbacks_.onStartedLeading();
    // Renew every retryPeriod; give up once renewDeadline passed without a renewal.
    auto lastRenew = clock_->now();
    while (true) {
      if (!sleepFor(options_.retryPeriod)) return;  // stop() releases and notifies
      if (tryAcquireOrRenew()) {
        lastRenew = clock_->now();
        continue;
      }
      const bool otherHolder = !observedHolder_.empty() && observedHolder_ != options_.identity;
      if (otherHolder || clock_->now() - lastRenew >= options_.renewDeadline) break;
    }
    becomeFollower();
  }
}

}  // namespace pmo::runtime
