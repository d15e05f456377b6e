// Chaos: version moves driven through two operator replicas with leader election while
// the network between them and the API server resets, stalls and cuts connections (a
// seeded TCP fault proxy per replica), the API server fails requests (500, 429, 409),
// drops watches and forgets history, and the operator is killed with SIGKILL at random
// steps, the leader among them. The upgrade invariants are checked from the sandbox's
// request log and the objects it keeps:
//   - one migration Job per move (one successful create);
//   - no Deployment runs a version before that version's migration Job succeeded;
//   - replicas restored after every move; Ready at the end;
//   - at rest, no writes but Lease traffic;
//   - the database password in no log, Event or status.
// PMO_CHAOS_SEED picks the faults (printed on failure, to repeat a run), PMO_CHAOS_MOVES
// the number of moves (3 in CI), PMO_CHAOS_MINUTES turns it into a soak that keeps
// moving until that much time passed (scripts/chaos-soak.sh).
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "e2e/operator_harness.hpp"
#include "e2e/replicas_harness.hpp"
#include "maintenance/names.hpp"
#include "runtime/time_format.hpp"
#include "support/eventually.hpp"
#include "support/fault_proxy.hpp"

namespace pmo::testing {
namespace {

using namespace std::chrono_literals;
namespace res = kube::resources;
const kube::Resource kReplicaSets{"apps", "v1", "replicasets", "ReplicaSet", true};

long envLong(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtol(v, nullptr, 10) : fallback;
}

// The test's own requests meet the injected API failures too: retry them.
template <typename F>
auto retrying(F f) -> decltype(f()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return f();
    } catch (const kube::ApiError&) {
      if (attempt >= 20) throw;
      std::this_thread::sleep_for(100ms);
    }
  }
}

bool atVersion(const Json& pm, const std::string& v) {
  return pm.value("/status/currentVersion"_json_pointer, std::string()) == v &&
         conditionStatus(pm, "Ready") == "True";
}

struct Chaos {
  OperatorHarness& h;
  std::mt19937_64 rng;
  std::vector<Replica> replicas;
  std::vector<std::unique_ptr<FaultProxy>> proxies;
  int kills = 0, leaderKills = 0, sandboxFaults = 0, watchDrops = 0, compactions = 0;

  long pick(long n) { return std::uniform_int_distribution<long>(0, n - 1)(rng); }

  // The replica whose Lease write succeeded last, or -1.
  int leader() {
    const auto log = h.sandbox().controls().requests();
    for (auto it = log.rbegin(); it != log.rend(); ++it) {
      if (it->resource != "leases" || (it->verb != "update" && it->verb != "create") || it->code >= 300) continue;
      for (size_t i = 0; i < replicas.size(); ++i)
        if (it->user == replicas[i].user) return static_cast<int>(i);
    }
    return -1;
  }

  void start(int i) { startReplica(h, replicas[i], i, {"--leader-elect"}); }

  void kill(int i) {
    h.killOperator(i);
    ++kills;
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + pick(800)));
    start(i);
  }

  void proxyFaults(bool on) {
    ProxyFaults f;
    if (on) {
      f.reset = 0.01;
      f.stall = 0.01;
      f.cut = 0.005;
      f.maxStall = 2500ms;
    }
    for (auto& p : proxies) p->setFaults(f);
  }

  // One random step of chaos.
  void step() {
    auto& c = h.sandbox().controls();
    switch (pick(8)) {
      case 0: {
        static const std::pair<int, const char*> codes[] = {
            {500, "InternalError"}, {429, "TooManyRequests"}, {409, "Conflict"}};
        const auto& [code, reason] = codes[pick(3)];
        c.failNextRequests(1 + static_cast<int>(pick(3)), code, reason, code == 429 ? 1 : 0);
        ++sandboxFaults;
        break;
      }
      case 1:
        c.dropWatches();
        ++watchDrops;
        break;
      case 2:
        c.compact();
        c.dropWatches();
        ++compactions;
        break;
      case 3:
        proxies[pick(proxies.size())]->resetAll();
        break;
      default:
        break;  // a quiet step
    }
  }

  std::string summary(long seed) const {
    std::string s = "seed " + std::to_string(seed) + ": kills " + std::to_string(kills) + " (leader " +
                    std::to_string(leaderKills) + "), sandbox faults " + std::to_string(sandboxFaults) +
                    ", watch drops " + std::to_string(watchDrops) + ", compactions " + std::to_string(compactions);
    for (size_t i = 0; i < proxies.size(); ++i) {
      const ProxyStats st = proxies[i]->stats();
      s += "; proxy " + std::to_string(i) + ": " + std::to_string(st.connections) + " connections, " +
           std::to_string(st.resets) + " resets, " + std::to_string(st.stalls) + " stalls, " +
           std::to_string(st.cuts) + " cuts";
    }
    return s;
  }
};

std::string containerImageOfTemplate(const Json& rs, const std::string& container) {
  for (const auto& c : rs.value("/spec/template/spec/containers"_json_pointer, Json::array()))
    if (c.value("name", "") == container) return c.value("image", "");
  return "";
}

// No ReplicaSet of backend or worker with `version`'s image was created before the
// version's migration Job completed (timestamps in seconds: equal is allowed).
void expectNoImageBeforeItsJob(OperatorHarness& h, const std::string& version, const std::string& context) {
  const Json job =
      retrying([&] { return h.client().get(res::kJobs, "phase", maintenance::migrationJobName("phase", version)); });
  const auto completed = runtime::parseTime(job.value("/status/completionTime"_json_pointer, std::string()));
  ASSERT_TRUE(completed) << context << ": the migration Job of " << version << " has no completionTime";
  const Json list = retrying([&] { return h.client().list(kReplicaSets, "phase"); });
  int seen = 0;
  for (const auto& rs : list.value("items", Json::array())) {
    const std::string owner = rs.value("/metadata/ownerReferences/0/name"_json_pointer, std::string());
    const std::string container = owner == "phase-console-backend" ? "backend" : "worker";
    if (imageTag(containerImageOfTemplate(rs, container)) != version) continue;
    ++seen;
    const auto created = runtime::parseTime(rs.value("/metadata/creationTimestamp"_json_pointer, std::string()));
    ASSERT_TRUE(created);
    EXPECT_GE(*created, std::chrono::time_point_cast<std::chrono::seconds>(*completed))
        << context << ": ReplicaSet " << rs["metadata"]["name"] << " of " << version
        << " was created before its migration Job completed";
  }
  EXPECT_GE(seen, 2) << context << ": backend and worker run " << version;
}

TEST(ChaosE2E, UpgradesKeepTheirInvariantsUnderNetworkApiAndProcessFaults) {
  const long seed = envLong("PMO_CHAOS_SEED", 20261130);
  const long moves = envLong("PMO_CHAOS_MOVES", 3);
  const long minutes = envLong("PMO_CHAOS_MINUTES", 0);
  const std::string password = "chaos-Pw-" + std::to_string(seed) + "-q7Zx";
  OperatorHarness h;
  h.installCrdAndPhase(password);
  Chaos chaos{h, std::mt19937_64(static_cast<std::uint64_t>(seed)), {}, {}};
  chaos.replicas.push_back(primaryReplica(h));
  chaos.replicas.push_back(addReplicaAccount(h, "phase-maintenance-operator-b"));
  for (size_t i = 0; i < chaos.replicas.size(); ++i) {
    chaos.proxies.push_back(std::make_unique<FaultProxy>(h.sandbox().port(), seed * 31 + i));
    pointReplicaAt(h, chaos.replicas[i], chaos.proxies[i]->url());
    chaos.start(static_cast<int>(i));
  }
  const int backendReplicas = h.deployment("phase-console-backend")["spec"].value("replicas", 1);
  const int workerReplicas = h.deployment("phase-console-worker")["spec"].value("replicas", 1);
  SCOPED_TRACE("PMO_CHAOS_SEED=" + std::to_string(seed));

  const auto began = std::chrono::steady_clock::now();
  std::vector<std::string> versions;
  for (long move = 0;; ++move) {
    if (minutes > 0 ? std::chrono::steady_clock::now() - began > std::chrono::minutes(minutes) : move >= moves) break;
    const std::string version = "v2.73." + std::to_string(move);
    const std::string gate = move % 2 ? "ScaleDown" : "HoldRollout";
    versions.push_back(version);
    chaos.proxyFaults(true);
    retrying([&] {
      h.applyPhaseMaintenance({{"version", version}, {"database", demoDatabase()}, {"migrations", {{"gate", gate}}}});
      return 0;
    });
    // The leader is killed at a random step of every other move; any replica at others.
    const long killAt = chaos.pick(3);  // early: a move takes only a few seconds without a kill
    const bool killLeader = move % 2 == 0;
    const auto deadline = std::chrono::steady_clock::now() + 100s;
    long stepNo = 0;
    Json pm;
    while (std::chrono::steady_clock::now() < deadline) {
      if (stepNo == killAt) {
        const int leader = chaos.leader();
        const int victim = killLeader && leader >= 0 ? leader : static_cast<int>(chaos.pick(2));
        if (victim == leader) ++chaos.leaderKills;
        chaos.kill(victim);
      }
      pm = retrying([&] { return h.phaseMaintenance(); });
      if (stepNo > killAt && atVersion(pm, version)) break;
      chaos.step();
      ++stepNo;
      std::this_thread::sleep_for(std::chrono::milliseconds(300 + chaos.pick(700)));
      if (stepNo > 12) chaos.proxyFaults(false);  // let a long move finish: faults are not the point then
    }
    const std::string context = "move " + std::to_string(move) + " to " + version + " (" + gate + ")";
    ASSERT_TRUE(atVersion(pm, version)) << context << " did not finish: " << pm.value("status", Json()).dump()
                                        << "\n" << chaos.summary(seed) << "\noperator 0:\n"
                                        << h.operatorLog(0).substr(h.operatorLog(0).size() > 6000 ? h.operatorLog(0).size() - 6000 : 0)
                                        << "\noperator 1:\n"
                                        << h.operatorLog(1).substr(h.operatorLog(1).size() > 6000 ? h.operatorLog(1).size() - 6000 : 0);
    expectNoImageBeforeItsJob(h, version, context);
    EXPECT_EQ(retrying([&] { return h.deployment("phase-console-backend"); })["spec"].value("replicas", -1),
              backendReplicas)
        << context;
    EXPECT_EQ(retrying([&] { return h.deployment("phase-console-worker"); })["spec"].value("replicas", -1),
              workerReplicas)
        << context;
  }

  // At rest: faults off; the last status write and Events settle.
  chaos.proxyFaults(false);
  h.sandbox().controls().failNextRequests(0, 500, "InternalError");
  const std::string last = versions.back();
  const Json pm = h.waitForPm([&](const Json& p) { return atVersion(p, last); }, 60s, "Ready at " + last);
  const auto log = h.sandbox().controls().requests();
  // The log names the collection of a create, not the object: count the Jobs created (the
  // only Jobs of this instance are migration Jobs) and check each move's by its name.
  int jobCreates = 0;
  for (const auto& q : log) jobCreates += q.verb == "create" && q.resource == "jobs" && q.code == 201;
  EXPECT_EQ(jobCreates, static_cast<int>(versions.size())) << "one migration Job per move";
  std::set<std::string> jobNames;
  for (const auto& j : h.jobs()) jobNames.insert(j.value("/metadata/name"_json_pointer, std::string()));
  for (const auto& v : versions)
    EXPECT_EQ(jobNames.count(maintenance::migrationJobName("phase", v)), 1u) << "the migration Job of " << v;

  // A replica that lost its lease under the faults exits to restart as a follower; the
  // kubelet would start it again, so the test does, and waits for a leader to renew.
  for (int i = 0; i < 2; ++i)
    if (!h.operatorRunning(i)) chaos.start(i);
  h.sandbox().controls().clearRequests();
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& q : h.sandbox().controls().requests())
          if (q.resource == "leases" && q.verb == "update") return true;
        return false;
      },
      30s))
      << "no replica leads after the faults";
  std::this_thread::sleep_for(3s);
  h.sandbox().controls().clearRequests();
  std::this_thread::sleep_for(12s);
  std::vector<std::string> atRest;
  for (const auto& r : chaos.replicas)
    for (const auto& q : writesOf(h.sandbox().controls().requests(), r.user))
      atRest.push_back(q.verb + " " + q.resource + " " + q.name);
  EXPECT_TRUE(atRest.empty()) << "writes at rest: " << ::testing::PrintToString(atRest);
  int leaseWrites = 0;
  for (const auto& q : h.sandbox().controls().requests()) leaseWrites += q.resource == "leases" && q.verb == "update";
  EXPECT_GT(leaseWrites, 0) << "the leader renews its Lease at rest";

  for (int i = 0; i < 2; ++i) EXPECT_EQ(h.operatorLog(i).find(password), std::string::npos) << "operator " << i;
  EXPECT_EQ(pm.dump().find(password), std::string::npos);
  for (const auto& e : h.events()) EXPECT_EQ(e.dump().find(password), std::string::npos);
  EXPECT_GE(chaos.kills, 1);
  std::cout << "chaos: " << versions.size() << " moves in "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began).count()
            << " s; " << chaos.summary(seed) << "\n";
}

}  // namespace
}  // namespace pmo::testing
