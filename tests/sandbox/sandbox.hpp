#pragma once
// The sandbox Kubernetes API server: the project's envtest (docs/architecture.md, "The sandbox").
// In-process for tests (Server), or as the `phase-sandbox-apiserver` binary for people,
// kubectl and the end-to-end tests, which drive the same Controls over HTTP under
// /sandbox/v1/ (see sandbox/README.md).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pmo::sandbox {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;                     // 0: pick a free port
  bool tls = true;                  // serve HTTPS with a CA generated at start
  // The admin's bearer token (a member of system:masters: allowed everything, as a cluster's
  // admin certificate). ServiceAccount tokens (TokenRequest, Controls) are authorized by
  // RBAC. Empty: a request without a token is the admin too.
  std::string token = "sandbox-token";
  std::string dataDir;              // where ca.crt and kubeconfig are written; empty: a temp dir
  bool simulateJobs = true;
  bool simulateDeployments = true;
  std::chrono::milliseconds jobDuration{300};       // how long a simulated Job runs
  std::chrono::milliseconds rolloutDuration{300};   // how long a simulated Deployment pod takes to be ready
  std::chrono::seconds bookmarkInterval{5};
  size_t historyLimit = 100000;     // events kept for watch replay before compaction
};

// What a simulated Job does when it runs. Matched by Job name prefix; the longest
// matching prefix wins, "" is the default (succeed).
struct JobBehaviour {
  bool succeed = true;
  std::chrono::milliseconds duration{-1};  // <0: Options::jobDuration
  std::string terminationMessage;          // written to the pod's container status
  std::string failureReason = "BackoffLimitExceeded";
  std::string log;                         // served by pods/log
};

// One authorization decision, in the terms of a RequestRecord.
struct AuthorizationCheck {
  std::string verb, group, resource, ns, name;  // resource: "phasemaintenances/finalizers"
  bool allowed = false;
};

// How the pods of a simulated Deployment's ReplicaSets behave. Matched by Deployment name
// prefix (a ReplicaSet without owner: its own name); the longest matching prefix wins.
struct DeploymentBehaviour {
  std::chrono::milliseconds readyAfter{-1};  // <0: Options::rolloutDuration
  bool stuck = false;  // pods never become ready: the rollout ends in ProgressDeadlineExceeded
};

// One API request as the server saw it (for RBAC checks and "no writes at rest").
struct RequestRecord {
  std::string verb;       // get list watch create update patch delete deletecollection
  std::string group;      // "" core
  std::string resource;   // "deployments", "phasemaintenances/status"
  std::string ns;
  std::string name;
  int code = 0;
  std::chrono::system_clock::time_point at;  // when it arrived (a watch is logged when its stream begins)
  std::string userAgent;  // the User-Agent header: tells the operator's requests from a test's
  std::string user;       // the authenticated user: "system:serviceaccount:ns:name", "sandbox-admin"
  // What admission authorized on the user's behalf beyond the request's own verb: the
  // OwnerReferencesPermissionEnforcement checks ("update <owner>/finalizers").
  std::vector<AuthorizationCheck> admissionChecks;
};

class Controls {
 public:
  virtual ~Controls() = default;
  virtual void setJobController(bool enabled) = 0;
  virtual void setDeploymentController(bool enabled) = 0;
  virtual void setJobBehaviour(const std::string& namePrefix, const JobBehaviour& behaviour) = 0;
  // Pods not ready yet follow the new behaviour at once.
  virtual void setDeploymentBehaviour(const std::string& namePrefix, const DeploymentBehaviour& behaviour) = 0;
  // Ends every open watch stream now (clients must resume from their last resourceVersion).
  virtual void dropWatches() = 0;
  // The next `count` API requests (not /sandbox/) fail with this code, reason and,
  // for 429, this Retry-After.
  virtual void failNextRequests(int count, int code, const std::string& reason, int retryAfterSeconds = 0) = 0;
  // The same, for requests with this verb to this resource only ("update",
  // "phasemaintenances/status"): e.g. a 409 Conflict on the next status write.
  virtual void failNextRequestsTo(const std::string& verb, const std::string& resource, int count, int code,
                                  const std::string& reason) = 0;
  virtual void setResponseDelay(std::chrono::milliseconds delay) = 0;
  // Delays only the requests of this user ("system:serviceaccount:ns:name"), verb
  // ("update") and resource ("leases"), "" matching any, before they are handled: a slow
  // API server as one client sees it. A delay of 0 removes the rule.
  virtual void setResponseDelayFor(const std::string& user, const std::string& verb, const std::string& resource,
                                   std::chrono::milliseconds delay) = 0;
  // Forgets history: watches from any resourceVersion older than now get 410 Gone.
  virtual void compact() = 0;
  virtual std::vector<RequestRecord> requests() const = 0;
  virtual void clearRequests() = 0;
  // Creates a Job from the CronJob's jobTemplate now, as its schedule would (owner
  // reference, status.active, lastScheduleTime). Returns the Job's name; throws
  // std::runtime_error when the CronJob does not exist.
  virtual std::string triggerCronJob(const std::string& ns, const std::string& name) = 0;
  // The Phase schema of a namespace (pod_schema.hpp): set outright (an install whose
  // migrations already ran), read now or as it was at a resourceVersion. A migration Job that
  // succeeds raises it to its image's version.
  virtual void setSchemaVersion(const std::string& ns, const std::string& version) = 0;
  virtual std::string schemaVersion(const std::string& ns) const = 0;
  virtual std::string schemaVersionAt(const std::string& ns, uint64_t resourceVersion) const = 0;
  // What the registry resolves an image to (`docker.io/phasehq/backend:latest` -> v2.74.0);
  // without an entry an image's version is its tag.
  virtual void setImageVersion(const std::string& image, const std::string& version) = 0;
  virtual std::string imageVersion(const std::string& image) const = 0;
  // The replica count the simulated metrics call for, for an HPA ("ns", "name").
  virtual void setHpaRecommendation(const std::string& ns, const std::string& name, long replicas) = 0;
  // A bearer token of the ServiceAccount, as the TokenRequest API mints one: valid for
  // `expiration` and while the ServiceAccount (that uid) exists. Throws std::runtime_error
  // when the ServiceAccount does not exist.
  virtual std::string createServiceAccountToken(const std::string& ns, const std::string& name,
                                                std::chrono::seconds expiration = std::chrono::hours(1)) = 0;
};

class Server {
 public:
  explicit Server(Options options = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();  // binds and serves on background threads; throws on failure
  void stop();   // idempotent; closes every connection

  int port() const;
  std::string url() const;             // "https://127.0.0.1:PORT"
  std::string caPem() const;           // the CA that signed the serving certificate
  std::string kubeconfigPath() const;  // written at start(): cluster, user (token), context "sandbox"
  // Writes a kubeconfig like kubeconfigPath()'s with another bearer token (mode 0600).
  void writeKubeconfig(const std::string& path, const std::string& token) const;
  Controls& controls();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pmo::sandbox
