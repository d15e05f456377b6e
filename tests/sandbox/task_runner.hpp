#pragma once
// A thread that runs tasks at their due time, in due-time order. schedule() may be called
// with the store lock held (store listeners do); tasks take the store lock themselves.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace pmo::sandbox {

class TaskRunner {
 public:
  using Clock = std::chrono::steady_clock;
  ~TaskRunner() { stop(); }
  void start() {
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void schedule(Clock::time_point at, std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.emplace(at, std::move(task));
    }
    cv_.notify_all();
  }
  void after(std::chrono::milliseconds delay, std::function<void()> task) {
    schedule(Clock::now() + delay, std::move(task));
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      if (tasks_.empty()) {
        cv_.wait(lock);
        continue;
      }
      auto due = tasks_.begin()->first;
      if (Clock::now() < due) {
        cv_.wait_until(lock, due);
        continue;
      }
      auto task = std::move(tasks_.begin()->second);
      tasks_.erase(tasks_.begin());
      lock.unlock();
      task();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::multimap<Clock::time_point, std::function<void()>> tasks_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace pmo::sandbox
