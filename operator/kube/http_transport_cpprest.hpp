#pragma once
// Internal to the cpprest transport (http_client_cpprest.cpp, tls_cpprest.cpp,
// watch_stream_cpprest.cpp). The only header of the operator that includes cpprestsdk.
#include <cpprest/http_client.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kube/http_client.hpp"
#include "kube/rate_limiter.hpp"
#include "kube/request.hpp"

namespace pmo::kube {

// Certificates and key parsed once from the ClusterConfig, installed into every TLS
// context cpprest creates. Owns its OpenSSL objects.
class TlsMaterial {
 public:
  // Throws ConfigError naming the source when a PEM does not parse (never its bytes).
  explicit TlsMaterial(const ClusterConfig& config);
  ~TlsMaterial();
  TlsMaterial(const TlsMaterial&) = delete;
  TlsMaterial& operator=(const TlsMaterial&) = delete;
  // Replaces the context's trust store with the configured CAs (when any) and installs
  // the client certificate and key (when any).
  void apply(SSL_CTX* ctx) const;
  // After a failed handshake: connects once more with plain OpenSSL (3 s bound) and
  // returns the verification verdict in Go's words ("x509: certificate signed by unknown
  // authority"), or nullopt when the certificate verifies or no verdict was obtained.
  std::optional<std::string> diagnose(const std::string& host, const std::string& port) const;

 private:
  std::vector<X509*> cas_;
  std::vector<X509*> clientChain_;  // [0] is the leaf
  EVP_PKEY* key_ = nullptr;
};

// Maps an exception thrown by cpprest (no HTTP response) to ApiError.
ApiError transportError(const std::exception& e, const ClusterConfig& config, const TlsMaterial& tls,
                        const HttpRequest& req, std::chrono::seconds timeout);

struct HttpClient::Impl {
  Impl(ClusterConfig cfg, HttpClientOptions opts);

  web::http::client::http_client_config clientConfig(std::chrono::seconds timeout) const;
  // Sends `req` (rate limit, Authorization, one re-read of a rotated token after 401,
  // bounded 429 retries). Returns the 2xx response with its body unread; throws ApiError.
  web::http::http_response send(web::http::client::http_client& client, const HttpRequest& req,
                                std::chrono::seconds timeout,
                                const pplx::cancellation_token& cancel = pplx::cancellation_token::none());
  // send() on the shared client and read the whole body.
  std::string execute(const HttpRequest& req);
  void sleepFor(std::chrono::steady_clock::duration d) const;

  ClusterConfig config;
  HttpClientOptions options;
  RateLimiter limiter;
  std::shared_ptr<TlsMaterial> tls;
  web::http::client::http_client client;
};

std::unique_ptr<WatchStream> openWatch(HttpClient::Impl& impl, const HttpRequest& req, int timeoutSeconds);

}  // namespace pmo::kube
