#include "observability/operator_metrics.hpp"

#include "build_info.hpp"

namespace pmo::observability {

OperatorMetrics::OperatorMetrics()
    : reconciles_(registry_.counter("pmo_reconcile_total", "Reconciles by controller and result.",
                                    {"controller", "result"})),
      reconcileDuration_(registry_.histogram("pmo_reconcile_duration_seconds", "Time spent in one reconcile.",
                                             {"controller"},
                                             {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})),
      retries_(registry_.counter("pmo_reconcile_retries_total", "Reconciles that failed and were queued for retry.",
                                 {"controller"})),
      queueDepth_(registry_.gauge("pmo_workqueue_depth", "Keys ready in the work queue.", {"name"})),
      apiRequests_(registry_.counter("pmo_api_requests_total",
                                     "Kubernetes API requests by verb and HTTP code (0: no response).",
                                     {"verb", "code"})),
      leader_(registry_.gauge("pmo_leader", "1 while this replica holds the leader Lease, else 0.")),
      migrations_(registry_.counter("pmo_migrations_total", "Phase database migrations by result.", {"result"})),
      rowsPurged_(registry_.counter("pmo_audit_log_rows_purged_total", "Audit-log read events deleted.")),
      bytesReclaimed_(registry_.counter("pmo_audit_log_bytes_reclaimed_total",
                                        "Bytes of the audit-log table returned to the operating system.")),
      buildInfo_(registry_.gauge("pmo_build_info", "The operator's version and commit; always 1.",
                                 {"version", "commit"})) {
  buildInfo_.set({build::kVersion, build::kGitCommit}, 1);
}

void OperatorMetrics::reconciled(const std::string& controller, const std::string& outcome, double seconds) {
  reconciles_.inc({controller, outcome});
  reconcileDuration_.observe({controller}, seconds);
}

void OperatorMetrics::retried(const std::string& controller) { retries_.inc({controller}); }

void OperatorMetrics::watchQueueDepth(const std::string& name, std::function<double()> depth) {
  queueDepth_.setFunction({name}, std::move(depth));
}

void OperatorMetrics::apiRequest(const std::string& verb, int code) { apiRequests_.inc({verb, std::to_string(code)}); }

void OperatorMetrics::setLeader(bool leading) { leader_.set(leading ? 1 : 0); }

void OperatorMetrics::migration(const std::string& result) { migrations_.inc({result}); }

void OperatorMetrics::auditLogRowsPurged(double rows) { rowsPurged_.inc({}, rows); }

void OperatorMetrics::bytesReclaimed(double bytes) { bytesReclaimed_.inc({}, bytes); }

}  // namespace pmo::observability
