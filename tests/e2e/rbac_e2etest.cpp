// Least privilege, checked both ways, for both kustomize installs: deploy/ (the default:
// a Role in each watched namespace, Secrets by name) and deploy/overlays/cluster-wide (a
// ClusterRole). The real operator runs as the Deployment the kustomization builds (its args,
// so --namespace, and env), as the ServiceAccount it installs with exactly its grants (the
// sandbox authorizes by RBAC, so a missing grant fails the operator as on a cluster), through
// every path that calls the API (informers, a backed-up migration that fails and is retried,
// audit-log CronJobs created, suspended, resumed and pruned, a repeated Event, a recovery,
// the finalizer on deletion, the leader Lease and its release); the sandbox logs each
// request with its User-Agent, so the test's own reads and writes are told apart, and with
// the authorization checks admission made on the operator's behalf (`update
// phasemaintenances/finalizers` for the children's blockOwnerDeletion). Then:
//  (a) every request the operator made is allowed by a rule of the install (a Role only in
//      its namespace, resourceNames only for those names), and
//  (b) every verb of every rule was used, by a request or an admission check: a grant
//      nothing uses is removed, or the scenario is extended to the path that needs it.
// The chart's namespaced mode (watchNamespaces: one Role per namespace with the same rules)
// is run too, for (a).
// Not covered: the restore of a network-policy recovery after restoreAfter (it needs a
// database that accepts the change; API-wise it is the same status write and Event), and
// the pg_dump's pruning of old dumps, which happens in the backup Job's pod, not through
// the API.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "../unit/spec_test_yaml.hpp"
#include "e2e/operator_harness.hpp"
#include "e2e/tools_harness.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;
namespace res = kube::resources;

const std::string kOperatorAgent = kube::HttpClientOptions{}.userAgent;
const std::string kPodName = "phase-maintenance-operator-7d9f8b6c5-x2kqp";

// One PolicyRule, where it applies: `ns` empty for a ClusterRole (every namespace and
// cluster-scoped requests), else the Role's namespace only.
struct Rule {
  std::string from;  // "ClusterRole phase-maintenance-operator", for messages
  std::string ns;
  std::vector<std::string> groups, resources, verbs, resourceNames;
};

std::vector<std::string> strings(const Json& rule, const char* key) {
  return rule.value(key, Json::array()).get<std::vector<std::string>>();
}

void addRules(std::vector<Rule>& out, const std::string& from, const std::string& ns, const Json& rules) {
  for (const auto& r : rules)
    out.push_back({from, ns, strings(r, "apiGroups"), strings(r, "resources"), strings(r, "verbs"),
                   strings(r, "resourceNames")});
}

bool has(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end() ||
         std::find(list.begin(), list.end(), "*") != list.end();
}

bool allows(const Rule& r, const sandbox::RequestRecord& q) {
  if (!r.ns.empty() && q.ns != r.ns) return false;
  if (!r.resourceNames.empty() && !has(r.resourceNames, q.name)) return false;
  return has(r.groups, q.group) && has(r.resources, q.resource) && has(r.verbs, q.verb);
}

std::string describe(const sandbox::RequestRecord& q) {
  return q.verb + " " + (q.group.empty() ? "" : q.group + "/") + q.resource + " " +
         (q.ns.empty() ? "(cluster scope)" : q.ns + "/") + q.name + " -> " + std::to_string(q.code);
}

// The rules of the RBAC objects among `objects` (a kustomize build or a helm render): a
// ClusterRole's everywhere, a Role's in its namespace.
std::vector<Rule> rulesOf(const std::vector<Json>& objects, const std::string& source) {
  std::vector<Rule> rules;
  for (const auto& doc : objects) {
    const std::string kind = doc.value("kind", ""), name = doc["metadata"].value("name", "");
    if (kind == "ClusterRole") addRules(rules, source + " ClusterRole " + name, "", doc["rules"]);
    if (kind == "Role") {
      const std::string ns = doc["metadata"].value("namespace", "");
      addRules(rules, source + " Role " + name + " (namespace " + ns + ")", ns, doc["rules"]);
    }
  }
  return rules;
}

// `kubectl kustomize` of a folder of the repository, parsed.
std::vector<Json> kustomize(const std::string& folder) {
  const RunResult built = run({"kubectl", "kustomize", sourcePath(folder)}, {}, 60s);
  if (built.exitCode != 0) throw std::runtime_error("kubectl kustomize " + folder + ": " + built.err);
  std::vector<Json> out;
  for (const auto& doc : YAML::LoadAll(built.out)) out.push_back(yamlToJson(doc));
  return out;
}

// The operator's requests, and as requests of their own the authorization checks admission
// made on its behalf; fails when a request is neither the operator's nor the test's, since
// it could then not be attributed.
std::vector<sandbox::RequestRecord> operatorRequests(OperatorHarness& h) {
  std::vector<sandbox::RequestRecord> out;
  for (const auto& q : h.sandbox().controls().requests()) {
    if (q.userAgent != kOperatorAgent) {
      EXPECT_EQ(q.userAgent, OperatorHarness::kTestUserAgent) << "a request from nobody known: " << describe(q);
      continue;
    }
    EXPECT_EQ(q.user, h.operatorUser()) << describe(q);
    out.push_back(q);
    for (const auto& c : q.admissionChecks) {
      sandbox::RequestRecord check = q;
      check.verb = c.verb;
      check.group = c.group;
      check.resource = c.resource;
      check.ns = c.ns;
      check.name = c.name;
      check.code = c.allowed ? 200 : 403;
      check.admissionChecks.clear();
      out.push_back(check);
    }
  }
  return out;
}

// (a): requests no rule allows, one line each with how often.
std::string forbidden(const std::vector<sandbox::RequestRecord>& requests, const std::vector<Rule>& rules) {
  std::map<std::string, int> lines;
  for (const auto& q : requests) {
    bool ok = false;
    for (const auto& r : rules) ok = ok || allows(r, q);
    if (!ok) ++lines[describe(q)];
  }
  std::string out;
  for (const auto& [line, n] : lines) out += "  " + line + (n > 1 ? "  (x" + std::to_string(n) + ")" : "") + "\n";
  return out;
}

// (b): verbs of rules that no request used.
std::string unused(const std::vector<sandbox::RequestRecord>& requests, const std::vector<Rule>& rules) {
  std::string out;
  for (const auto& r : rules)
    for (const auto& g : r.groups)
      for (const auto& resource : r.resources)
        for (const auto& verb : r.verbs) {
          const Rule one{r.from, r.ns, {g}, {resource}, {verb}, r.resourceNames};
          bool used = false;
          for (const auto& q : requests) used = used || allows(one, q);
          if (!used) out += "  " + r.from + ": " + verb + " " + (g.empty() ? "" : g + "/") + resource + "\n";
        }
  return out;
}

Json spec(const std::string& version, bool vacuum = true) {
  Json s = {{"version", version},
            {"database", demoDatabase("127.0.0.1", 1)},  // nothing listens: the recovery finds it unreachable
            {"migrations", {{"backup", {{"enabled", true}, {"persistentVolumeClaim", "phase-backups"}, {"keep", 1}}}}},
            {"auditLogs",
             {{"purge", Json::array({{{"organisation", "SpaceX"}, {"retainDays", 90}, {"schedule", "0 3 * * *"}}})}}}};
  if (vacuum) s["auditLogs"]["vacuum"] = {{"schedule", "30 3 * * 0"}};
  return s;
}

std::string str(const Json& pm, const char* pointer) { return pm.value(Json::json_pointer(pointer), std::string()); }

bool readyAt(const Json& pm, const std::string& v) {
  return str(pm, "/status/currentVersion") == v && conditionStatus(pm, "Ready") == "True";
}

std::vector<Json> items(OperatorHarness& h, const kube::Resource& r) {
  const Json list = h.client().list(r, "phase");
  return list.value("items", Json::array()).get<std::vector<Json>>();
}

// The migration run (annotation) of the Job of that name, "" when there is none.
std::string jobRun(OperatorHarness& h, const std::string& name) {
  for (const auto& j : h.jobs())
    if (str(j, "/metadata/name") == name) return str(j, "/metadata/annotations/maintenance.phase.dev~1migration-run");
  return "";
}

// The operator's container in a list of manifests.
Json containerOf(const std::vector<Json>& docs) {
  for (const auto& d : docs)
    if (d.value("kind", "") == "Deployment") return d.at("/spec/template/spec/containers/0"_json_pointer);
  throw std::runtime_error("no Deployment");
}

// Every path of the operator that calls the API, with the operator at index 0 running.
void runEveryApiPath(OperatorHarness& h) {
  // A migration with a backup that fails; the version set back; then retried: the Jobs of
  // the failed attempt (same names, an earlier run) are deleted and made again.
  sandbox::JobBehaviour fail;
  fail.succeed = false;
  h.sandbox().controls().setJobBehaviour("phase-migrate-v2-73-2", fail);
  h.applyPhaseMaintenance(spec("v2.73.2"));
  h.waitForPm([](const Json& p) { return conditionReason(p, "Migrated") == "MigrationFailed"; }, 30s,
              "MigrationFailed");
  h.applyPhaseMaintenance(spec("v2.72.0"));
  h.waitForPm([](const Json& p) { return readyAt(p, "v2.72.0"); }, 30s, "Ready at v2.72.0 again");
  h.sandbox().controls().setJobBehaviour("phase-migrate-v2-73-2", sandbox::JobBehaviour{});
  const std::string failedRun = jobRun(h, "phase-migrate-v2-73-2");
  h.applyPhaseMaintenance(spec("v2.73.2"));
  h.waitForPm([](const Json& p) { return readyAt(p, "v2.73.2"); }, 30s, "Ready at v2.73.2");
  EXPECT_NE(jobRun(h, "phase-migrate-v2-73-2"), failedRun) << "the failed attempt's Job is replaced";

  // CronJobs: created (suspended while migrating, then resumed), a result read, one pruned.
  ASSERT_TRUE(eventually([&] { return items(h, res::kCronJobs).size() == 2; }, 10s));
  const std::string purge = str(h.phaseMaintenance(), "/status/auditLogs/purge/0/name");
  sandbox::JobBehaviour run;
  run.terminationMessage = R"({"organisation":"SpaceX","retainDays":90,"deleted":7,"success":true})";
  h.sandbox().controls().setJobBehaviour(purge, run);
  h.sandbox().controls().triggerCronJob("phase", purge);
  h.waitForPm(
      [](const Json& p) { return p.value("/status/auditLogs/purge/0/lastResult/rowsDeleted"_json_pointer, 0) == 7; },
      30s, "the purge result");
  h.applyPhaseMaintenance(spec("v2.73.2", false));
  EXPECT_TRUE(eventually([&] { return items(h, res::kCronJobs).size() == 1; }, 10s)) << "the vacuum CronJob is pruned";

  // The same Warning twice: the second time the Event's count is patched.
  auto refused = [](const Json& p) { return conditionReason(p, "Migrated") == "DowngradeRefused"; };
  h.applyPhaseMaintenance(spec("v2.72.0", false));
  h.waitForPm(refused, 30s, "DowngradeRefused");
  h.applyPhaseMaintenance(spec("v2.73.2", false));
  h.waitForPm([](const Json& p) { return conditionStatus(p, "Migrated") == "True"; }, 30s, "Migrated again");
  h.applyPhaseMaintenance(spec("v2.72.0", false));
  h.waitForPm(refused, 30s, "DowngradeRefused again");
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& e : h.events())
          if (e.value("reason", "") == "DowngradeRefused" && e.value("count", 0) >= 2) return true;
        return false;
      },
      10s))
      << "a repeated Event is counted on the first";

  // A status write that meets a conflict is retried on a fresh read (the only GET of a
  // PhaseMaintenance: everything else is read from the cache).
  h.sandbox().controls().failNextRequestsTo("update", "phasemaintenances/status", 1, 409, "Conflict");
  Json conflicted = spec("v2.73.2", false);
  conflicted["migrations"]["backoffLimit"] = 3;
  h.applyPhaseMaintenance(conflicted);
  h.waitForPm([](const Json& p) { return p.value("/status/observedGeneration"_json_pointer, 0L) ==
                                         p.value("/metadata/generation"_json_pointer, -1L); },
              30s, "the new generation observed despite the conflict");

  // A break-glass request: the operator reads the Secret and finds the database unreachable.
  Json withRecovery = spec("v2.73.2", false);
  withRecovery["recovery"] = {
      {"resetGlobalNetworkPolicies", {{"requestId", "rbac-1"}, {"organisations", Json::array({"SpaceX"})}}}};
  h.applyPhaseMaintenance(withRecovery);
  h.waitForPm([](const Json& p) { return conditionStatus(p, "DatabaseReachable") == "False"; }, 30s,
              "DatabaseReachable=False");

  // Deletion: the finalizer is removed, then the object is gone.
  h.client().remove(res::kPhaseMaintenances, "phase", "phase", kube::Propagation::Background);
  EXPECT_TRUE(eventually(
      [&] {
        try {
          h.phaseMaintenance();
          return false;
        } catch (const kube::ApiError& e) {
          return e.reason() == kube::ErrorReason::NotFound;
        }
      },
      30s))
      << "the finalizer is removed:\n"
      << h.operatorLog();
  EXPECT_EQ(h.stopOperator(), 0) << "SIGTERM releases the Lease and exits 0";
}

// The namespaces a Deployment's operator watches: its --namespace arguments.
std::set<std::string> watchedNamespaces(const Json& container) {
  std::set<std::string> out;
  for (const auto& a : container.value("args", Json::array())) {
    const std::string arg = a.get<std::string>();
    if (arg.rfind("--namespace=", 0) == 0) out.insert(arg.substr(std::string("--namespace=").size()));
  }
  return out;
}

// Installs the kustomization's RBAC, runs the operator as its Deployment through every API
// path, and checks (a) and (b).
void expectLeastPrivilege(const std::string& folder) {
  OperatorHarness h;
  const std::vector<Json> built = kustomize(folder);
  h.installCrdAndPhase();  // Phase's namespace first: the namespaced install's Role goes in it
  h.installOperatorRbac(folder);
  h.sandbox().controls().clearRequests();
  std::string ownNs;
  for (const auto& o : built)
    if (o.value("kind", "") == "Deployment") ownNs = o.at("/metadata/namespace"_json_pointer);
  h.startOperatorAsContainer(containerOf(built), ownNs, kPodName);
  runEveryApiPath(h);

  const auto requests = operatorRequests(h);
  const auto rules = rulesOf(built, folder);
  ASSERT_FALSE(rules.empty());
  const std::string notAllowed = forbidden(requests, rules);
  EXPECT_TRUE(notAllowed.empty()) << folder << " does not allow these requests of the operator (add the verb to "
                                  "deploy/namespaced/role.yaml, deploy/overlays/cluster-wide/rbac.yaml and the "
                                  "chart's templates/rbac.yaml):\n"
                                  << notAllowed;
  const std::string notUsed = unused(requests, rules);
  EXPECT_TRUE(notUsed.empty()) << folder << " grants what the operator never used in this scenario (remove it "
                               "everywhere the rules are written, or extend the scenario to the path that needs it):\n"
                               << notUsed;
}

TEST(RbacE2E, NamespacedDefaultInstallAllowsEveryRequestAndGrantsNothingUnused) { expectLeastPrivilege("deploy"); }

TEST(RbacE2E, ClusterWideOverlayAllowsEveryRequestAndGrantsNothingUnused) {
  expectLeastPrivilege("deploy/overlays/cluster-wide");
}

// deploy/ lists the watched namespaces twice: the Roles it grants and the --namespace
// arguments the operator watches. They must agree: a namespace watched without its Role
// fails every list, a Role without the watch grants what nothing uses.
TEST(RbacE2E, NamespacedInstallWatchesExactlyTheNamespacesItGrants) {
  const std::vector<Json> built = kustomize("deploy");
  std::set<std::string> granted, clusterRoles;
  for (const auto& o : built) {
    const std::string kind = o.value("kind", "");
    if (kind == "ClusterRole" || kind == "ClusterRoleBinding") clusterRoles.insert(o["metadata"].value("name", ""));
    if (kind == "RoleBinding" && o.at("/roleRef/name"_json_pointer) == "phase-maintenance-operator")
      granted.insert(o.at("/metadata/namespace"_json_pointer).get<std::string>());
  }
  EXPECT_TRUE(clusterRoles.empty()) << "the default install grants nothing cluster-wide";
  EXPECT_FALSE(granted.empty());
  EXPECT_EQ(watchedNamespaces(containerOf(built)), granted);
  EXPECT_TRUE(watchedNamespaces(containerOf(kustomize("deploy/overlays/cluster-wide"))).empty())
      << "the cluster-wide overlay watches every namespace";
}

// The default install reads only the Secrets it names: a PhaseMaintenance that names
// another Secret of the namespace cannot make the operator read it.
TEST(RbacE2E, NamespacedInstallCannotReadASecretItDoesNotName) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.client().create(res::kSecrets, "phase",
                    {{"apiVersion", "v1"},
                     {"kind", "Secret"},
                     {"metadata", {{"name", "someone-elses-secret"}, {"namespace", "phase"}}},
                     {"stringData", {{"DATABASE_PASSWORD", "not-for-the-operator"}}}});
  h.installOperatorRbac("deploy");
  const std::vector<Json> built = kustomize("deploy");
  h.startOperatorAsContainer(containerOf(built), "phase-maintenance-system", kPodName);
  Json s = spec("v2.72.0", false);
  s["database"]["passwordSecretRef"]["name"] = "someone-elses-secret";
  s["recovery"] = {{"resetGlobalNetworkPolicies", {{"requestId", "steal-1"}}}};
  h.applyPhaseMaintenance(s);
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& q : h.sandbox().controls().requests())
          if (q.user == h.operatorUser() && q.resource == "secrets" && q.name == "someone-elses-secret")
            return q.code == 403;
        return false;
      },
      30s))
      << "the operator's read of an unnamed Secret is refused:\n"
      << h.operatorLog();
  EXPECT_TRUE(eventually(
      [&] { return h.operatorLog().find("add it to the resourceNames of its Role") != std::string::npos; }, 10s))
      << "the refusal names the fix:\n"
      << h.operatorLog();
  for (const auto& q : h.sandbox().controls().requests()) {
    if (q.user == h.operatorUser() && q.resource == "secrets") {
      EXPECT_NE(q.code, 200) << "the operator read " << describe(q);
    }
  }
}

TEST(RbacE2E, ChartNamespacedRolesAllowEveryRequest) {
  OperatorHarness h;
  const std::string releaseNs = "phase-maintenance-system";
  h.installCrdAndPhase();
  h.client().create(res::kNamespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", releaseNs}}}});
  // As the chart runs it with watchNamespaces: [phase], rendered by the real helm, as its
  // ServiceAccount with the RBAC the chart installs.
  const std::vector<Json> rendered = helmTemplate({"watchNamespaces={phase}"}, releaseNs);
  std::vector<Json> rbac;
  std::string serviceAccount;
  for (const auto& o : rendered) {
    const std::string kind = o.value("kind", "");
    if (kind == "ServiceAccount") serviceAccount = o.at("/metadata/name"_json_pointer);
    if (kind == "ServiceAccount" || kind == "Role" || kind == "RoleBinding" || kind == "ClusterRole" ||
        kind == "ClusterRoleBinding")
      rbac.push_back(o);
  }
  ASSERT_FALSE(serviceAccount.empty()) << "the chart renders a ServiceAccount";
  h.applyAll(rbac);
  h.runOperatorAs(releaseNs, serviceAccount);
  h.sandbox().controls().clearRequests();
  // Its own Pod is in an unwatched namespace: the chart must name the image (OPERATOR_IMAGE).
  h.startOperatorAsContainer(containerOf(rendered), releaseNs, kPodName);
  runEveryApiPath(h);

  const std::string notAllowed = forbidden(operatorRequests(h), rulesOf(rendered, "chart"));
  EXPECT_TRUE(notAllowed.empty()) << "the chart's namespaced Roles (watchNamespaces) do not allow these requests of "
                                     "the operator:\n"
                                  << notAllowed;
}

// The sandbox enforces what the rules say: without the finalizers grant, creating a Job
// that names its PhaseMaintenance as a blocking owner is refused as on a cluster that
// enforces owner references, and the operator makes no Job.
TEST(RbacE2E, WithoutTheFinalizersGrantTheOperatorCannotCreateItsJobs) {
  OperatorHarness h;
  h.installCrdAndPhase();
  h.installOperatorRbac();
  for (Json doc : loadYamlDocuments("deploy/overlays/cluster-wide/rbac.yaml")) {
    if (doc["kind"] != "ClusterRole") continue;
    Json kept = Json::array();
    for (const auto& r : doc["rules"])
      if (r["resources"] != Json::array({"phasemaintenances/finalizers"})) kept.push_back(r);
    ASSERT_LT(kept.size(), doc["rules"].size()) << "the ClusterRole grants update on phasemaintenances/finalizers";
    doc["rules"] = kept;
    h.client().update(kube::Resource{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false}, "", doc);
  }
  h.startOperator();
  h.applyPhaseMaintenance({{"version", "v2.73.2"}, {"database", demoDatabase("127.0.0.1", 1)}});
  EXPECT_TRUE(eventually(
      [&] {
        for (const auto& q : h.sandbox().controls().requests())
          if (q.user == h.operatorUser() && q.verb == "create" && q.resource == "jobs" && q.code == 403) return true;
        return false;
      },
      30s))
      << h.operatorLog();
  // The operator logs the refusal once the answer reached it, a moment after the sandbox
  // logged the request: wait for the line rather than race it.
  EXPECT_TRUE(eventually(
      [&] {
        return h.operatorLog().find("cannot set blockOwnerDeletion if an ownerReference refers to a resource you "
                                    "can't set finalizers on") != std::string::npos;
      },
      10s))
      << h.operatorLog();
  EXPECT_TRUE(h.jobs().empty());
}

}  // namespace
}  // namespace pmo::testing
