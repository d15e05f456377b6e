// Status edits of the migration planner: conditions with transition Events,
// status.migration, the bounded history, the phase.
#include "maintenance/migration/internal.hpp"
#include "maintenance/migration/planner.hpp"

namespace pmo::maintenance::migration {

Ctx::Ctx(const Observed& observed, Plan& out)
    : in(observed),
      plan(out),
      old(observed.object.contains("status") && observed.object["status"].is_object()
              ? observed.object["status"]
              : Json::object()),
      generation(observed.object.value("/metadata/generation"_json_pointer, 0L)),
      name(observed.object.value("/metadata/name"_json_pointer, std::string())),
      ns(observed.object.value("/metadata/namespace"_json_pointer, std::string())) {
  plan.status = old;
}

void Ctx::event(const std::string& type, const std::string& reason, const std::string& message) {
  Action a{Action::Kind::Event, "", name, {}, {}, type, reason, message};
  plan.actions.push_back(std::move(a));
}

void Ctx::condition(const std::string& type, bool value, const std::string& reason,
                    const std::string& message, const char* eventType) {
  const std::string s = value ? "True" : "False";
  const auto before = getCondition(old, type);
  const bool changed = !before || before->status != s || before->reason != reason || before->message != message;
  setCondition(plan.status, Condition{type, s, reason, message}, generation, in.now);
  if (eventType && changed) event(eventType, reason, message);
}

void Ctx::patchDeployment(const std::string& deployment, const Json& ops) {
  if (ops.empty()) return;
  for (auto& a : plan.actions) {
    if (a.kind != Action::Kind::JsonPatch || a.resource != "deployments" || a.name != deployment) continue;
    for (const auto& o : ops) a.patch.push_back(o);
    return;
  }
  Action a{Action::Kind::JsonPatch, "deployments", deployment, {}, ops, "", "", ""};
  plan.actions.push_back(std::move(a));
}

Json Ctx::projected(const std::string& deployment, const Json& observed) const {
  for (const auto& a : plan.actions)
    if (a.kind == Action::Kind::JsonPatch && a.resource == "deployments" && a.name == deployment)
      return observed.patch(a.patch);
  return observed;
}

Json& migration(Ctx& ctx) {
  Json& m = ctx.status()["migration"];
  if (!m.is_object()) m = Json::object();
  return m;
}

std::string migrationField(const Json& status, const char* field) {
  if (!status.is_object() || !status.contains("migration") || !status["migration"].is_object()) return "";
  const Json& m = status["migration"];
  return m.contains(field) && m[field].is_string() ? m[field].get<std::string>() : "";
}

std::optional<Step> migrationStep(const Json& status) { return parseStep(migrationField(status, "step")); }

void setStep(Ctx& ctx, Step step, const std::string& message) {
  Json& m = migration(ctx);
  m["step"] = stepName(step);
  m["message"] = message;
  ctx.phase(phaseForStep(step));
}

void recordHistory(Ctx& ctx, const std::string& result, const std::string& message) {
  const Json m = ctx.status().value("migration", Json::object());
  Json entry = {{"from", m.value("from", "")},
                {"to", m.value("to", "")},
                {"startTime", m.value("startedAt", formatTime(ctx.in.now))},
                {"completionTime", formatTime(ctx.in.now)},
                {"result", result},
                {"message", message}};
  for (const char* key : {"migrationJob", "backupJob", "backupPath"})
    if (m.contains(key) && m[key].is_string() && !m[key].get<std::string>().empty()) entry[key] = m[key];
  pushHistory(ctx, std::move(entry));
}

void pushHistory(Ctx& ctx, Json entry) {
  Json history = Json::array({std::move(entry)});
  const Json old = ctx.status().value("migrations", Json::array());
  for (std::size_t i = 0; old.is_array() && i < old.size() && history.size() < kHistoryLimit; ++i)
    history.push_back(old[i]);
  ctx.status()["migrations"] = history;
}

void failMigration(Ctx& ctx, const std::string& reason, const std::string& message) {
  const bool transition = migrationStep(ctx.old) != Step::Failed;
  setStep(ctx, Step::Failed, message);
  ctx.condition(conditions::kMigrated, false, reason, message, "Warning");
  if (transition) recordHistory(ctx, "Failed", message);
}


}  // namespace pmo::maintenance::migration

namespace pmo::maintenance {

bool migrationInProgress(const Json& status) {
  return status.is_object() && status.contains("migration") && status["migration"].is_object();
}

}  // namespace pmo::maintenance
