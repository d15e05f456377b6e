// The probe/metrics server over real loopback HTTP. It links pmo_http (cpprest), which
// only the non-unit test kinds do, hence the _sbtest suffix; it needs no sandbox.
#include "observability/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "observability/metrics.hpp"

namespace pmo::observability {
namespace {

struct Response {
  int status = 0;
  std::string contentType;
  std::string body;
};

// A minimal HTTP/1.1 GET over a loopback socket, with a 5 s receive timeout.
Response httpGet(int port, const std::string& path, const std::string& method = "GET") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    throw std::runtime_error("connect to port " + std::to_string(port) + " failed");
  }
  const std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), 0) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    throw std::runtime_error("send failed");
  }
  std::string raw;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) raw.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  Response r;
  const auto headerEnd = raw.find("\r\n\r\n");
  if (raw.size() < 12 || headerEnd == std::string::npos) throw std::runtime_error("bad response: " + raw);
  r.status = std::stoi(raw.substr(9, 3));
  std::string headers = raw.substr(0, headerEnd);
  for (auto& ch : headers) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const auto ct = headers.find("content-type: ");
  if (ct != std::string::npos) r.contentType = raw.substr(ct + 14, raw.find("\r\n", ct) - ct - 14);
  r.body = raw.substr(headerEnd + 4);
  return r;
}

TEST(ProbeServer, ServesHealthReadinessAndMetrics) {
  Health health;
  bool ready = false;
  health.addReadinessCheck("informers", [&]() -> std::optional<std::string> {
    if (ready) return std::nullopt;
    return "caches not synced: jobs";
  });
  Registry registry;
  registry.counter("pmo_test_total", "A test counter.").inc();
  HttpServerOptions opts;
  opts.address = "127.0.0.1";
  opts.port = 0;
  ProbeServer server(health, [&] { return registry.render(); }, opts);
  server.start();
  ASSERT_GT(server.port(), 0);

  auto r = httpGet(server.port(), "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  r = httpGet(server.port(), "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "informers: caches not synced: jobs\n");
  ready = true;
  r = httpGet(server.port(), "/readyz");
  EXPECT_EQ(r.status, 200);
  r = httpGet(server.port(), "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "# HELP pmo_test_total A test counter.\n# TYPE pmo_test_total counter\npmo_test_total 1\n");
  EXPECT_EQ(httpGet(server.port(), "/nope").status, 404);
  EXPECT_EQ(httpGet(server.port(), "/metrics", "POST").status, 405);

  server.stop();
  EXPECT_THROW(httpGet(server.port(), "/healthz"), std::runtime_error) << "closed after stop()";
}

TEST(ProbeServer, FailsLoudlyWhenThePortIsTaken) {
  // Another socket holds the port.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = 0;
  ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  Health health;
  HttpServerOptions opts;
  opts.address = "127.0.0.1";
  opts.port = ntohs(sa.sin_port);
  ProbeServer server(health, [] { return std::string(); }, opts);
  EXPECT_THROW(server.start(), std::runtime_error);
  ::close(fd);
}

}  // namespace
}  // namespace pmo::observability
