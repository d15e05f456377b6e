#pragma once
// Watches, from a second connection, what the purge does to the rest of the database while
// it runs, for the back-off decision (pacer.hpp decideBackoff):
//  * sessions waiting on a lock held by the purge's backend (pg_blocking_pids);
//  * other sessions queued for WAL (LWLock waits WALWrite, WALInsert, WALBufMapping), only
//    when seen in at least two samples since the previous take(): a session queued once
//    behind another's WAL write is what every commit meets now and then, with or without a
//    purge; a queue that is still there a sample later is pressure (WalTally);
//  * standbys and their replication lag (pg_stat_replication; a role without pg_monitor
//    sees no lag columns, so no lag: the summary then cannot promise anything about it).
// Guarantees: it samples every `interval` (pg_stat_replication once a second) and never
// fails the purge: a lost or refused connection only means no signal until it reconnects.
// Lock waiters: the largest count seen since the previous take(); WAL waiters: WalTally.
// The thread stops in the destructor.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "db/connection.hpp"

namespace pmo::db::purge_detail {

// The WAL waiters of the samples since the last take(): the second-largest count, i.e. a
// number of waiters seen in at least two samples (0 when only one sample saw any).
class WalTally {
 public:
  void add(int waiters) {
    if (waiters > largest_) {
      second_ = largest_;
      largest_ = waiters;
    } else if (waiters > second_) {
      second_ = waiters;
    }
  }
  int persistent() const { return second_; }
  void reset() { largest_ = second_ = 0; }

 private:
  int largest_ = 0, second_ = 0;
};

struct LoadSample {
  int blockedByUs = 0, walWaiters = 0, standbys = 0;
  double replicationLagSeconds = 0;
};

class LoadMonitor {
 public:
  LoadMonitor(const ConnectionParams& params, std::chrono::milliseconds interval);
  ~LoadMonitor();
  LoadMonitor(const LoadMonitor&) = delete;
  LoadMonitor& operator=(const LoadMonitor&) = delete;

  void setPurgePid(int pid) { purgePid_ = pid; }
  LoadSample take();

 private:
  void loop();
  ConnectionParams params_;
  std::chrono::milliseconds interval_;
  std::atomic<int> purgePid_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  LoadSample seen_;  // guarded by mu_
  WalTally wal_;     // guarded by mu_
  std::thread thread_;
};

}  // namespace pmo::db::purge_detail
