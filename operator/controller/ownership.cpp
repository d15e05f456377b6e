#include "controller/ownership.hpp"

#include "maintenance/migration/deployment_state.hpp"

namespace pmo::controller::ownership {

using maintenance::Action;

namespace {

constexpr const char* kResource = "deployments";

std::string annotationPath() { return "/metadata/annotations/" + maintenance::pointerToken(kOwnedBy); }

std::string claimOn(const Json& deployment) {
  const Json a = deployment.value("/metadata/annotations"_json_pointer, Json::object());
  return a.is_object() ? a.value(kOwnedBy, std::string()) : std::string();
}

std::string nameOf(const Json& o) { return o.value("/metadata/name"_json_pointer, std::string()); }

struct Claim {
  std::string ns, name, uid;
};

std::optional<Claim> parseClaim(const std::string& text) {
  const auto a = text.find('/');
  const auto b = text.rfind('/');
  if (a == std::string::npos || a == b) return std::nullopt;
  return Claim{text.substr(0, a), text.substr(a + 1, b - a - 1), text.substr(b + 1)};
}

// The claim's owner still exists (same uid): its claim holds.
bool ownerLives(const std::string& claim, const ClusterView& view) {
  const auto c = parseClaim(claim);
  if (!c) return false;
  const auto owner = view.phaseMaintenance(c->ns, c->name);
  return owner && owner->value("/metadata/uid"_json_pointer, std::string()) == c->uid;
}

Action patchOf(const std::string& deployment, Json ops) {
  return Action{Action::Kind::JsonPatch, kResource, deployment, {}, std::move(ops), "", "", ""};
}

Action take(const Json& deployment, const std::string& mine, const std::string& previous) {
  const std::string name = nameOf(deployment);
  const bool hasAnnotations = deployment.value("/metadata/annotations"_json_pointer, Json()).is_object();
  Json ops = Json::array();
  if (previous.empty()) {
    ops.push_back({{"op", "test"},
                   {"path", "/metadata/resourceVersion"},
                   {"value", deployment.value("/metadata/resourceVersion"_json_pointer, std::string())}});
  } else {
    ops.push_back({{"op", "test"}, {"path", annotationPath()}, {"value", previous}});
  }
  if (hasAnnotations) {
    ops.push_back({{"op", "add"}, {"path", annotationPath()}, {"value", mine}});
  } else {
    ops.push_back({{"op", "add"}, {"path", "/metadata/annotations"}, {"value", {{kOwnedBy, mine}}}});
  }
  return patchOf(name, std::move(ops));
}

}  // namespace

std::string claimOf(const Json& pm) {
  return pm.value("/metadata/namespace"_json_pointer, std::string()) + "/" + nameOf(pm) + "/" +
         pm.value("/metadata/uid"_json_pointer, std::string());
}

ClaimCheck checkClaims(const maintenance::Observed& in, const ClusterView& view) {
  ClaimCheck out;
  const std::string mine = claimOf(in.object);
  for (const auto* d : {&in.backend, &in.worker}) {
    if (!*d) continue;
    if (d == &in.worker && in.backend && nameOf(*in.backend) == nameOf(**d)) continue;  // one Deployment for both
    const std::string held = claimOn(**d);
    if (held == mine) continue;
    if (!held.empty() && ownerLives(held, view)) {
      const auto c = parseClaim(held);
      out.conflict = "Deployment " + nameOf(**d) + " is managed by PhaseMaintenance " + c->ns + "/" + c->name +
                     "; this one changes nothing until that one is deleted or stops naming it";
      out.claims.clear();
      return out;
    }
    out.claims.push_back(take(**d, mine, held));
  }
  return out;
}

std::vector<Action> releaseClaims(const maintenance::Observed& in) {
  std::vector<Action> out;
  const std::string mine = claimOf(in.object);
  for (const auto* d : {&in.backend, &in.worker}) {
    if (!*d || claimOn(**d) != mine) continue;
    if (d == &in.worker && in.backend && nameOf(*in.backend) == nameOf(**d)) continue;
    out.push_back(patchOf(nameOf(**d), Json::array({{{"op", "test"}, {"path", annotationPath()}, {"value", mine}},
                                                    {{"op", "remove"}, {"path", annotationPath()}}})));
  }
  return out;
}

bool claimedByAnother(const Json& deployment, const Json& pm, const ClusterView& view) {
  const std::string held = claimOn(deployment);
  return !held.empty() && held != claimOf(pm) && ownerLives(held, view);
}

}  // namespace pmo::controller::ownership
