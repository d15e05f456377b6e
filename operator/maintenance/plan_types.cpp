#include "maintenance/plan_types.hpp"

#include <cstdio>
#include <ctime>

namespace pmo::maintenance {

std::string Action::describe() const {
  switch (kind) {
    case Kind::Create: return "create " + resource + "/" + object.value("/metadata/name"_json_pointer, std::string());
    case Kind::Update: return "update " + resource + "/" + object.value("/metadata/name"_json_pointer, std::string());
    case Kind::JsonPatch: return "json-patch " + resource + "/" + name;
    case Kind::MergePatch: return "merge-patch " + resource + "/" + name;
    case Kind::Delete: return "delete " + resource + "/" + name;
    case Kind::Event: return "event " + eventType + " " + reason;
  }
  return "unknown";
}

void setCondition(Json& status, const Condition& c, long generation, TimePoint now) {
  if (!status.is_object()) status = Json::object();
  Json& list = status["conditions"];
  if (!list.is_array()) list = Json::array();
  for (auto& existing : list) {
    if (existing.value("type", "") != c.type) continue;
    const bool transition = existing.value("status", "") != c.status;
    existing["status"] = c.status;
    existing["reason"] = c.reason;
    existing["message"] = c.message;
    existing["observedGeneration"] = generation;
    if (transition || !existing.contains("lastTransitionTime")) existing["lastTransitionTime"] = formatTime(now);
    return;
  }
  list.push_back({{"type", c.type},
                  {"status", c.status},
                  {"reason", c.reason},
                  {"message", c.message},
                  {"observedGeneration", generation},
                  {"lastTransitionTime", formatTime(now)}});
}

std::optional<Condition> getCondition(const Json& status, const std::string& type) {
  if (!status.is_object() || !status.contains("conditions") || !status["conditions"].is_array()) return std::nullopt;
  for (const auto& c : status["conditions"]) {
    if (c.value("type", "") == type) {
      return Condition{type, c.value("status", ""), c.value("reason", ""), c.value("message", "")};
    }
  }
  return std::nullopt;
}

const char* phaseName(Phase phase) {
  switch (phase) {
    case Phase::Pending: return "Pending";
    case Phase::BackingUp: return "BackingUp";
    case Phase::Migrating: return "Migrating";
    case Phase::RollingOut: return "RollingOut";
    case Phase::Ready: return "Ready";
    case Phase::Failed: return "Failed";
    case Phase::Blocked: return "Blocked";
    case Phase::Suspended: return "Suspended";
    case Phase::Invalid: return "Invalid";
    case Phase::Deleting: return "Deleting";
  }
  return "Pending";
}

void setPhase(Json& status, Phase phase) { status["phase"] = phaseName(phase); }

std::string formatTime(TimePoint t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string formatMicroTime(TimePoint t) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::string s = formatTime(t);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(micros < 0 ? micros + 1000000 : micros));
  return s.insert(s.size() - 1, frac);
}

std::optional<TimePoint> parseTime(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!end) return std::nullopt;
  // Fractional seconds and the zone suffix: only UTC ("Z") is written by the API server.
  while (*end == '.' || (*end >= '0' && *end <= '9')) ++end;
  if (*end != 'Z' && *end != '\0') return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace pmo::maintenance
