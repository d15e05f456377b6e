#pragma once
// The probe and metrics endpoint (implemented with cpprestsdk in http_server_cpprest.cpp;
// this header does not include cpprest):
//   GET /healthz  200 "ok" | 503 "<reason>"   liveness
//   GET /readyz   200 "ok" | 503 "<reason>"   readiness
//   GET /metrics  200 Prometheus text format 0.0.4
//   anything else 404; methods other than GET 405.
// Responses carry no secrets: reasons name caches and controllers only.
#include <functional>
#include <memory>
#include <string>

#include "observability/health.hpp"

namespace pmo::observability {

struct HttpServerOptions {
  std::string address = "0.0.0.0";  // tests: 127.0.0.1
  int port = 8080;                   // 0: pick a free port (see port())
  // Threads of cpprest's shared pool, set only if nothing used cpprest before (the pool is
  // process-wide and sized once). Probes and scrapes need very few.
  std::size_t threads = 2;
};

class ProbeServer {
 public:
  // `health` and the render function must outlive the server.
  ProbeServer(const Health& health, std::function<std::string()> renderMetrics, HttpServerOptions options = {});
  ~ProbeServer();  // stop()s
  ProbeServer(const ProbeServer&) = delete;
  ProbeServer& operator=(const ProbeServer&) = delete;

  // Starts listening; throws std::runtime_error when the address cannot be bound.
  void start();
  void stop();
  // The port listened on (the chosen one when options.port was 0).
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pmo::observability
