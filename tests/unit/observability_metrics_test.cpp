#include "observability/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "build_info.hpp"
#include "observability/operator_metrics.hpp"

namespace pmo::observability {
namespace {

TEST(Metrics, RendersCountersAndGaugesExactly) {
  Registry r;
  auto& c = r.counter("pmo_things_total", "Things done.", {"kind", "result"});
  auto& g = r.gauge("pmo_temperature", "Current temperature.");
  c.inc({"b", "ok"});
  c.inc({"a", "ok"}, 2);
  c.inc({"a", "ok"}, -5);  // ignored: counters only go up
  g.set(-1.5);
  EXPECT_EQ(r.render(),
            "# HELP pmo_things_total Things done.\n"
            "# TYPE pmo_things_total counter\n"
            "pmo_things_total{kind=\"a\",result=\"ok\"} 2\n"
            "pmo_things_total{kind=\"b\",result=\"ok\"} 1\n"
            "# HELP pmo_temperature Current temperature.\n"
            "# TYPE pmo_temperature gauge\n"
            "pmo_temperature -1.5\n");
}

TEST(Metrics, EscapesHelpAndLabelValues) {
  Registry r;
  auto& c = r.counter("pmo_x_total", "Line one\nback\\slash \"quotes\" stay", {"v"});
  c.inc({"a\"b\\c\nd"});
  EXPECT_EQ(r.render(),
            "# HELP pmo_x_total Line one\\nback\\\\slash \"quotes\" stay\n"
            "# TYPE pmo_x_total counter\n"
            "pmo_x_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(Metrics, RendersHistogramsWithCumulativeBuckets) {
  Registry r;
  auto& h = r.histogram("pmo_duration_seconds", "Durations.", {"controller"}, {0.1, 1, 2.5});
  h.observe({"pm"}, 0.05);
  h.observe({"pm"}, 0.1);  // le is inclusive
  h.observe({"pm"}, 2);
  h.observe({"pm"}, 7);
  EXPECT_EQ(r.render(),
            "# HELP pmo_duration_seconds Durations.\n"
            "# TYPE pmo_duration_seconds histogram\n"
            "pmo_duration_seconds_bucket{controller=\"pm\",le=\"0.1\"} 2\n"
            "pmo_duration_seconds_bucket{controller=\"pm\",le=\"1\"} 2\n"
            "pmo_duration_seconds_bucket{controller=\"pm\",le=\"2.5\"} 3\n"
            "pmo_duration_seconds_bucket{controller=\"pm\",le=\"+Inf\"} 4\n"
            "pmo_duration_seconds_sum{controller=\"pm\"} 9.15\n"
            "pmo_duration_seconds_count{controller=\"pm\"} 4\n");
  EXPECT_EQ(h.count({"pm"}), 4u);
}

TEST(Metrics, UnlabelledHistogramStartsAtZero) {
  Registry r;
  r.histogram("pmo_h", "H.", {}, {1});
  EXPECT_EQ(r.render(),
            "# HELP pmo_h H.\n# TYPE pmo_h histogram\npmo_h_bucket{le=\"1\"} 0\npmo_h_bucket{le=\"+Inf\"} 0\n"
            "pmo_h_sum 0\npmo_h_count 0\n");
}

TEST(Metrics, FormatsSpecialValues) {
  EXPECT_EQ(formatValue(0), "0");
  EXPECT_EQ(formatValue(1e6), "1000000");
  EXPECT_EQ(formatValue(0.25), "0.25");
  EXPECT_EQ(formatValue(1e20), "1e+20");
  EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatValue(std::nan("")), "NaN");
}

TEST(Metrics, RejectsBadNamesArityAndDuplicates) {
  Registry r;
  EXPECT_THROW(r.counter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("pmo_ok_total", "x", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("pmo_h2", "x", {"le"}), std::invalid_argument);
  auto& c = r.counter("pmo_ok_total", "x", {"a"});
  EXPECT_THROW(c.inc({}), std::invalid_argument);
  EXPECT_THROW(r.gauge("pmo_ok_total", "again"), std::invalid_argument);
}

TEST(Metrics, GaugeFunctionIsReadAtRenderTime) {
  Registry r;
  auto& g = r.gauge("pmo_depth", "Depth.", {"name"});
  double depth = 3;
  g.setFunction({"pm"}, [&] { return depth; });
  depth = 4;
  EXPECT_EQ(r.render(), "# HELP pmo_depth Depth.\n# TYPE pmo_depth gauge\npmo_depth{name=\"pm\"} 4\n");
}

TEST(OperatorMetrics, DefinesTheOperatorsMetrics) {
  OperatorMetrics m;
  m.reconciled("phasemaintenance", "success", 0.02);
  m.reconciled("phasemaintenance", "error", 0.2);
  m.retried("phasemaintenance");
  m.watchQueueDepth("phasemaintenance", [] { return 7.0; });
  m.apiRequest("get", 200);
  m.apiRequest("update", 409);
  m.setLeader(true);
  m.migration("succeeded");
  m.auditLogRowsPurged(1500);
  m.bytesReclaimed(4096);
  const std::string text = m.render();
  for (const std::string line : {
           "pmo_reconcile_total{controller=\"phasemaintenance\",result=\"error\"} 1\n",
           "pmo_reconcile_total{controller=\"phasemaintenance\",result=\"success\"} 1\n",
           "pmo_reconcile_duration_seconds_bucket{controller=\"phasemaintenance\",le=\"0.025\"} 1\n",
           "pmo_reconcile_duration_seconds_count{controller=\"phasemaintenance\"} 2\n",
           "pmo_reconcile_retries_total{controller=\"phasemaintenance\"} 1\n",
           "pmo_workqueue_depth{name=\"phasemaintenance\"} 7\n",
           "pmo_api_requests_total{verb=\"get\",code=\"200\"} 1\n",
           "pmo_api_requests_total{verb=\"update\",code=\"409\"} 1\n",
           "pmo_leader 1\n",
           "pmo_migrations_total{result=\"succeeded\"} 1\n",
           "pmo_audit_log_rows_purged_total 1500\n",
           "pmo_audit_log_bytes_reclaimed_total 4096\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
  }
  EXPECT_NE(text.find(std::string("pmo_build_info{version=\"") + build::kVersion + "\",commit=\"" + build::kGitCommit +
                      "\"} 1\n"),
            std::string::npos);
  m.setLeader(false);
  EXPECT_NE(m.render().find("pmo_leader 0\n"), std::string::npos);
}

}  // namespace
}  // namespace pmo::observability
