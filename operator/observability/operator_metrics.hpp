#pragma once
// Every metric the operator exports, defined in one place (names, help, labels, buckets).
// All names start with `pmo_`. Thread-safe.
//
//   pmo_reconcile_total{controller,result}             result: success|requeue|error|terminal
//   pmo_reconcile_duration_seconds{controller}         histogram
//   pmo_reconcile_retries_total{controller}            reconciles sent to rate-limited retry
//   pmo_workqueue_depth{name}                           keys ready in the work queue
//   pmo_api_requests_total{verb,code}                   Kubernetes API requests (code 0: no response)
//   pmo_leader                                          1 while this replica holds the Lease
//   pmo_migrations_total{result}                        migration Jobs by result
//   pmo_audit_log_rows_purged_total                     audit-log read events deleted
//   pmo_audit_log_bytes_reclaimed_total                 bytes returned by VACUUM FULL
//   pmo_build_info{version,commit}                      always 1
#include <functional>
#include <string>

#include "observability/metrics.hpp"
#include "runtime/controller.hpp"

namespace pmo::observability {

class OperatorMetrics final : public runtime::ReconcileObserver {
 public:
  // Registers every metric, build info from build_info.hpp included.
  OperatorMetrics();

  // runtime::ReconcileObserver (pass as ControllerOptions::observer)
  void reconciled(const std::string& controller, const std::string& outcome, double seconds) override;
  void retried(const std::string& controller) override;

  // The queue's depth is read at scrape time, e.g. [&q] { return double(q.length()); }.
  void watchQueueDepth(const std::string& name, std::function<double()> depth);
  void apiRequest(const std::string& verb, int code);
  void setLeader(bool leading);
  void migration(const std::string& result);
  void auditLogRowsPurged(double rows);
  void bytesReclaimed(double bytes);

  Registry& registry() { return registry_; }
  std::string render() const { return registry_.render(); }

 private:
  Registry registry_;
  Counter& reconciles_;
  Histogram& reconcileDuration_;
  Counter& retries_;
  Gauge& queueDepth_;
  Counter& apiRequests_;
  Gauge& leader_;
  Counter& migrations_;
  Counter& rowsPurged_;
  Counter& bytesReclaimed_;
  Gauge& buildInfo_;
};

}  // namespace pmo::observability
