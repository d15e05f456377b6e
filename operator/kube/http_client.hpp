#pragma once
// Client over HTTPS (cpprestsdk behind this header; nothing here includes it).
//
// Guarantees:
// - TLS verifies the server against ClusterConfig::caPem only (the system roots when no
//   CA is configured); skipping verification happens only with insecureSkipTLSVerify.
// - The bearer token is read from the TokenSource on every request (rotation is seen
//   without a restart) and after a 401 from a token file, re-read and retried once.
// - Tokens, keys and the Authorization header never appear in errors or logs.
// - Every request waits on the client-side token bucket and has a timeout.
// - 429 is retried up to maxRetriesOn429 times, sleeping Retry-After (capped); then it
//   throws ApiError TooManyRequests with retryAfter so the caller can requeue.
// - Failures without a response are ConnectionRefused (or Timeout) naming the server URL;
//   a TLS verification failure says so and names the CA source.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kube/client.hpp"
#include "kube/config.hpp"

namespace pmo::kube {

struct HttpClientOptions {
  double qps = 20;   // client-side rate limit; <= 0 disables it
  int burst = 40;
  std::chrono::seconds requestTimeout{30};
  int maxRetriesOn429 = 3;
  std::chrono::seconds maxRetryAfter{30};   // a longer Retry-After is capped to this
  std::chrono::seconds defaultRetryAfter{1};  // when a 429 carries none
  std::string userAgent = "phase-maintenance-operator";
  // Called once per HTTP request sent (retries included): API verb, resource ("pods",
  // "phasemaintenances/status"), HTTP code or 0 when no response arrived.
  std::function<void(const std::string& verb, const std::string& resource, int code)> onRequest;
  // Asked before each attempt of a request is sent (after the rate limiter's wait, and
  // again before every 429 retry) with the API verb and resource; may throw to abandon
  // the request. The operator's leadership fence: no write leaves after leadership ended.
  std::function<void(const std::string& verb, const std::string& resource)> beforeSend;
  // How the client sleeps (rate limit, Retry-After); tests may record instead.
  std::function<void(std::chrono::steady_clock::duration)> sleep;
};

// Sizes cpprestsdk's shared thread pool. Effective only before its first use in the
// process (later calls, and calls after another component started it, do nothing and
// return false). HttpClient calls it with 2 threads; call it earlier to choose.
bool initializeHttpThreads(size_t threads);

class HttpClient : public Client {
 public:
  // Throws ConfigError when the CA, client certificate or key cannot be parsed.
  explicit HttpClient(ClusterConfig config, HttpClientOptions options = {});
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  Json get(const Resource& r, const std::string& ns, const std::string& name) override;
  Json list(const Resource& r, const std::string& ns, const ListOptions& opts = {}) override;
  Json create(const Resource& r, const std::string& ns, const Json& object) override;
  Json update(const Resource& r, const std::string& ns, const Json& object) override;
  Json updateStatus(const Resource& r, const std::string& ns, const Json& object) override;
  Json patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type, const Json& patch,
             bool statusSubresource = false) override;
  void remove(const Resource& r, const std::string& ns, const std::string& name,
              Propagation propagation = Propagation::Background,
              const std::optional<std::string>& preconditionResourceVersion = std::nullopt) override;
  std::unique_ptr<WatchStream> watch(const Resource& r, const std::string& ns, const WatchOptions& opts) override;
  std::string getRaw(const std::string& path) override;

  const ClusterConfig& config() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace pmo::kube
