#include "controller/action_executor.hpp"

#include <stdexcept>

#include "common/log.hpp"

namespace pmo::controller {

using maintenance::Action;

const kube::Resource& resourceFor(const std::string& plural) {
  namespace r = kube::resources;
  if (plural == "jobs") return r::kJobs;
  if (plural == "cronjobs") return r::kCronJobs;
  if (plural == "deployments") return r::kDeployments;
  if (plural == "phasemaintenances") return r::kPhaseMaintenances;
  if (plural == "pods") return r::kPods;
  throw std::invalid_argument("no API resource for \"" + plural + "\"");
}

std::vector<PendingEvent> takeEvents(std::vector<Action>& actions) {
  std::vector<PendingEvent> events;
  std::vector<Action> writes;
  for (auto& a : actions) {
    if (a.kind == Action::Kind::Event) {
      events.push_back({a.eventType, a.reason, a.message, ""});
    } else {
      writes.push_back(std::move(a));
    }
  }
  actions = std::move(writes);
  return events;
}

ExecutionResult executeActions(kube::Client& client, const nlohmann::json& pm, const std::vector<Action>& actions,
                               nlohmann::json* written, Refusal* refused) {
  const std::string ns = pm.value("/metadata/namespace"_json_pointer, std::string());
  for (const auto& a : actions) {
    if (a.kind == Action::Kind::Event)
      throw std::invalid_argument("Events are posted after the status write, not executed: " + a.describe());
    const kube::Resource& res = resourceFor(a.resource);
    try {
      nlohmann::json result;
      switch (a.kind) {
        case Action::Kind::Create: result = client.create(res, ns, a.object); break;
        case Action::Kind::Update: result = client.update(res, ns, a.object); break;
        case Action::Kind::JsonPatch: result = client.patch(res, ns, a.name, kube::PatchType::Json, a.patch); break;
        case Action::Kind::MergePatch: result = client.patch(res, ns, a.name, kube::PatchType::Merge, a.patch); break;
        case Action::Kind::Delete: client.remove(res, ns, a.name, kube::Propagation::Background); break;
        case Action::Kind::Event: break;
      }
      if (written && result.is_object()) *written = std::move(result);
      log::debug("action done", {{"action", a.describe()}, {"namespace", ns}});
    } catch (const kube::ApiError& e) {
      using R = kube::ErrorReason;
      if (e.reason() == R::AlreadyExists && a.kind == Action::Kind::Create) continue;
      if (e.reason() == R::NotFound && a.kind == Action::Kind::Delete) continue;
      const bool guardFailed = e.reason() == R::Conflict ||
                               (e.reason() == R::Invalid && a.kind == Action::Kind::JsonPatch) ||
                               (e.reason() == R::NotFound && a.kind != Action::Kind::Create);
      if (guardFailed) {
        log::info("stale plan: the object changed since it was read; planning again",
                  {{"action", a.describe()}, {"namespace", ns}, {"reason", kube::toString(e.reason())},
                   {"detail", e.what()}});
        return ExecutionResult::StalePlan;
      }
      const bool final = e.reason() == R::BadRequest || e.reason() == R::Forbidden ||
                         e.reason() == R::MethodNotAllowed || e.reason() == R::Invalid ||
                         (e.reason() == R::NotFound && a.kind == Action::Kind::Create);
      if (final && refused) {
        *refused = {a.describe(), a.resource, e.code(), e.what()};
        log::warn("the API server refused a write", {{"action", a.describe()}, {"namespace", ns}, {"code", e.code()},
                                                     {"detail", e.what()}});
        return ExecutionResult::Refused;
      }
      throw;
    }
  }
  return ExecutionResult::Done;
}

}  // namespace pmo::controller
