// The probe/metrics server over cpprestsdk's http_listener: the only cpprest use in
// observability (docs/architecture.md, principle 4).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include <stdexcept>

#include "common/log.hpp"
#include "observability/http_server.hpp"
#include "observability/metrics.hpp"

namespace pmo::observability {

namespace http = web::http;

namespace {

// Asks the kernel for a free TCP port on `address` (cpprest cannot report the port it
// bound for port 0). A small window remains in which another process could take it.
int pickFreePort(const std::string& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = 0;
  if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("not an IPv4 address: " + address);
  }
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind " + address);
  }
  const int port = ntohs(sa.sin_port);
  ::close(fd);
  return port;
}

void sizeThreadPoolOnce(std::size_t threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    try {
      crossplat::threadpool::initialize_with_threads(threads);
    } catch (const std::exception&) {
      // Already initialised by another cpprest user: keep its size.
    }
  });
}

}  // namespace

struct ProbeServer::Impl {
  const Health& health;
  std::function<std::string()> renderMetrics;
  HttpServerOptions options;
  int port = 0;
  std::unique_ptr<http::experimental::listener::http_listener> listener;

  void handle(const http::http_request& req) const {
    const std::string path = req.relative_uri().path();
    if (req.method() != http::methods::GET) {
      req.reply(http::status_codes::MethodNotAllowed, "method not allowed\n", "text/plain; charset=utf-8");
      return;
    }
    try {
      if (path == "/healthz" || path == "/readyz") {
        const HealthStatus s = path == "/healthz" ? health.live() : health.ready();
        req.reply(s.ok ? http::status_codes::OK : http::status_codes::ServiceUnavailable, s.reason + "\n",
                  "text/plain; charset=utf-8");
      } else if (path == "/metrics") {
        req.reply(http::status_codes::OK, renderMetrics(), kExpositionContentType);
      } else {
        req.reply(http::status_codes::NotFound, "not found\n", "text/plain; charset=utf-8");
      }
    } catch (const std::exception& e) {
      log::error("probe handler failed", {{"path", path}, {"error", e.what()}});
      req.reply(http::status_codes::InternalError, "internal error\n", "text/plain; charset=utf-8");
    }
  }
};

ProbeServer::ProbeServer(const Health& health, std::function<std::string()> renderMetrics, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(Impl{health, std::move(renderMetrics), std::move(options), 0, nullptr})) {}

ProbeServer::~ProbeServer() { stop(); }

void ProbeServer::start() {
  if (impl_->listener) return;
  sizeThreadPoolOnce(impl_->options.threads);
  const std::string& address = impl_->options.address;
  impl_->port = impl_->options.port != 0 ? impl_->options.port : pickFreePort(address == "0.0.0.0" ? "127.0.0.1" : address);
  const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  const std::string uri = "http://" + host + ":" + std::to_string(impl_->port) + "/";
  auto listener = std::make_unique<http::experimental::listener::http_listener>(uri);
  Impl* impl = impl_.get();
  listener->support([impl](const http::http_request& req) { impl->handle(req); });
  try {
    listener->open().wait();
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve probes on " + uri + ": " + e.what());
  }
  impl_->listener = std::move(listener);
  log::info("serving probes and metrics", {{"address", address}, {"port", impl_->port}});
}

void ProbeServer::stop() {
  if (!impl_ || !impl_->listener) return;
  try {
    impl_->listener->close().wait();
  } catch (const std::exception& e) {
    log::warn("closing the probe server failed", {{"error", e.what()}});
  }
  impl_->listener.reset();
}

int ProbeServer::port() const { return impl_->port; }

}  // namespace pmo::observability
