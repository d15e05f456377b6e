#include "runtime/event_recorder.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/fnv1a.hpp"
#include "common/log.hpp"
#include "runtime/time_format.hpp"

namespace pmo::runtime {

using kube::resources::kEvents;

namespace {
constexpr std::size_t kMaxMessage = 1024;

std::string truncateUtf8(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a code point
  return s.substr(0, cut);
}
}  // namespace

EventRecorder::EventRecorder(kube::Client& client, std::shared_ptr<Clock> clock, EventRecorderOptions options)
    : client_(client), clock_(std::move(clock)), options_(std::move(options)) {}

kube::Json EventRecorder::build(const kube::Json& object, const char* type, const std::string& reason,
                                const std::string& message, const std::string& ns, const std::string& name,
                                const std::string& now) const {
  const kube::Json& md = object.at("metadata");
  kube::Json involved{{"apiVersion", object.value("apiVersion", "")},
                      {"kind", object.value("kind", "")},
                      {"name", md.value("name", "")},
                      {"uid", md.value("uid", "")},
                      {"resourceVersion", md.value("resourceVersion", "")}};
  if (md.contains("namespace")) involved["namespace"] = md["namespace"];
  kube::Json source{{"component", options_.component}};
  if (!options_.host.empty()) source["host"] = options_.host;
  return kube::Json{{"apiVersion", "v1"},
                    {"kind", "Event"},
                    {"metadata", {{"name", name}, {"namespace", ns}}},
                    {"involvedObject", involved},
                    {"reason", reason},
                    {"message", message},
                    {"type", type},
                    {"source", source},
                    {"firstTimestamp", now},
                    {"lastTimestamp", now},
                    {"count", 1},
                    {"reportingComponent", options_.component},
                    {"reportingInstance", options_.host}};
}

void EventRecorder::remember(Entry entry) {
  auto it = index_.find(entry.key);
  if (it != index_.end()) lru_.erase(it->second);
  lru_.push_front(std::move(entry));
  index_[lru_.front().key] = lru_.begin();
  while (lru_.size() > options_.cacheSize) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

namespace {

// "<object>.<hex time>" as client-go names Events, the object's part cut so the whole stays a
// DNS subdomain of at most 253 characters: a PhaseMaintenance named near the limit still gets
// its Events (each cut name ends alphanumeric, as a label must before the dot).
std::string eventName(const std::string& objName, const std::string& suffix) {
  constexpr size_t kMaxName = 253;
  std::string head = objName.substr(0, kMaxName - std::min(kMaxName, suffix.size()));
  while (!head.empty() && !std::isalnum(static_cast<unsigned char>(head.back()))) head.pop_back();
  return head + suffix;
}

}  // namespace

void EventRecorder::recordOnce(const kube::Json& object, EventType eventType, const std::string& reason,
                               const std::string& rawMessage, const std::string& factKey) {
  const char* type = eventType == EventType::Warning ? "Warning" : "Normal";
  try {
    const kube::Json& md = object.at("metadata");
    std::string ns = md.value("namespace", "");
    if (ns.empty()) ns = "default";
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".f%016llx",
                  static_cast<unsigned long long>(fnv1a64(md.value("uid", "") + "\x1f" + factKey + "\x1f" + reason)));
    const std::string name = eventName(md.value("name", ""), suffix);
    client_.create(kEvents, ns, build(object, type, reason, truncateUtf8(rawMessage, kMaxMessage), ns, name,
                                      formatTime(clock_->wallNow())));
  } catch (const kube::ApiError& e) {
    if (e.reason() == kube::ErrorReason::AlreadyExists) return;  // posted before: the fact is told once
    log::warn("could not record event", {{"reason", reason}, {"type", type}, {"error", e.what()}});
  } catch (const std::exception& e) {
    log::warn("could not record event", {{"reason", reason}, {"type", type}, {"error", e.what()}});
  }
}

void EventRecorder::record(const kube::Json& object, EventType eventType, const std::string& reason,
                           const std::string& rawMessage) {
  const char* type = eventType == EventType::Warning ? "Warning" : "Normal";
  const std::string message = truncateUtf8(rawMessage, kMaxMessage);
  try {
    const kube::Json& md = object.at("metadata");
    const std::string objName = md.value("name", "");
    std::string ns = md.value("namespace", "");
    if (ns.empty()) ns = "default";  // Events about cluster-scoped objects
    const std::string identity = md.value("uid", "") + "/" + object.value("kind", "") + "/" + ns + "/" + objName;
    const std::string key = identity + "\x1f" + type + "\x1f" + reason + "\x1f" + message;
    const auto wall = clock_->wallNow();
    const std::string now = formatTime(wall);

    std::lock_guard<std::mutex> lock(mutex_);
    auto hit = index_.find(key);
    if (hit != index_.end()) {
      Entry e = *hit->second;
      try {
        client_.patch(kEvents, e.ns, e.name, kube::PatchType::Merge,
                      kube::Json{{"count", e.count + 1}, {"lastTimestamp", now}});
        ++e.count;
        remember(std::move(e));
        return;
      } catch (const kube::ApiError& err) {
        if (err.reason() != kube::ErrorReason::NotFound) throw;
        // The Event expired (TTL) or was deleted: start a new one below.
      }
    }
    const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count();
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".%llx", static_cast<unsigned long long>(nanos) + sequence_++);
    const std::string name = eventName(objName, suffix);
    client_.create(kEvents, ns, build(object, type, reason, message, ns, name, now));
    remember({key, ns, name, 1});
  } catch (const std::exception& e) {
    log::warn("could not record event", {{"reason", reason}, {"type", type}, {"error", e.what()}});
  }
}

}  // namespace pmo::runtime
