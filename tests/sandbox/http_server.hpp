#pragma once
// HTTP/1.1 server (plain or TLS) with a thread per connection and synchronous Beast I/O.
// stop() closes the listener and every open connection and waits for their threads.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "sandbox/http_types.hpp"

namespace pmo::sandbox {

struct TlsMaterial {
  std::string certPem;  // serving certificate (then the CA)
  std::string keyPem;
};

class HttpServer {
 public:
  HttpServer(std::string host, int port, std::optional<TlsMaterial> tls, HttpHandler handler);
  ~HttpServer();
  void start();
  void stop();
  int port() const { return port_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace pmo::sandbox
