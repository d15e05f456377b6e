#pragma once
// A PhaseReconciler wired to the FakeClient, for the controller layer's unit tests
// (header-only: tests/unit is globbed by *_test.cpp). The cluster view reads the fake's
// store without logged requests, as an up-to-date cache would; pinPhaseMaintenance() makes
// it serve an older copy of the PhaseMaintenance, as a cache that has not caught up.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/cluster_view.hpp"
#include "controller/phase_reconciler.hpp"
#include "support/fixtures.hpp"
#include "recovery_runner_fakes.hpp"
#include "support/fake_client.hpp"

namespace pmo::controller::testing {

using kube::Json;
using pmo::testing::FakeClient;
namespace res = kube::resources;

using pmo::testing::loadFixture;

class FakeClusterView final : public ClusterView {
 public:
  explicit FakeClusterView(FakeClient& fake) : fake_(fake) {}

  void pinPhaseMaintenance(const Json& pm) { pinned_[key(pm)] = pm; }
  // Serves `d` for its Deployment, as a cache that has not seen the writes since.
  void pinDeployment(const Json& d) { pinned_["deployments/" + key(d)] = d; }
  void unpin() { pinned_.clear(); }

  std::optional<Json> phaseMaintenance(const std::string& ns, const std::string& name) const override {
    auto it = pinned_.find(ns + "/" + name);
    if (it != pinned_.end()) return it->second;
    return fake_.peek(res::kPhaseMaintenances, ns, name);
  }
  std::optional<Json> deployment(const std::string& ns, const std::string& name) const override {
    auto it = pinned_.find("deployments/" + ns + "/" + name);
    if (it != pinned_.end()) return it->second;
    return fake_.peek(res::kDeployments, ns, name);
  }
  std::vector<Json> jobsOf(const std::string& ns, const std::string& ownerUid) const override {
    std::vector<Json> out = owned(res::kJobs, ns, ownerUid);
    for (const auto& cj : owned(res::kCronJobs, ns, ownerUid))
      for (auto& j : owned(res::kJobs, ns, cj["metadata"].value("uid", ""))) out.push_back(std::move(j));
    return out;
  }
  std::vector<Json> cronJobsOf(const std::string& ns, const std::string& ownerUid) const override {
    return owned(res::kCronJobs, ns, ownerUid);
  }
  std::vector<Json> podsOfJobs(const std::string& ns, const std::vector<std::string>& jobUids) const override {
    std::vector<Json> out;
    for (const auto& uid : jobUids)
      for (auto& p : owned(res::kPods, ns, uid)) out.push_back(std::move(p));
    return out;
  }

 private:
  static std::string key(const Json& o) {
    return o["metadata"].value("namespace", "") + "/" + o["metadata"].value("name", "");
  }
  std::vector<Json> owned(const kube::Resource& r, const std::string& ns, const std::string& uid) const {
    std::vector<Json> out;
    for (auto& o : fake_.objects(r)) {
      if (o["metadata"].value("namespace", "") != ns) continue;
      for (const auto& u : ownerUids(o))
        if (u == uid) out.push_back(o);
    }
    return out;
  }

  FakeClient& fake_;
  std::map<std::string, Json> pinned_;
};

// The Events the reconciler posted, in order.
class ListSink final : public EventSink {
 public:
  void event(const Json&, const std::string& type, const std::string& reason, const std::string& message) override {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back({type, reason, message, ""});
  }
  void post(const Json&, const PendingEvent& e) override {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(e);
  }
  std::vector<PendingEvent> posted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return posted_;
  }
  int count(const std::string& reason) const {
    int n = 0;
    for (const auto& e : posted())
      if (e.reason == reason) ++n;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<PendingEvent> posted_;
};

// Answers every recovery as applied, counting calls; the ledger's at-most-once is the
// real runner's duty (tests/pg).
class CountingRecoveries final : public ResetOnlyRecoveries {
 public:
  db::NetworkResetResult resetNetworkPolicies(const db::ConnectionParams&, const std::string& requestKey,
                                              const std::vector<std::string>&) override {
    ++resets;
    keys.push_back(requestKey);
    db::NetworkResetResult r;
    r.requestKey = requestKey;
    r.alreadyApplied = resets > 1;
    r.appliedAt = "2026-01-01T00:00:00Z";
    r.allOrganisations = true;
    return r;
  }
  int resets = 0;
  std::vector<std::string> keys;
};

// Namespace `phase` with the backend and worker Deployments at v2.72.0 and the database
// Secret; PhaseMaintenances are added by the test.
struct ControllerWorld {
  FakeClient fake;
  FakeClusterView view{fake};
  ListSink events;
  CountingRecoveries recoveries;
  std::shared_ptr<runtime::FakeClock> clock = std::make_shared<runtime::FakeClock>();
  PhaseReconciler reconciler{ReconcilerDeps{fake, view, events, recoveries, clock, "operator:test", {}, {}}};

  ControllerWorld() {
    for (const char* f : {"phase_backend_deployment.json", "phase_worker_deployment.json"}) {
      Json d = loadFixture(f);
      const Json status = d["status"];
      d["metadata"].erase("resourceVersion");
      d = fake.create(res::kDeployments, "phase", d);
      d["status"] = status;
      d["status"]["observedGeneration"] = d["metadata"]["generation"];
      fake.updateStatus(res::kDeployments, "phase", d);
    }
    fake.create(res::kSecrets, "phase",
                Json{{"metadata", {{"name", "phase-console-secret"}}},
                     {"data", {{"DATABASE_PASSWORD", "bm90LWEtcmVhbC1wYXNzd29yZA=="}}}});
  }

  static Json spec(const std::string& version = "v2.72.0") {
    return Json{{"version", version},
                {"database",
                 {{"host", "127.0.0.1"},
                  {"name", "phase_db"},
                  {"user", "phase_api"},
                  {"passwordSecretRef", {{"name", "phase-console-secret"}, {"key", "DATABASE_PASSWORD"}}}}}};
  }

  // Creates the PhaseMaintenance (with the operator's finalizer, as after a first reconcile).
  Json create(const std::string& name, const Json& spec, const std::string& ns = "phase") {
    return fake.create(res::kPhaseMaintenances, ns,
                       Json{{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                            {"kind", "PhaseMaintenance"},
                            {"metadata", {{"name", name}, {"finalizers", {"maintenance.phase.dev/restore-workloads"}}}},
                            {"spec", spec}});
  }
  Json pm(const std::string& name = "phase", const std::string& ns = "phase") const {
    return *fake.peek(res::kPhaseMaintenances, ns, name);
  }
  // Replaces the stored spec (a user's edit): a new generation and resourceVersion.
  Json edit(const std::string& name, const Json& spec) {
    Json o = pm(name);
    o["spec"] = spec;
    return fake.update(res::kPhaseMaintenances, "phase", o);
  }
  runtime::ReconcileResult reconcile(const std::string& name = "phase") { return reconciler.reconcile("phase/" + name); }

  // Plays the Deployment controller: every Deployment has rolled out its generation.
  void rollOut() {
    for (Json d : fake.objects(res::kDeployments)) {
      const long replicas = d.value("/spec/replicas"_json_pointer, 1L);
      Json status = d.value("status", Json::object());
      status["observedGeneration"] = d["metadata"]["generation"];
      for (const char* f : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas"}) status[f] = replicas;
      if (d["status"] == status) continue;
      d["status"] = status;
      fake.updateStatus(res::kDeployments, "phase", d);
    }
  }
  // Reconciles `name` a few times, the Deployments rolling out and time passing between
  // (past the own-write wait): what a resource looks like once the operator is at rest.
  void settle(const std::string& name = "phase", int passes = 5) {
    for (int i = 0; i < passes; ++i) {
      reconcile(name);
      rollOut();
      clock->advance(std::chrono::seconds(10));
    }
  }
};

inline std::string conditionReason(const Json& pm, const std::string& type) {
  for (const auto& c : pm.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == type) return c.value("reason", "");
  return "";
}
inline std::string conditionMessage(const Json& pm, const std::string& type) {
  for (const auto& c : pm.value("/status/conditions"_json_pointer, Json::array()))
    if (c.value("type", "") == type) return c.value("message", "");
  return "";
}

}  // namespace pmo::controller::testing
