#pragma once
// A stand-in for Phase's secret reads while a VACUUM FULL or a repack runs: a second
// connection reading api_secretevent at a fixed pace (every `interval`, not a tight loop),
// recording when each read started and how long it took. A read that waits behind a
// queued or held ACCESS EXCLUSIVE lock shows up as a long read.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

namespace pmo::testing {

class ReadLoop {
 public:
  using Clock = std::chrono::steady_clock;
  struct Read {
    Clock::time_point start;
    std::chrono::milliseconds took;
  };

  ReadLoop(std::unique_ptr<pqxx::connection> conn, std::chrono::milliseconds interval)
      : conn_(std::move(conn)), interval_(interval) {
    thread_ = std::thread([this] { loop(); });
  }
  ~ReadLoop() { stop(); }
  ReadLoop(const ReadLoop&) = delete;
  ReadLoop& operator=(const ReadLoop&) = delete;

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // The longest read that started in [from, to).
  std::chrono::milliseconds longest(Clock::time_point from = Clock::time_point::min(),
                                    Clock::time_point to = Clock::time_point::max()) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::chrono::milliseconds max{0};
    for (const Read& r : reads_)
      if (r.start >= from && r.start < to) max = std::max(max, r.took);
    return max;
  }
  std::size_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reads_.size();
  }
  std::string error() const {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  void loop() {
    while (!stop_) {
      const auto start = Clock::now();
      try {
        pqxx::read_transaction tx(*conn_);  // a secret read: one short transaction
        tx.exec("SELECT count(*) FROM api_secretevent WHERE environment_id = 'none' AND timestamp > now()");
        tx.commit();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu_);
        error_ = e.what();
        return;
      }
      const auto end = Clock::now();
      {
        std::lock_guard<std::mutex> lock(mu_);
        reads_.push_back({start, std::chrono::duration_cast<std::chrono::milliseconds>(end - start)});
      }
      std::this_thread::sleep_until(end + interval_);
    }
  }

  std::unique_ptr<pqxx::connection> conn_;
  std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Read> reads_;
  std::string error_;
  std::thread thread_;
};

}  // namespace pmo::testing
