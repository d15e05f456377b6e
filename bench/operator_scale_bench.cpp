// Operator scale benchmark: the real operator binary against the sandbox API server with
// many Phase instances. Prints the time to reconcile them all, the operator's peak and
// steady resident memory, and the API requests it makes at rest; and, measured in the same
// run as baselines, the same operator's memory on an empty cluster and the time one plain
// client takes to write the same number of objects to this sandbox.
//
//   operator_scale_bench [--instances N] [--namespaces M] [--rest-seconds S] [--workers W]
//     --instances N     PhaseMaintenances, each with its own backend and worker Deployment
//                       (default 1000)
//     --namespaces M    spread over M namespaces (default 100)
//     --rest-seconds S  how long requests at rest are counted (default 60)
//     --workers W       passed to `run --workers` (default: the operator's own default)
//     --qps Q --burst B passed to `run` (default 1000 and 2000: reconciling N instances
//                       takes about 6N requests, so the default client-side limit of
//                       20/s alone would need 6N/20 s; the figure is printed)
//
// Each instance is a PhaseMaintenance in Follow mode with one purge and one vacuum
// CronJob, so reconciling it means: adopt the backend's version, create two CronJobs,
// write status (Ready), emit an Event. Targets (issue 3): all Ready within 10 s, at most
// 15 MiB resident, no API request at rest but watches and the Lease's.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kube/config.hpp"
#include "kube/http_client.hpp"
#include "sandbox/sandbox.hpp"
#include "support/process.hpp"
#include "unit/spec_test_yaml.hpp"

using namespace pmo;
using namespace pmo::testing;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace res = kube::resources;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
const char* kOperatorNamespace = "phase-maintenance-system";

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// VmRSS and VmHWM of a process, in bytes (0 when it is gone).
struct Memory {
  long long rss = 0, hwm = 0, anon = 0, file = 0;
};

Memory memoryOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  Memory m;
  std::string key;
  long long kb = 0;
  std::string unit;
  while (in >> key) {
    if (key == "VmRSS:" && in >> kb >> unit) m.rss = kb * 1024;
    else if (key == "VmHWM:" && in >> kb >> unit) m.hwm = kb * 1024;
    else if (key == "RssAnon:" && in >> kb >> unit) m.anon = kb * 1024;
    else if (key == "RssFile:" && in >> kb >> unit) m.file = kb * 1024;
  }
  return m;
}

// User + system CPU seconds a process has used.
double cpuSecondsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string f;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i == 14 || i == 15) ticks += std::stod(f);  // utime, stime
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double ownCpuSeconds() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Args {
  int instances = 1000;
  int namespaces = 100;
  int restSeconds = 60;
  std::string workers;
  std::string qps = "1000", burst = "2000";
};

Args parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(k + " needs a value");
      return argv[++i];
    };
    if (k == "--instances") a.instances = std::stoi(value());
    else if (k == "--namespaces") a.namespaces = std::stoi(value());
    else if (k == "--rest-seconds") a.restSeconds = std::stoi(value());
    else if (k == "--workers") a.workers = value();
    else if (k == "--qps") a.qps = value();
    else if (k == "--burst") a.burst = value();
    else throw std::runtime_error("unknown argument " + k + " (see the comment at the top of operator_scale_bench.cpp)");
  }
  if (a.instances < 1 || a.namespaces < 1 || a.namespaces > a.instances || a.restSeconds < 1)
    throw std::runtime_error("need --instances >= --namespaces >= 1 and --rest-seconds >= 1");
  return a;
}

// The demo Phase instance's Secret and Deployments (deploy/examples/demo/phase-instance.yaml),
// used as templates.
struct Templates {
  Json secret, backend, worker;
};

Templates loadTemplates() {
  Templates t;
  for (Json doc : loadYamlDocuments("deploy/examples/demo/phase-instance.yaml")) {
    const std::string kind = doc.value("kind", "");
    if (kind == "Secret") t.secret = doc;
    else if (kind == "Deployment" && doc["metadata"]["name"] == "phase-console-backend") t.backend = doc;
    else if (kind == "Deployment") t.worker = doc;
  }
  if (t.secret.is_null() || t.backend.is_null() || t.worker.is_null())
    throw std::runtime_error("deploy/examples/demo/phase-instance.yaml lacks the Secret or a Deployment");
  return t;
}

Json instanceSpec(const std::string& instance) {
  return {{"workloads",
           {{"backend", {{"deployment", instance + "-backend"}, {"container", "backend"}}},
            {"worker", {{"deployment", instance + "-worker"}, {"container", "worker"}}}}},
          {"database",
           {{"host", "phase-console-postgres"},
            {"name", "phase_db"},
            {"user", "phase_api"},
            {"passwordSecretRef", {{"name", "phase-console-secret"}}}}},
          {"auditLogs",
           {{"purge", Json::array({{{"organisation", "BenchCorp"}, {"retainDays", 90}, {"schedule", "0 3 * * *"}}})},
            {"vacuum", {{"schedule", "30 3 * * 0"}}}}}};
}

std::string nsName(int i) { return "tenant-" + std::to_string(i); }

// Creates the cluster: namespaces, one Secret per namespace, and per instance a backend
// and a worker Deployment and a PhaseMaintenance. Returns the seconds the PhaseMaintenance
// creates alone took (the plain-client baseline).
double populate(kube::Client& client, const Args& a, const Templates& t) {
  for (int n = 0; n < a.namespaces; ++n) {
    const std::string ns = nsName(n);
    client.create(res::kNamespaces, "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
    Json secret = t.secret;
    secret["metadata"]["namespace"] = ns;
    client.create(res::kSecrets, ns, secret);
  }
  for (int i = 0; i < a.instances; ++i) {
    const std::string ns = nsName(i % a.namespaces), instance = "phase-" + std::to_string(i);
    for (const auto& [tpl, suffix] : {std::pair{&t.backend, "-backend"}, std::pair{&t.worker, "-worker"}}) {
      Json d = *tpl;
      d["metadata"]["name"] = instance + suffix;
      d["metadata"]["namespace"] = ns;
      client.create(res::kDeployments, ns, d);
    }
  }
  const auto t0 = Clock::now();
  for (int i = 0; i < a.instances; ++i) {
    const std::string ns = nsName(i % a.namespaces), instance = "phase-" + std::to_string(i);
    client.create(res::kPhaseMaintenances, ns,
                  {{"apiVersion", "maintenance.phase.dev/v1alpha1"},
                   {"kind", "PhaseMaintenance"},
                   {"metadata", {{"name", instance}, {"namespace", ns}}},
                   {"spec", instanceSpec(instance)}});
  }
  return since(t0);
}

bool reconciled(const Json& pm) {
  const Json status = pm.value("status", Json::object());
  if (status.value("observedGeneration", -1LL) != pm["metadata"].value("generation", 0LL)) return false;
  for (const auto& c : status.value("conditions", Json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

// Follows the PhaseMaintenances with a watch (polling whole lists would cost the sandbox,
// on the same two cores, more than the operator's own work) and notes when every one of
// them is reconciled.
class ReconciledWatcher {
 public:
  ReconciledWatcher(kube::Client& client, int expected) : expected_(expected) {
    const Json list = client.listAll(res::kPhaseMaintenances, "");
    for (const auto& pm : list["items"]) note(pm);
    kube::WatchOptions opts;
    opts.resourceVersion = list["metadata"].value("resourceVersion", "");
    opts.timeoutSeconds = 600;
    stream_ = client.watch(res::kPhaseMaintenances, "", opts);
    thread_ = std::thread([this] {
      while (auto e = stream_->next()) {
        if (e->type == kube::WatchEventType::Added || e->type == kube::WatchEventType::Modified) note(e->object);
      }
    });
  }
  ~ReconciledWatcher() {
    stream_->cancel();
    thread_.join();
  }
  // Waits until all are reconciled; returns how many are.
  int wait(std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, timeout, [this] { return count() == expected_; });
    return count();
  }

 private:
  int count() const {
    return static_cast<int>(std::count_if(done_.begin(), done_.end(), [](const auto& kv) { return kv.second; }));
  }
  void note(const Json& pm) {
    std::lock_guard<std::mutex> lock(mu_);
    done_[pm["metadata"].value("namespace", "") + "/" + pm["metadata"].value("name", "")] = reconciled(pm);
    if (count() == expected_) cv_.notify_all();
  }
  const int expected_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, bool> done_;
  std::unique_ptr<kube::WatchStream> stream_;
  std::thread thread_;
};

std::unique_ptr<Process> startOperator(const std::string& kubeconfig, const std::string& log, const Args& a) {
  std::vector<std::string> argv = {PMO_OPERATOR_BINARY, "run", "--kubeconfig", kubeconfig, "--leader-elect",
                                   "--metrics-bind-address", "127.0.0.1:0", "--operator-image",
                                   "phase-maintenance-operator:bench", "--log-level", "info", "--log-format", "json", "--qps", a.qps,
                                   "--burst", a.burst};
  if (!a.workers.empty()) argv.insert(argv.end(), {"--workers", a.workers});
  return std::make_unique<Process>(argv, std::map<std::string, std::string>{{"POD_NAMESPACE", kOperatorNamespace}},
                                   log);
}

void waitForLeadership(Process& op, std::chrono::seconds timeout) {
  if (!eventually([&] { return op.output().find("became the leader") != std::string::npos; }, timeout))
    throw std::runtime_error("the operator did not become the leader:\n" + op.output());
}

// The operator's one log line per reconcile: how many, their outcomes, and durations.
std::string reconcileSummary(const std::string& log) {
  std::istringstream in(log);
  std::string line;
  std::vector<double> ms;
  std::map<std::string, int> outcomes;
  while (std::getline(in, line)) {
    const Json rec = Json::parse(line, nullptr, false);
    if (rec.is_discarded() || rec.value("msg", "") != "reconcile") continue;
    ms.push_back(rec.value("durationMs", 0.0));
    outcomes[rec.value("outcome", "?")]++;
  }
  if (ms.empty()) return "no reconcile logged";
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(ms.size() * q))]; };
  std::string out = std::to_string(ms.size()) + " reconciles (";
  for (const auto& [k, n] : outcomes) out += k + " " + std::to_string(n) + ", ";
  char buf[128];
  std::snprintf(buf, sizeof buf, "p50 %.0f ms, p90 %.0f ms, max %.0f ms)", at(0.5), at(0.9), ms.back());
  return out.substr(0, out.size() - 2) + "), " + buf;
}

std::string fmt(double v, int precision = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", precision, v);
  return buf;
}

bool check(const std::string& what, bool ok, const std::string& figure) {
  std::printf("  %-4s %s: %s\n", ok ? "ok" : "MISS", what.c_str(), figure.c_str());
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = parseArgs(argc, argv);
    const Templates templates = loadTemplates();
    TempDir dir;

    sandbox::Options so;
    so.dataDir = dir.path() + "/sandbox";
    so.rolloutDuration = std::chrono::milliseconds(100);
    so.bookmarkInterval = std::chrono::seconds(60);  // a real API server's bookmarks are about a minute apart
    sandbox::Server sandbox(so);
    sandbox.start();
    kube::HttpClientOptions clientOptions;
    clientOptions.userAgent = "operator-scale-bench";
    clientOptions.qps = 0;  // the bench's own writes and polls are not what is measured
    kube::HttpClient client(kube::loadKubeconfig(sandbox.kubeconfigPath()), clientOptions);
    client.create(res::kCustomResourceDefinitions, "", loadCrd());
    client.create(res::kNamespaces, "",
                  {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kOperatorNamespace}}}});

    std::printf("operator_scale_bench: %d PhaseMaintenances in %d namespaces, %d s at rest; operator --qps %s --burst %s%s\n",
                a.instances, a.namespaces, a.restSeconds, a.qps.c_str(), a.burst.c_str(),
                a.workers.empty() ? "" : (" --workers " + a.workers).c_str());

    // Baseline: the same binary on a cluster with no PhaseMaintenance.
    double emptyRss = 0;
    {
      auto op = startOperator(sandbox.kubeconfigPath(), dir.path() + "/operator-empty.log", a);
      waitForLeadership(*op, std::chrono::seconds(30));
      std::this_thread::sleep_for(std::chrono::seconds(3));
      emptyRss = memoryOf(op->pid()).rss / kMiB;
      op->signal(SIGTERM);
      if (op->wait(std::chrono::seconds(20)) != 0) throw std::runtime_error("the operator did not stop cleanly");
    }
    // The floor: one HTTPS request with the same HTTP stack and nothing else.
    const RunResult floorRun = run({PMO_CPPREST_FLOOR_BINARY, sandbox.url(), dir.path() + "/sandbox/ca.crt"});
    if (floorRun.exitCode != 0) throw std::runtime_error("cpprest_floor failed: " + floorRun.err);
    const double floorRss = std::stod(floorRun.out) / 1024.0;
    std::printf("baseline: operator on an empty cluster: %.1f MiB resident; floor (cpprest_floor: cpprestsdk + OpenSSL, "
                "one HTTPS request, nothing else): %.1f MiB\n",
                emptyRss, floorRss);

    const auto p0 = Clock::now();
    const double createSeconds = populate(client, a, templates);
    std::printf("baseline: one plain client created the %d PhaseMaintenances in %.2f s (%.0f/s); whole cluster in %.1f s\n",
                a.instances, createSeconds, a.instances / createSeconds, since(p0));
    std::fflush(stdout);

    const std::string log = dir.path() + "/operator.log";
    ReconciledWatcher watcher(client, a.instances);
    sandbox.controls().clearRequests();
    const auto t0 = Clock::now();
    const double benchCpu0 = ownCpuSeconds();
    auto op = startOperator(sandbox.kubeconfigPath(), log, a);
    waitForLeadership(*op, std::chrono::seconds(30));
    const double leaderSeconds = since(t0);
    const int done = watcher.wait(std::chrono::seconds(120));
    const double operatorCpu = cpuSecondsOf(op->pid()), sandboxCpu = ownCpuSeconds() - benchCpu0;
    const double reconcileSeconds = since(t0);
    if (done != a.instances)
      throw std::runtime_error(std::to_string(done) + " of " + std::to_string(a.instances) +
                               " reconciled after 120 s; operator log tail:\n" + op->output().substr(
                                   op->output().size() > 4000 ? op->output().size() - 4000 : 0));
    std::map<std::string, int> toReconcile;
    int operatorRequests = 0;
    for (const auto& r : sandbox.controls().requests()) {
      if (r.userAgent.rfind("phase-maintenance-operator", 0) != 0) continue;  // not the bench's own polling
      toReconcile[r.verb + " " + r.resource]++;
      ++operatorRequests;
    }
    const Json cronJobs = client.list(res::kCronJobs, "");
    std::printf("reconciled: %d of %d Ready in %.2f s from process start (leader after %.2f s); %zu CronJobs\n", done,
                a.instances, reconcileSeconds, leaderSeconds, cronJobs["items"].size());
    std::printf("reconciles: %s\n", reconcileSummary(op->output()).c_str());
    std::printf("CPU meanwhile: operator %.2f s, sandbox API server (and this bench's watch) %.2f s, on %ld cores\n",
                operatorCpu, sandboxCpu, sysconf(_SC_NPROCESSORS_ONLN));
    std::printf("requests to reconcile: %d (%.1f per instance; at the default --qps 20, %.0f s at least): ",
                operatorRequests, static_cast<double>(operatorRequests) / a.instances, operatorRequests / 20.0);
    for (const auto& [k, n] : toReconcile) std::printf("%s %d; ", k.c_str(), n);
    std::printf("\n");
    std::fflush(stdout);

    // At rest: the last status writes and Events settle, then every request is counted.
    std::this_thread::sleep_for(std::chrono::seconds(5));
    sandbox.controls().clearRequests();
    std::this_thread::sleep_for(std::chrono::seconds(a.restSeconds));
    const auto requests = sandbox.controls().requests();
    const Memory final = memoryOf(op->pid());  // VmHWM: the kernel's own peak since exec
    const long long steady = final.rss;

    std::map<std::string, int> byKind;
    int writesBesidesLease = 0, leaseWrites = 0, watches = 0, reads = 0;
    for (const auto& r : requests) {
      byKind[r.verb + " " + r.resource]++;
      const bool write = r.verb != "get" && r.verb != "list" && r.verb != "watch";
      if (r.resource == "leases") leaseWrites += write ? 1 : 0;
      else if (write) ++writesBesidesLease;
      if (r.verb == "watch") ++watches;
      else if ((r.verb == "get" || r.verb == "list") && r.resource != "leases") ++reads;
    }
    const double perMinute = 60.0 / a.restSeconds;
    std::printf("at rest (%d s): %.1f requests/min: ", a.restSeconds, requests.size() * perMinute);
    for (const auto& [k, n] : byKind) std::printf("%s %.1f/min; ", k.c_str(), n * perMinute);
    std::printf("\n");
    std::printf("memory: peak %.1f MiB (VmHWM), %.1f MiB steady at rest (VmRSS: %.1f anonymous, %.1f mapped files); "
                "empty-cluster baseline %.1f MiB, HTTP-stack floor %.1f MiB; above the floor: %.1f MiB\n",
                final.hwm / kMiB, steady / kMiB, final.anon / kMiB, final.file / kMiB, emptyRss, floorRss,
                final.hwm / kMiB - floorRss);

    op->signal(SIGTERM);
    const int exitCode = op->wait(std::chrono::seconds(20));

    bool ok = true;
    ok &= check("all reconciled within 10 s", reconcileSeconds <= 10.0, fmt(reconcileSeconds, 2) + " s");
    ok &= check("peak resident memory <= 15 MiB", final.hwm <= 15 * kMiB, fmt(final.hwm / kMiB) + " MiB");
    ok &= check("steady resident memory <= 15 MiB", steady <= 15 * kMiB, fmt(steady / kMiB) + " MiB");
    ok &= check("no writes at rest besides the Lease", writesBesidesLease == 0,
                std::to_string(writesBesidesLease) + " (Lease: " + fmt(leaseWrites * perMinute) + "/min)");
    ok &= check("no reads at rest but the Lease's (watches only)", reads == 0,
                std::to_string(reads) + " (watch requests: " + fmt(watches * perMinute) + "/min)");
    ok &= check("the operator stops cleanly on SIGTERM", exitCode == 0, "exit " + std::to_string(exitCode));
    std::printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "operator_scale_bench: " << e.what() << "\n";
    return 1;
  }
}
