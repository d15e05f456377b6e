#include "support/fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace pmo::testing {

struct FaultProxy::Conn {
  int client = -1, upstream = -1;
  std::mt19937_64 rng;
  std::atomic<bool> closed{false};
};

namespace {

void closeWithReset(int fd) {
  linger l{1, 0};  // close() sends RST instead of FIN
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

bool sendAll(int fd, const char* data, ssize_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, static_cast<size_t>(n), MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= w;
  }
  return true;
}

}  // namespace

FaultProxy::FaultProxy(int targetPort, std::uint64_t seed) : targetPort_(targetPort), seed_(seed) {
  listenFd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listenFd_, 128) != 0)
    throw std::runtime_error("FaultProxy: cannot listen on loopback");
  socklen_t len = sizeof addr;
  getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptThread_ = std::thread([this] { acceptLoop(); });
}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  ::shutdown(listenFd_, SHUT_RDWR);
  ::close(listenFd_);
  if (acceptThread_.joinable()) acceptThread_.join();
  resetAll();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
}

void FaultProxy::setFaults(const ProxyFaults& faults) {
  std::lock_guard<std::mutex> lock(mutex_);
  faults_ = faults;
}

ProxyStats FaultProxy::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void FaultProxy::resetAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& c : conns_) {
    if (!c->closed.exchange(true)) {
      ::shutdown(c->client, SHUT_RDWR);
      ::shutdown(c->upstream, SHUT_RDWR);
    }
  }
}

void FaultProxy::acceptLoop() {
  while (!stopping_) {
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    const int up = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(targetPort_));
    if (::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(up);
      closeWithReset(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_shared<Conn>();
    c->client = fd;
    c->upstream = up;
    std::lock_guard<std::mutex> lock(mutex_);
    c->rng.seed(seed_ + static_cast<std::uint64_t>(stats_.connections) * 0x9E3779B97F4A7C15ull);
    ++stats_.connections;
    // Forget connections that ended (their threads have returned or are about to).
    std::vector<std::shared_ptr<Conn>> live;
    for (auto& old : conns_)
      if (!old->closed) live.push_back(old);
    conns_.swap(live);
    conns_.push_back(c);
    threads_.emplace_back([this, c] { pump(c); });
  }
}

int FaultProxy::draw(Conn& c, std::chrono::milliseconds& stallFor) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::uniform_real_distribution<double> u(0, 1);
  const double x = u(c.rng);
  if (x < faults_.reset) {
    ++stats_.resets;
    return 1;
  }
  if (x < faults_.reset + faults_.stall) {
    ++stats_.stalls;
    stallFor = std::chrono::milliseconds(
        std::uniform_int_distribution<long>(100, std::max<long>(100, faults_.maxStall.count()))(c.rng));
    return 2;
  }
  if (x < faults_.reset + faults_.stall + faults_.cut) {
    ++stats_.cuts;
    return 3;
  }
  return 0;
}

void FaultProxy::pump(std::shared_ptr<Conn> c) {
  char buf[16384];
  int fault = 0;
  while (!c->closed && !stopping_) {
    pollfd fds[2] = {{c->client, POLLIN, 0}, {c->upstream, POLLIN, 0}};
    const int r = ::poll(fds, 2, 200);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    bool ended = false;
    for (int i = 0; i < 2 && !ended; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::recv(fds[i].fd, buf, sizeof buf, 0);
      if (n <= 0) {
        ended = true;
        break;
      }
      std::chrono::milliseconds stallFor{0};
      fault = draw(*c, stallFor);
      if (fault == 1 || fault == 3) {
        ended = true;
        break;
      }
      if (fault == 2) std::this_thread::sleep_for(stallFor);  // both directions wait
      if (!sendAll(fds[1 - i].fd, buf, n)) ended = true;
    }
    if (ended) break;
  }
  std::lock_guard<std::mutex> lock(mutex_);  // resetAll() shuts down only fds still open
  c->closed = true;
  if (fault == 1) {
    closeWithReset(c->client);
    closeWithReset(c->upstream);
  } else {
    ::close(c->client);
    ::close(c->upstream);
  }
}

}  // namespace pmo::testing
