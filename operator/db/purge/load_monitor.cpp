#include "db/purge/load_monitor.hpp"

#include <memory>

#include <pqxx/pqxx>

#include "db/purge/statements.hpp"
#include "db/session.hpp"

namespace pmo::db::purge_detail {

LoadMonitor::LoadMonitor(const ConnectionParams& params, std::chrono::milliseconds interval)
    : params_(params), interval_(interval) {
  params_.applicationName = params.applicationName.empty() ? "pmo-purge-monitor" : params.applicationName + "-monitor";
  thread_ = std::thread([this] { loop(); });
}

LoadMonitor::~LoadMonitor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

LoadSample LoadMonitor::take() {
  std::lock_guard<std::mutex> lock(mu_);
  LoadSample s = seen_;
  s.walWaiters = wal_.persistent();
  seen_.blockedByUs = 0;
  wal_.reset();
  return s;
}

void LoadMonitor::loop() {
  std::unique_ptr<pqxx::connection> conn;
  auto lastReplication = std::chrono::steady_clock::now() - std::chrono::hours(1);
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    LoadSample s;
    bool replicationRead = false;
    try {
      if (!conn) {
        conn = connect(params_);
        pqxx::nontransaction(*conn).exec(kMonitorSessionSql);
      }
      pqxx::nontransaction tx(*conn);
      const pqxx::row w = tx.exec_params1(kWaitsCausedSql, purgePid_.load());
      s.blockedByUs = w[0].as<int>();
      s.walWaiters = w[1].as<int>();
      if (std::chrono::steady_clock::now() - lastReplication >= std::chrono::seconds(1)) {
        const pqxx::row r = tx.exec1(kReplicationLagSql);
        s.standbys = r[0].as<int>();
        s.replicationLagSeconds = r[1].as<double>();
        lastReplication = std::chrono::steady_clock::now();
        replicationRead = true;
      }
    } catch (...) {
      conn.reset();  // no signal this time; reconnect on the next sample
    }
    lock.lock();
    seen_.blockedByUs = std::max(seen_.blockedByUs, s.blockedByUs);
    wal_.add(s.walWaiters);
    if (replicationRead) {
      seen_.standbys = s.standbys;
      seen_.replicationLagSeconds = s.replicationLagSeconds;
    }
    cv_.wait_for(lock, conn ? interval_ : std::chrono::milliseconds(1000), [this] { return stop_; });
  }
}

}  // namespace pmo::db::purge_detail
