// `run`: the operator. Connects to the API server (retrying what a retry can fix, exiting
// with a clear message on what it cannot), serves /healthz, /readyz and /metrics, and reconciles PhaseMaintenances
// until SIGTERM/SIGINT, when it finishes the reconcile in flight and releases its lease.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>

#include "cli/command.hpp"
#include "common/args.hpp"
#include "common/log.hpp"
#include "controller/operator.hpp"
#include "db/recovery/runner.hpp"
#include "kube/config.hpp"
#include "kube/errors.hpp"
#include "kube/http_client.hpp"
#include "observability/health.hpp"
#include "observability/http_server.hpp"
#include "observability/operator_metrics.hpp"
#include "runtime/event_recorder.hpp"

namespace pmo::cli {
namespace {

args::Spec runSpec() {
  args::Spec spec("run", "[FLAGS]",
                  "Runs the operator: reconciles PhaseMaintenance resources (migration-gated upgrades,\n"
                  "audit-log CronJobs, break-glass recoveries) until SIGTERM or SIGINT.\n"
                  "Exit codes: 0 stopped by a signal, 1 could not start or lost the leader lease, 2 bad usage.");
  spec.flag({"kubeconfig", "PATH", "kubeconfig file (default: $KUBECONFIG, in-cluster, ~/.kube/config)", false, ""})
      .flag({"context", "NAME", "kubeconfig context (default: its current-context)", false, ""})
      .flag({"namespace", "NS",
             "namespace to watch; repeat for several (default: $WATCH_NAMESPACE, comma-separated, else all)", true,
             ""})
      .flag({"leader-elect", "", "elect a leader with a Lease so that replicas never write together", false, ""})
      .flag({"leader-election-namespace", "NS", "namespace of the Lease (default: $POD_NAMESPACE, else the "
             "kubeconfig's namespace)", false, ""})
      .flag({"leader-election-id", "NAME", "name of the Lease", false, "phase-maintenance-operator"})
      .flag({"metrics-bind-address", "ADDR", "address of /healthz, /readyz and /metrics; \"0\" disables", false,
             ":8080"})
      .flag({"operator-image", "IMAGE",
             "image the purge and vacuum CronJobs run (default: $OPERATOR_IMAGE, else this Pod's own image)", false,
             ""})
      .flag({"allowed-images", "PREFIX",
             "an image a PhaseMaintenance may make the operator run: a registry or namespace ending in '/' "
             "(ghcr.io/acme/), a repository (docker.io/phasehq/backend) or a repository:tag (postgres:15); "
             "repeatable; an image outside them makes the spec invalid (default: any image)",
             true, ""})
      .flag({"workers", "N", "reconciles run in parallel (never two for one resource)", false, "2"})
      .flag({"qps", "N", "client-side limit of API requests per second", false, "20"})
      .flag({"burst", "N", "client-side burst of API requests", false, "40"})
      .flag({"resync-period", "DURATION", "how often every resource is reconciled without a change", false, "10m"})
      .flag({"log-format", "FORMAT", "text or json", false, "text"})
      .flag({"log-level", "LEVEL", "debug, info, warn or error", false, "info"});
  return spec;
}

std::string envOr(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::vector<std::string> watchNamespaces(const args::Parsed& p) {
  std::vector<std::string> out = p.all("namespace");
  if (!out.empty()) return out;
  std::stringstream ss(envOr("WATCH_NAMESPACE"));
  for (std::string ns; std::getline(ss, ns, ',');) {
    if (!ns.empty()) out.push_back(ns);
  }
  return out;
}

// ":8080" / "127.0.0.1:9090" / "0" (disabled).
bool parseBindAddress(const std::string& text, observability::HttpServerOptions& out) {
  if (text == "0") return false;
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw args::UsageError("--metrics-bind-address: expected HOST:PORT, :PORT or 0");
  out.address = colon == 0 ? "0.0.0.0" : text.substr(0, colon);
  try {
    out.port = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
    throw args::UsageError("--metrics-bind-address: \"" + text + "\" has no port number");
  }
  return true;
}

// The image of this Pod's first container, so the CronJobs run the same build.
std::string ownImage(kube::Client& client) {
  const std::string pod = envOr("POD_NAME"), ns = envOr("POD_NAMESPACE");
  if (pod.empty() || ns.empty()) return "";
  try {
    const auto obj = client.get(kube::resources::kPods, ns, pod);
    return obj.value("/spec/containers/0/image"_json_pointer, std::string());
  } catch (const std::exception& e) {
    log::warn("cannot read this Pod's image; set --operator-image", {{"pod", ns + "/" + pod}, {"error", e.what()}});
    return "";
  }
}

class RecorderSink final : public controller::EventSink {
 public:
  explicit RecorderSink(runtime::EventRecorder& r) : r_(r) {}
  void event(const nlohmann::json& regarding, const std::string& type, const std::string& reason,
             const std::string& message) override {
    r_.record(regarding, type == "Warning" ? runtime::EventType::Warning : runtime::EventType::Normal, reason, message);
  }

 private:
  runtime::EventRecorder& r_;
};

enum class Startup { Reachable, Stopped, Refused };

// Waits until the API server answers /version. What a retry can fix (connection refused or
// reset, TLS not yet up, 5xx, 429, timeouts) is retried with capped exponential backoff and
// jitter for as long as it takes, so a blip at start-up never exits the process (in a
// cluster that would be CrashLoopBackOff); a refusal no retry fixes (401, 403, a bad
// request) ends it with the reason. SIGTERM/SIGINT while waiting stops cleanly.
Startup awaitApiServer(kube::HttpClient& client, const kube::ClusterConfig& config, const sigset_t& signals) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  std::chrono::milliseconds delay(500);
  for (int attempt = 1;; ++attempt) {
    std::string why;
    try {
      client.getRaw("/version");  // reachable, trusted, authenticated
      if (attempt > 1) log::info("Kubernetes API server reachable", {{"server", config.server}, {"attempts", attempt}});
      return Startup::Reachable;
    } catch (const kube::ApiError& e) {
      if (!e.transient()) {
        std::cerr << "run: the Kubernetes API server at " << config.server << " (" << config.source
                  << ") refused the operator: " << e.what() << "\n";
        return Startup::Refused;
      }
      why = e.what();
    } catch (const std::exception& e) {
      why = e.what();
    }
    const auto wait = std::chrono::milliseconds(static_cast<long long>(static_cast<double>(delay.count()) * jitter(rng)));
    log::warn("cannot reach the Kubernetes API server; retrying",
              {{"server", config.server}, {"attempt", attempt}, {"retryInMs", wait.count()}, {"error", why}});
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(wait);
    timespec pause{static_cast<time_t>(secs.count()), static_cast<long>((wait - secs).count() * 1000000)};
    const int sig = sigtimedwait(&signals, nullptr, &pause);
    if (sig == SIGTERM || sig == SIGINT) return Startup::Stopped;
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(30));
  }
}

int runCommand(const std::vector<std::string>& argv) {
  const args::Spec spec = runSpec();
  args::Parsed p;
  bool help = false;
  controller::OperatorOptions opts;
  observability::HttpServerOptions probeOpts;
  bool serveProbes = true;
  kube::HttpClientOptions httpOpts;
  try {
    p = spec.parse(argv, help);
    if (help) {
      std::cout << spec.usage();
      return kExitOk;
    }
    log::Level level;
    log::Format format;
    if (!log::parseLevel(p.get("log-level", "info"), level))
      throw args::UsageError("--log-level: expected debug, info, warn or error");
    if (!log::parseFormat(p.get("log-format", "text"), format))
      throw args::UsageError("--log-format: expected text or json");
    log::configure(level, format);
    opts.namespaces = watchNamespaces(p);
    opts.workers = static_cast<int>(p.getLong("workers", 2));
    if (opts.workers < 1) throw args::UsageError("--workers: must be at least 1");
    httpOpts.qps = p.getDouble("qps", 20);
    httpOpts.burst = static_cast<int>(p.getLong("burst", 40));
    try {
      opts.resyncPeriod = std::chrono::seconds(args::parseDurationMs(p.get("resync-period", "10m")) / 1000);
    } catch (const std::invalid_argument& e) {
      throw args::UsageError(std::string("--resync-period: ") + e.what());
    }
    serveProbes = parseBindAddress(p.get("metrics-bind-address", ":8080"), probeOpts);
    opts.leaderElect = p.has("leader-elect");
    for (const auto& prefix : p.all("allowed-images")) {
      if (const std::string why = maintenance::invalidImagePrefix(prefix); !why.empty())
        throw args::UsageError("--allowed-images: " + why);
      opts.imagePolicy.allowedPrefixes.push_back(prefix);
    }
  } catch (const args::UsageError& e) {
    std::cerr << "run: " << e.what() << "\n\n" << spec.usage();
    return kExitUsage;
  }

  kube::ClusterConfig config;
  try {
    config = kube::loadDefault(p.get("kubeconfig"), p.get("context"));
  } catch (const std::exception& e) {
    std::cerr << "run: cannot configure the Kubernetes client: " << e.what() << "\n";
    return kExitFailure;
  }

  // Two malloc arenas instead of up to one per thread: each arena keeps its own
  // high-water mark (11 MiB more at 1,000 PhaseMaintenances), while a single arena makes
  // the workers and informers queue on its lock (30% more CPU); bench/README.md.
  mallopt(M_ARENA_MAX, 2);
  observability::OperatorMetrics metrics;
  kube::initializeHttpThreads(2);
  httpOpts.onRequest = [&metrics](const std::string& verb, const std::string&, int code) {
    metrics.apiRequest(verb, code);
  };
  // Signals are taken synchronously by this thread; every other thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Probes are served from the start: not ready while the API server is out of reach or the
  // caches fill, alive throughout (a restart would not bring the API server back sooner).
  std::atomic<controller::Operator*> running{nullptr};
  observability::Health health;
  health.addReadinessCheck("informers", [&running]() -> std::optional<std::string> {
    controller::Operator* op = running.load();
    if (!op) return std::string("waiting for the Kubernetes API server");
    if (op->ready()) return std::nullopt;
    return std::string("caches not synced yet");
  });
  health.addLivenessCheck("workers", [&running]() -> std::optional<std::string> {
    controller::Operator* op = running.load();
    if (!op || op->healthy(std::chrono::seconds(60))) return std::nullopt;
    return std::string("no worker loop alive in the last 60s");
  });
  std::unique_ptr<observability::ProbeServer> probes;
  if (serveProbes) {
    try {
      probes = std::make_unique<observability::ProbeServer>(health, [&metrics] { return metrics.render(); }, probeOpts);
      probes->start();
    } catch (const std::exception& e) {
      std::cerr << "run: cannot serve probes on " << probeOpts.address << ":" << probeOpts.port << ": " << e.what()
                << "\n";
      return kExitFailure;
    }
  }

  std::unique_ptr<kube::HttpClient> client;
  try {
    client = std::make_unique<kube::HttpClient>(config, httpOpts);
  } catch (const std::exception& e) {
    std::cerr << "run: cannot configure the Kubernetes client for " << config.server << " (" << config.source
              << "): " << e.what() << "\n";
    return kExitFailure;
  }
  switch (awaitApiServer(*client, config, signals)) {
    case Startup::Reachable: break;
    case Startup::Stopped: return kExitOk;
    case Startup::Refused: return kExitFailure;
  }

  opts.operatorImage = p.get("operator-image", envOr("OPERATOR_IMAGE"));
  if (opts.operatorImage.empty()) opts.operatorImage = ownImage(*client);
  if (opts.operatorImage.empty()) {
    log::warn("no operator image known: purge and vacuum CronJobs need spec.operatorImage (or run with "
              "--operator-image)");
  }
  opts.leaderElection.leaseName = p.get("leader-election-id", "phase-maintenance-operator");
  opts.leaderElection.leaseNamespace =
      p.get("leader-election-namespace", envOr("POD_NAMESPACE", config.defaultNamespace));
  opts.metrics.migrationFinished = [&metrics](const std::string& r) { metrics.migration(r); };
  opts.metrics.rowsPurged = [&metrics](long long n) { metrics.auditLogRowsPurged(static_cast<double>(n)); };
  opts.metrics.bytesReclaimed = [&metrics](long long n) { metrics.bytesReclaimed(static_cast<double>(n)); };
  opts.observer = &metrics;
  opts.onLeadership = [&metrics](bool leading) { metrics.setLeader(leading); };

  auto clock = runtime::realClock();
  runtime::EventRecorderOptions eventOpts;
  eventOpts.host = envOr("POD_NAME");
  runtime::EventRecorder recorder(*client, clock, eventOpts);
  RecorderSink sink(recorder);
  db::PostgresRecoveryRunner recoveries;
  controller::Operator op(*client, sink, recoveries, clock, opts);
  metrics.watchQueueDepth("phasemaintenance", [&op] { return static_cast<double>(op.controller().queue().length()); });

  log::info("operator starting",
            {{"server", config.server},
             {"namespaces", opts.namespaces.empty() ? nlohmann::json("all") : nlohmann::json(opts.namespaces)},
             {"leaderElection", opts.leaderElect},
             {"operatorImage", opts.operatorImage},
             {"allowedImages", opts.imagePolicy.empty() ? nlohmann::json("any")
                                                        : nlohmann::json(opts.imagePolicy.allowedPrefixes)},
             {"probes", serveProbes ? probeOpts.address + ":" + std::to_string(probes->port()) : "off"}});
  running.store(&op);
  op.start();

  int exitCode = kExitOk;
  for (;;) {
    timespec tick{0, 200 * 1000 * 1000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      log::info("signal received; finishing the reconcile in flight", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      break;
    }
    if (op.leadershipLost()) {
      exitCode = kExitFailure;
      break;
    }
  }
  op.stop();
  running.store(nullptr);
  if (probes) probes->stop();
  log::info("operator stopped");
  return exitCode;
}

const CommandRegistrar kRun({"run", "Run the operator (reconcile PhaseMaintenance resources)", runCommand, 10});

}  // namespace
}  // namespace pmo::cli
