// The RBAC authorizer. Ports of plugin/pkg/auth/authorizer/rbac/rbac.go (RuleAllows),
// pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches, APIGroupMatches, ResourceMatches,
// ResourceNameMatches, NonResourceURLMatches) and pkg/registry/rbac/validation/rule.go
// (VisitRulesFor: ClusterRoleBindings everywhere, RoleBindings in the request's namespace;
// appliesToUser; the binding describers of "RBAC: allowed by ..."). A decision is made on
// the store's state at that moment (no informer lag).
#include <functional>

#include "sandbox/authz.hpp"

namespace pmo::sandbox {

namespace {

const std::string kRbac = "rbac.authorization.k8s.io/";

std::vector<std::string> strings(const nlohmann::json& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool verbMatches(const nlohmann::json& rule, const std::string& verb) {
  const auto verbs = strings(rule, "verbs");
  return contains(verbs, "*") || contains(verbs, verb);
}

bool ruleAllows(const Attributes& a, const nlohmann::json& rule) {
  if (!a.resourceRequest) {
    if (!verbMatches(rule, a.verb)) return false;
    for (const auto& url : strings(rule, "nonResourceURLs")) {
      if (url == "*" || url == a.path) return true;
      if (!url.empty() && url.back() == '*' && a.path.rfind(url.substr(0, url.find_last_not_of('*') + 1), 0) == 0)
        return true;
    }
    return false;
  }
  if (!verbMatches(rule, a.verb)) return false;
  const auto groups = strings(rule, "apiGroups");
  if (!contains(groups, "*") && !contains(groups, a.group)) return false;
  const std::string combined = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  bool resourceOk = false;
  for (const auto& r : strings(rule, "resources"))
    resourceOk = resourceOk || r == "*" || r == combined || (!a.subresource.empty() && r == "*/" + a.subresource);
  if (!resourceOk) return false;
  const auto names = strings(rule, "resourceNames");
  return names.empty() || contains(names, a.name);
}

bool appliesTo(const UserInfo& user, const nlohmann::json& subject, const std::string& bindingNs) {
  const std::string kind = subject.value("kind", ""), name = subject.value("name", "");
  if (kind == "User") return user.name == name;
  if (kind == "Group") return contains(user.groups, name);
  if (kind == "ServiceAccount") {
    const std::string ns = subject.value("namespace", "").empty() ? bindingNs : subject.value("namespace", "");
    return !ns.empty() && user.name == "system:serviceaccount:" + ns + ":" + name;
  }
  return false;
}

std::string describeSubject(const nlohmann::json& s, const std::string& bindingNs) {
  const std::string kind = s.value("kind", ""), name = s.value("name", "");
  if (kind == "ServiceAccount") {
    const std::string ns = s.value("namespace", "").empty() ? bindingNs : s.value("namespace", "");
    return kind + " " + goQuote(name + "/" + ns);
  }
  return kind + " " + goQuote(name);
}

// Visits each rule that applies to the user in `ns` with a description of its source, and
// each error resolving a role reference; stops when `visit` returns false.
using Visitor = std::function<bool(const std::string& source, const nlohmann::json* rule, const std::string& error)>;

bool visitBinding(World& w, const UserInfo& user, const nlohmann::json& binding, const std::string& ns,
                  const Visitor& visit) {
  const nlohmann::json subjects = binding.value("subjects", nlohmann::json::array());
  const nlohmann::json* subject = nullptr;
  for (const auto& s : subjects)
    if (!subject && appliesTo(user, s, ns)) subject = &s;
  if (!subject) return true;
  const nlohmann::json ref = binding.value("roleRef", nlohmann::json::object());
  const std::string kind = ref.value("kind", ""), roleName = ref.value("name", "");
  ObjectPtr role;
  if (kind == "Role") {
    role = w.store.find(kRbac + "roles", ns, roleName);
    if (!role) return visit("", nullptr, "role.rbac.authorization.k8s.io " + goQuote(roleName) + " not found");
  } else if (kind == "ClusterRole") {
    role = w.store.find(kRbac + "clusterroles", "", roleName);
    if (!role) return visit("", nullptr, "clusterrole.rbac.authorization.k8s.io " + goQuote(roleName) + " not found");
  } else {
    return visit("", nullptr, "unsupported role reference kind: " + goQuote(kind));
  }
  const std::string bindingName = metaString(binding, "name");
  const std::string source = ns.empty() ? "ClusterRoleBinding " + goQuote(bindingName) + " of " + kind + " " +
                                              goQuote(roleName) + " to " + describeSubject(*subject, "")
                                        : "RoleBinding " + goQuote(bindingName + "/" + ns) + " of " + kind + " " +
                                              goQuote(roleName) + " to " + describeSubject(*subject, ns);
  for (const auto& rule : role->value("rules", nlohmann::json::array()))
    if (!visit(source, &rule, "")) return false;
  return true;
}

void visitRulesFor(World& w, const UserInfo& user, const std::string& ns, const Visitor& visit) {
  for (const auto& crb : w.store.list(kRbac + "clusterrolebindings", ""))
    if (!visitBinding(w, user, *crb, "", visit)) return;
  if (ns.empty()) return;
  for (const auto& rb : w.store.list(kRbac + "rolebindings", ns))
    if (!visitBinding(w, user, *rb, ns, visit)) return;
}

// utilerrors.NewAggregate(...).Error(): one message, or "[a, b]" without duplicates.
std::string aggregate(const std::vector<std::string>& errors) {
  std::vector<std::string> seen;
  for (const auto& e : errors)
    if (!contains(seen, e)) seen.push_back(e);
  if (seen.empty()) return "";
  if (errors.size() == 1 || seen.size() == 1) return seen[0];
  std::string out;
  for (const auto& e : seen) out += (out.empty() ? "" : ", ") + e;
  return "[" + out + "]";
}

}  // namespace

Decision authorizeLocked(World& w, const Attributes& a) {
  if (contains(a.user.groups, kMastersGroup)) return {true, ""};
  Decision d;
  std::vector<std::string> errors;
  visitRulesFor(w, a.user, a.ns, [&](const std::string& source, const nlohmann::json* rule, const std::string& error) {
    if (rule && ruleAllows(a, *rule)) {
      d = {true, "RBAC: allowed by " + source};
      return false;
    }
    if (!error.empty()) errors.push_back(error);
    return true;
  });
  if (!d.allowed && !errors.empty()) d.reason = "RBAC: " + aggregate(errors);
  return d;
}

Decision authorize(World& w, const Attributes& a) {
  if (contains(a.user.groups, kMastersGroup)) return {true, ""};  // without waiting for the store
  auto lock = w.store.lock();
  return authorizeLocked(w, a);
}

Rules rulesFor(World& w, const UserInfo& user, const std::string& ns) {
  Rules out;
  std::vector<std::string> errors;
  auto lock = w.store.lock();
  visitRulesFor(w, user, ns, [&](const std::string&, const nlohmann::json* rule, const std::string& error) {
    if (rule) {
      const auto verbs = strings(*rule, "verbs");
      if (!strings(*rule, "resources").empty()) {
        nlohmann::json r = {{"verbs", verbs}, {"resources", strings(*rule, "resources")}};
        if (!strings(*rule, "apiGroups").empty()) r["apiGroups"] = strings(*rule, "apiGroups");
        if (!strings(*rule, "resourceNames").empty()) r["resourceNames"] = strings(*rule, "resourceNames");
        out.resourceRules.push_back(r);
      }
      if (!strings(*rule, "nonResourceURLs").empty())
        out.nonResourceRules.push_back({{"verbs", verbs}, {"nonResourceURLs", strings(*rule, "nonResourceURLs")}});
    }
    if (!error.empty()) errors.push_back(error);
    return true;
  });
  out.evaluationError = aggregate(errors);
  return out;
}

}  // namespace pmo::sandbox
