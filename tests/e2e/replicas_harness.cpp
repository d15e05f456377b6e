#include "e2e/replicas_harness.hpp"

#include <fstream>
#include <regex>
#include <sstream>

namespace pmo::testing {
namespace {

const kube::Resource kClusterRoleBindings{"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
                                          "ClusterRoleBinding", false};
const kube::Resource kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true};
const kube::Resource kServiceAccounts{"", "v1", "serviceaccounts", "ServiceAccount", true};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "system:serviceaccount:ns:name" -> {ns, name}
std::pair<std::string, std::string> accountOf(const std::string& user) {
  const std::string prefix = "system:serviceaccount:";
  const std::string rest = user.substr(prefix.size());
  const auto colon = rest.find(':');
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

void addSubject(kube::Client& c, const kube::Resource& r, const std::string& ns, const std::string& fromNs,
                const std::string& from, const std::string& to) {
  const Json list = c.list(r, ns);
  for (Json b : list.value("items", Json::array())) {
    bool binds = false;
    for (const auto& s : b.value("subjects", Json::array()))
      binds = binds || (s.value("kind", "") == "ServiceAccount" && s.value("name", "") == from &&
                        s.value("namespace", "") == fromNs);
    if (!binds) continue;
    b["subjects"].push_back({{"kind", "ServiceAccount"}, {"name", to}, {"namespace", fromNs}});
    c.update(r, r.namespaced ? fromNs : "", b);
  }
}

}  // namespace

Replica primaryReplica(OperatorHarness& h) {
  if (h.operatorUser().empty()) h.installOperatorRbac();
  Replica r;
  r.user = h.operatorUser();
  r.ns = accountOf(r.user).first;
  r.kubeconfig = h.dir() + "/kubeconfig-primary";
  std::ofstream(r.kubeconfig) << slurp(h.operatorKubeconfig());
  return r;
}

Replica addReplicaAccount(OperatorHarness& h, const std::string& name) {
  if (h.operatorUser().empty()) h.installOperatorRbac();
  const auto [ns, primary] = accountOf(h.operatorUser());
  h.applyAll({{{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", name}, {"namespace", ns}}}}});
  addSubject(h.client(), kClusterRoleBindings, "", ns, primary, name);
  addSubject(h.client(), kRoleBindings, ns, ns, primary, name);
  Replica r;
  r.user = "system:serviceaccount:" + ns + ":" + name;
  r.ns = ns;
  r.kubeconfig = h.dir() + "/kubeconfig-" + name;
  h.sandbox().writeKubeconfig(r.kubeconfig,
                              h.sandbox().controls().createServiceAccountToken(ns, name, std::chrono::hours(24)));
  return r;
}

void pointReplicaAt(const OperatorHarness& h, const Replica& r, const std::string& serverUrl) {
  (void)h;
  const std::string text = slurp(r.kubeconfig);
  const std::string out = std::regex_replace(text, std::regex("server: *https://127\\.0\\.0\\.1:[0-9]+"),
                                             "server: " + serverUrl);
  if (out == text) throw std::runtime_error("pointReplicaAt: no server line in " + r.kubeconfig);
  std::ofstream(r.kubeconfig, std::ios::trunc) << out;
}

void startReplica(OperatorHarness& h, const Replica& r, int index, const std::vector<std::string>& extraArgs) {
  std::vector<std::string> args = {"run", "--kubeconfig", r.kubeconfig, "--metrics-bind-address", "127.0.0.1:0",
                                   "--operator-image", "phase-maintenance-operator:e2e", "--log-level", "debug"};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  h.startOperatorWith(args, {{"POD_NAMESPACE", r.ns}}, index);
}

std::vector<sandbox::RequestRecord> writesOf(const std::vector<sandbox::RequestRecord>& log, const std::string& user) {
  std::vector<sandbox::RequestRecord> out;
  for (const auto& q : log) {
    if (q.user != user || q.resource == "leases") continue;
    if (q.verb.empty() || q.verb == "get" || q.verb == "list" || q.verb == "watch") continue;
    out.push_back(q);
  }
  return out;
}

}  // namespace pmo::testing
