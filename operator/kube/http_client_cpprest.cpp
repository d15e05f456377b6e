// HttpClient over cpprestsdk (http_client.hpp states the guarantees).
#include <pplx/threadpool.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "common/log.hpp"
#include "kube/http_transport_cpprest.hpp"

namespace pmo::kube {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::method;
using web::http::client::http_client;
using web::http::client::http_client_config;

std::mutex gThreadsMu;
bool gThreadsInitialized = false;

std::string header(const http_response& resp, const char* name) {
  auto it = resp.headers().find(name);
  return it == resp.headers().end() ? "" : it->second;
}

}  // namespace

bool initializeHttpThreads(size_t threads) {
  std::lock_guard<std::mutex> lock(gThreadsMu);
  if (gThreadsInitialized) return false;
  gThreadsInitialized = true;
  try {
    crossplat::threadpool::initialize_with_threads(std::max<size_t>(threads, 1));
    return true;
  } catch (const std::exception&) {
    return false;  // another component used cpprest first; its pool stays
  }
}

HttpClient::Impl::Impl(ClusterConfig cfg, HttpClientOptions opts)
    : config(std::move(cfg)),
      options(std::move(opts)),
      limiter(options.qps, options.burst),
      tls(std::make_shared<TlsMaterial>(config)),
      client((initializeHttpThreads(2), web::uri(config.server)), clientConfig(options.requestTimeout)) {}

http_client_config HttpClient::Impl::clientConfig(std::chrono::seconds timeout) const {
  http_client_config cc;
  cc.set_timeout(timeout);
  cc.set_validate_certificates(!config.insecureSkipTLSVerify);
  std::shared_ptr<TlsMaterial> material = tls;
  cc.set_ssl_context_callback([material](boost::asio::ssl::context& ctx) { material->apply(ctx.native_handle()); });
  // No Nagle, as client-go: cpprest sends a request's header and body as separate writes,
  // and Nagle holds the body for the server's delayed ACK (40 ms on Linux) on every
  // create, update and patch. cpprest hands over the socket before each request; a new
  // connection's socket is not open yet and gets the option on its next request.
  const bool https = config.server.rfind("https://", 0) == 0;
  cc.set_nativehandle_options([https](web::http::client::native_handle handle) {
    if (handle == nullptr) return;
    auto& socket = https ? static_cast<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>*>(handle)->next_layer()
                         : *static_cast<boost::asio::ip::tcp::socket*>(handle);
    if (!socket.is_open()) return;
    boost::system::error_code ignored;
    socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
  });
  return cc;
}

void HttpClient::Impl::sleepFor(std::chrono::steady_clock::duration d) const {
  if (d <= std::chrono::steady_clock::duration::zero()) return;
  if (options.sleep) {
    options.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

http_response HttpClient::Impl::send(http_client& c, const HttpRequest& req, std::chrono::seconds timeout,
                                     const pplx::cancellation_token& cancel) {
  bool reauthenticated = false;
  for (int attempt = 0;; ++attempt) {
    sleepFor(limiter.reserve(RateLimiter::Clock::now()));
    if (options.beforeSend) options.beforeSend(req.verb, req.resource);
    http_request msg{method(req.method)};
    msg.set_request_uri(req.path);
    msg.headers().add("Accept", "application/json");
    msg.headers().add("User-Agent", options.userAgent);
    if (config.token) {
      Secret token = config.token->current();
      if (!token.empty()) msg.headers().add("Authorization", "Bearer " + token.reveal());
    }
    if (!req.body.empty()) msg.set_body(req.body, req.contentType);

    http_response resp;
    try {
      resp = c.request(msg, cancel).get();
    } catch (const std::exception& e) {
      if (options.onRequest) options.onRequest(req.verb, req.resource, 0);
      throw transportError(e, config, *tls, req, timeout);
    }
    int code = resp.status_code();
    if (options.onRequest) options.onRequest(req.verb, req.resource, code);
    if (code >= 200 && code < 300) return resp;

    std::string body;
    try {
      body = resp.extract_utf8string(true).get();
    } catch (const std::exception&) {
      body.clear();  // the code alone still classifies the error
    }
    ApiError error = errorFromResponse(code, body, header(resp, "Retry-After"));
    if (code == 401 && config.token && !config.token->path().empty() && !reauthenticated) {
      reauthenticated = true;  // the token may have rotated since we last read it
      config.token->invalidate();
      continue;
    }
    if (error.reason() == ErrorReason::TooManyRequests && attempt < options.maxRetriesOn429) {
      auto wait = std::min(error.retryAfter().value_or(options.defaultRetryAfter), options.maxRetryAfter);
      log::debug("API server asked to retry later",
                 {{"verb", req.verb}, {"resource", req.resource}, {"retryAfterSeconds", wait.count()}});
      sleepFor(wait);
      continue;
    }
    if (error.reason() == ErrorReason::Unauthorized) {
      throw ApiError(error.reason(), error.code(),
                     std::string(error.what()) + ": the API server " + config.server +
                         " refused the credentials" + (config.source.empty() ? "" : " from " + config.source) +
                         (config.token ? " (bearer token)" : ""),
                     error.retryAfter());
    }
    throw error;
  }
}

std::string HttpClient::Impl::execute(const HttpRequest& req) {
  http_response resp = send(client, req, options.requestTimeout);
  try {
    return resp.extract_utf8string(true).get();
  } catch (const std::exception& e) {
    throw transportError(e, config, *tls, req, options.requestTimeout);
  }
}

namespace {
Json parseObject(const std::string& body, const HttpRequest& req) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    throw ApiError(ErrorReason::Unknown, 200, req.verb + " " + req.resource + ": the API server's answer is not JSON");
  }
  return j;
}
}  // namespace

HttpClient::HttpClient(ClusterConfig config, HttpClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}

HttpClient::~HttpClient() = default;

const ClusterConfig& HttpClient::config() const { return impl_->config; }

Json HttpClient::get(const Resource& r, const std::string& ns, const std::string& name) {
  auto req = request::get(r, ns, name);
  return parseObject(impl_->execute(req), req);
}

Json HttpClient::list(const Resource& r, const std::string& ns, const ListOptions& opts) {
  auto req = request::list(r, ns, opts);
  return parseObject(impl_->execute(req), req);
}

Json HttpClient::create(const Resource& r, const std::string& ns, const Json& object) {
  auto req = request::create(r, ns, object);
  return parseObject(impl_->execute(req), req);
}

Json HttpClient::update(const Resource& r, const std::string& ns, const Json& object) {
  auto req = request::update(r, ns, object);
  return parseObject(impl_->execute(req), req);
}

Json HttpClient::updateStatus(const Resource& r, const std::string& ns, const Json& object) {
  auto req = request::updateStatus(r, ns, object);
  return parseObject(impl_->execute(req), req);
}

Json HttpClient::patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                       const Json& patchBody, bool statusSubresource) {
  auto req = request::patch(r, ns, name, type, patchBody, statusSubresource);
  return parseObject(impl_->execute(req), req);
}

void HttpClient::remove(const Resource& r, const std::string& ns, const std::string& name, Propagation propagation,
                        const std::optional<std::string>& preconditionResourceVersion) {
  impl_->execute(request::remove(r, ns, name, propagation, preconditionResourceVersion));
}

std::unique_ptr<WatchStream> HttpClient::watch(const Resource& r, const std::string& ns, const WatchOptions& opts) {
  return openWatch(*impl_, request::watch(r, ns, opts), opts.timeoutSeconds);
}

std::string HttpClient::getRaw(const std::string& path) { return impl_->execute(request::getRaw(path)); }

}  // namespace pmo::kube
