#pragma once
// Several operator replicas told apart in the sandbox's request log: each runs as its own
// ServiceAccount, bound to the same ClusterRole and leader-election Role as deploy/rbac.yaml
// binds for the operator, and may reach the API server through its own address (a fault
// proxy in front of the sandbox).
#include <string>
#include <vector>

#include "e2e/operator_harness.hpp"

namespace pmo::testing {

struct Replica {
  std::string kubeconfig;  // its own file
  std::string user;        // "system:serviceaccount:<ns>:<name>", as the request log names it
  std::string ns;          // the operator's namespace (POD_NAMESPACE, the Lease's)
};

// The harness's own operator account (installs deploy/'s RBAC if not yet done), with a
// kubeconfig file of its own.
Replica primaryReplica(OperatorHarness& h);
// A further ServiceAccount `name` in the operator's namespace, added as a subject to every
// binding of the operator's account.
Replica addReplicaAccount(OperatorHarness& h, const std::string& name);
// Points the replica's kubeconfig at `serverUrl` (e.g. "https://127.0.0.1:PORT" of a TCP
// proxy; the sandbox's certificate names 127.0.0.1, so TLS still verifies).
void pointReplicaAt(const OperatorHarness& h, const Replica& r, const std::string& serverUrl);
// Starts the operator binary as operator number `index` with this replica's kubeconfig,
// as OperatorHarness::startOperator does (debug logs, probes on a free port).
void startReplica(OperatorHarness& h, const Replica& r, int index, const std::vector<std::string>& extraArgs);

// API writes (not get/list/watch) of `user` to anything but Leases, from the request log.
std::vector<sandbox::RequestRecord> writesOf(const std::vector<sandbox::RequestRecord>& log, const std::string& user);

}  // namespace pmo::testing
