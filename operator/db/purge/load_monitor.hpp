#pragma once
// Watches, from a second connection, what the purge does to the rest of the database while
// it runs, for the back-off decision (pacer.hpp decideBackoff):
//  * sessions waiting on a lock held by the purge's backend (pg_blocking_pids);
//  * other sessions queued for WAL (LWLock waits WALWrite, WALInsert, WALBufMapping);
//  * standbys and their replication lag (pg_stat_replication; a role without pg_monitor
//    sees no lag columns, so no lag: the summary then cannot promise anything about it).
// Guarantees: it samples every `interval` (pg_stat_replication once a second) and never
// fails the purge: a lost or refused connection only means no signal until it reconnects.
// Counts are the largest seen since the previous take(). The thread stops in the destructor.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "db/connection.hpp"

namespace pmo::db::purge_detail {

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
  std::thread thread_;
};

}  // namespace pmo::db::purge_detail
