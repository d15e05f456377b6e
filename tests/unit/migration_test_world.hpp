#pragma once
// A small in-memory world for the migration planner's tests (header-only: tests/unit is
// globbed by *_test.cpp). It applies a Plan the way the reconciler would (JSON Patches
// with their `test` guards, creates, deletes, the status write) and plays the Deployment
// and Job controllers on request, so tests can walk every transition without a cluster.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "maintenance/labels.hpp"
#include "maintenance/migration/deployment_patch.hpp"
#include "maintenance/migration/foreign_jobs.hpp"
#include "maintenance/migration/planner.hpp"
#include "maintenance/migration/schema_gate.hpp"
#include "support/fixtures.hpp"

namespace pmo::maintenance {
inline void PrintTo(Step step, std::ostream* os) { *os << stepName(step); }
}  // namespace pmo::maintenance

namespace pmo::maintenance::testing {

using pmo::testing::loadFixture;

inline std::vector<const Action*> actionsOf(const Plan& p, Action::Kind kind, const std::string& resource = "") {
  std::vector<const Action*> out;
  for (const auto& a : p.actions)
    if (a.kind == kind && (resource.empty() || a.resource == resource)) out.push_back(&a);
  return out;
}

inline std::vector<std::string> eventReasons(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& a : p.actions)
    if (a.kind == Action::Kind::Event) out.push_back(a.reason);
  return out;
}

inline bool hasEvent(const Plan& p, const std::string& reason) {
  for (const auto& r : eventReasons(p))
    if (r == reason) return true;
  return false;
}

// Paused, and by the operator (its annotation), not by someone else.
inline bool pausedByOperator(const Json& d) {
  return d["spec"].value("paused", false) &&
         d.value("/metadata/annotations"_json_pointer, Json::object()).value(annotations::kPausedByOperator, "") == "true";
}

inline std::string conditionReason(const Json& status, const char* type) {
  auto c = getCondition(status, type);
  return c ? c->reason : "";
}
inline std::string conditionStatus(const Json& status, const char* type) {
  auto c = getCondition(status, type);
  return c ? c->status : "";
}

struct World {
  Json pm;
  PhaseMaintenanceSpec spec;
  std::optional<Json> backend, worker;
  std::vector<Json> jobs, pods;
  // Jobs of the namespace that are not the operator's (the chart's hook Job): what the
  // reconciler's LIST returns when a plan asks for them (foreignLists counts the asks).
  std::vector<Json> namespaceJobs;
  mutable int foreignLists = 0;
  bool secretFound = true;
  TimePoint now = parseTime("2026-11-25T20:00:00Z").value();
  int rv = 5000;

  World() {
    pm = Json{{"apiVersion", "maintenance.phase.dev/v1alpha1"},
              {"kind", "PhaseMaintenance"},
              {"metadata",
               {{"name", "phase"},
                {"namespace", "phase"},
                {"uid", "9d5c2f5e-1111-2222-3333-444455556666"},
                {"generation", 1},
                {"resourceVersion", "100"},
                {"finalizers", Json::array({"maintenance.phase.dev/restore-workloads"})}}},
              {"status", Json::object()}};
    backend = loadFixture("phase_backend_deployment.json");
    worker = loadFixture("phase_worker_deployment.json");
  }

  // The Deployments as the operator leaves them at rest: the schema gate on both,
  // EXTERNAL_MIGRATION=true on the backend (so a test can compare them before and after a pass).
  void installGate() {
    *backend = backend->patch(externalMigrationOps(*backend, spec.backend.container));
    *backend = backend->patch(schemagate::ensureGateOps(*backend, spec.backend.container, "phase", spec.migrations.gate));
    *worker = worker->patch(schemagate::ensureGateOps(*worker, spec.worker.container, "phase", spec.migrations.gate));
  }
  const Json& gate(const std::optional<Json>& d) const { return (*d)["spec"]["template"]["spec"]["initContainers"].back(); }

  // Managed mode at `version` with the status of an operator that already ran it.
  void managedAt(const std::string& current, const std::string& target) {
    spec.version = target;
    pm["status"]["currentVersion"] = current;
  }
  void setImages(const std::string& tag) {
    for (auto* d : {&*backend, &*worker}) {
      (*d)["spec"]["template"]["spec"]["containers"][0]["image"] = "phasehq/backend:" + tag;
      bump(*d);
    }
  }

  Observed observed() const {
    Observed o;
    o.object = pm;
    o.spec = spec;
    o.backend = backend;
    o.worker = worker;
    o.jobs = jobs;
    o.pods = pods;
    o.passwordSecretFound = secretFound;
    o.now = now;
    return o;
  }

  // As the reconciler plans: without the namespace's other Jobs, and again with them (those
  // its LIST keeps) when the plan asks.
  Plan plan() const {
    Observed o = observed();
    Plan p = planMigration(o);
    if (!p.needsForeignJobs) return p;
    ++foreignLists;
    o.foreignJobs.emplace();
    for (const auto& j : namespaceJobs)
      if (isForeignMigration(j)) o.foreignJobs->push_back(j);
    return planMigration(o);
  }

  static void bump(Json& d) {
    d["metadata"]["generation"] = d["metadata"].value("generation", 0) + 1;
  }

  Json* deployment(const std::string& name) {
    for (auto* d : {&backend, &worker})
      if (*d && (**d)["metadata"]["name"] == name) return &**d;
    return nullptr;
  }
  Json* job(const std::string& name) {
    for (auto& j : jobs)
      if (j["metadata"]["name"] == name) return &j;
    return nullptr;
  }

  // Executes the plan as the reconciler does; a failing `test` op fails the test.
  void apply(const Plan& p) {
    for (const auto& a : p.actions) {
      switch (a.kind) {
        case Action::Kind::JsonPatch: {
          if (a.resource == "phasemaintenances") {
            pm = pm.patch(a.patch);
            break;
          }
          Json* d = deployment(a.name);
          ASSERT_NE(d, nullptr) << a.describe();
          Json next = d->patch(a.patch);  // throws on a failed `test`
          if (next["spec"] != (*d)["spec"]) bump(next);
          next["metadata"]["resourceVersion"] = std::to_string(++rv);
          *d = next;
          break;
        }
        case Action::Kind::Create: {
          ASSERT_EQ(job(a.name), nullptr) << "created twice: " << a.name;
          Json j = a.object;
          j["metadata"]["creationTimestamp"] = formatTime(now);
          jobs.push_back(j);
          break;
        }
        case Action::Kind::Delete:
          jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                                    [&](const Json& j) { return j["metadata"]["name"] == a.name; }),
                     jobs.end());
          break;
        default: break;
      }
    }
    pm["status"] = p.status;
  }

  Plan step() {
    Plan p = plan();
    apply(p);
    return p;
  }

  // The Deployment controller: a paused Deployment does not roll; otherwise every replica
  // is updated and available.
  void rollDeployments() {
    for (auto* d : {&backend, &worker}) {
      if (!*d) continue;
      Json& x = **d;
      x["status"]["observedGeneration"] = x["metadata"]["generation"];
      if (x["spec"].value("paused", false)) continue;
      const int n = x["spec"].value("replicas", 1);
      for (const char* f : {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas"}) x["status"][f] = n;
    }
  }

  void finishJob(const std::string& name, bool success, const std::string& reason = "BackoffLimitExceeded",
                 const std::string& message = "Job has reached the specified backoff limit") {
    Json* j = job(name);
    ASSERT_NE(j, nullptr) << name;
    if (success) {
      (*j)["status"] = {{"succeeded", 1}, {"conditions", Json::array({{{"type", "Complete"}, {"status", "True"}}})}};
    } else {
      (*j)["status"] = {{"failed", 3},
                        {"conditions",
                         Json::array({{{"type", "Failed"}, {"status", "True"}, {"reason", reason}, {"message", message}}})}};
    }
  }

  // Runs plan/apply until a pass plans no write other than Events, at most `passes` times;
  // plays the Deployment controller between passes.
  Plan settle(int passes = 12) {
    Plan p;
    for (int i = 0; i < passes; ++i) {
      p = step();
      rollDeployments();
      bool writes = false;
      for (const auto& a : p.actions) writes = writes || a.kind != Action::Kind::Event;
      if (!writes && plan().status == pm["status"]) return p;
    }
    ADD_FAILURE() << "planner did not settle in " << passes << " passes";
    return p;
  }

  // The step status.migration records; nullopt when no move is in progress.
  std::optional<Step> at() const {
    if (!migrationInProgress(pm["status"])) return std::nullopt;
    return parseStep(pm["status"].value("/migration/step"_json_pointer, std::string()));
  }

  // Runs plan/apply passes (at least one) until a pass ends with the move at `target`, and
  // returns that pass's plan. Plays no controller: Jobs and rollouts move only when the test
  // says so. Fails when `target` is not reached within `passes`, or when a pass changes
  // nothing (the move waits for something the test did not do).
  Plan runUntil(Step target, int passes = 8) {
    for (int i = 0; i < passes; ++i) {
      const Json before = pm["status"];
      Plan p = step();
      if (at() == target) return p;
      if (pm["status"] == before && p.actions.empty()) {
        ADD_FAILURE() << "the move waits at " << (at() ? stepName(*at()) : "(none)") << " before reaching "
                      << stepName(target);
        return p;
      }
    }
    ADD_FAILURE() << "the move did not reach " << stepName(target) << " in " << passes << " passes; it is at "
                  << (at() ? stepName(*at()) : "(none)");
    return Plan{};
  }
  std::string image(const std::optional<Json>& d) const {
    return (*d)["spec"]["template"]["spec"]["containers"][0].value("image", "");
  }
};

}  // namespace pmo::maintenance::testing
