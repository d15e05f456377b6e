#pragma once
// A TCP proxy on loopback that forwards to a port and, when faults are on, breaks the
// connections through it the ways a network does: resets (RST), stalls (bytes held back
// for a while, both directions) and cuts (an orderly close mid-stream). Which fault hits
// which chunk comes from a seeded generator, so a run can be repeated by its seed (the
// interleaving with other threads still varies). TLS passes through untouched.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace pmo::testing {

struct ProxyFaults {
  // Chances per forwarded chunk (one read of up to 16 KiB).
  double reset = 0;
  double stall = 0;
  double cut = 0;
  std::chrono::milliseconds maxStall{3000};
};

struct ProxyStats {
  long connections = 0, resets = 0, stalls = 0, cuts = 0;
};

class FaultProxy {
 public:
  FaultProxy(int targetPort, std::uint64_t seed);
  ~FaultProxy();  // closes every connection
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  void setFaults(const ProxyFaults& faults);
  // Resets every open connection now (a node's network going away for a moment).
  void resetAll();
  ProxyStats stats() const;

 private:
  struct Conn;
  void acceptLoop();
  void pump(std::shared_ptr<Conn> c);
  // Draws the fault for the next chunk of connection `c`: 0 none, 1 reset, 2 stall, 3 cut.
  int draw(Conn& c, std::chrono::milliseconds& stallFor);

  int targetPort_;
  std::uint64_t seed_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptThread_;
  mutable std::mutex mutex_;
  ProxyFaults faults_;
  ProxyStats stats_;
  std::vector<std::shared_ptr<Conn>> conns_;
  std::vector<std::thread> threads_;
};

}  // namespace pmo::testing
