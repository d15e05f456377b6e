// FakeClient's object store: get, list, create, update, updateStatus and delete, with the
// API server's rules for resourceVersion, generation, finalizers and paging.
#include <chrono>
#include <ctime>

#include "support/fake_client_internal.hpp"

namespace pmo::testing {

namespace fake_detail {

using kube::WatchEventType;

std::string nowRfc3339() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {
// Everything but metadata and status: what generation tracks.
Json specPart(Json obj) {
  if (obj.is_object()) {
    obj.erase("metadata");
    obj.erase("status");
  }
  return obj;
}
}  // namespace

Json commit(FakeClient::State& st, const kube::Resource& r, const std::string& key, Json obj, Json& stored) {
  Json old = stored;
  auto& md = obj["metadata"];
  for (const char* f : {"uid", "creationTimestamp", "namespace", "name", "deletionTimestamp"}) {
    if (old["metadata"].contains(f)) md[f] = old["metadata"][f]; else md.erase(f);
  }
  long gen = old["metadata"].value("generation", 1L);
  if (specPart(obj) != specPart(old)) ++gen;
  md["generation"] = gen;
  md.erase("resourceVersion");
  if (!obj.contains("apiVersion")) obj["apiVersion"] = r.apiVersion();
  if (!obj.contains("kind")) obj["kind"] = r.kind;
  Json cmp = old;
  cmp["metadata"].erase("resourceVersion");
  if (cmp == obj) return old;  // no-op writes do not bump the version, as on a real server
  st.stamp(obj);
  const bool finalized = md.contains("deletionTimestamp") && md.value("finalizers", Json::array()).empty();
  if (finalized) {
    st.objects[resKey(r)].erase(key);
    st.record(resKey(r), WatchEventType::Deleted, obj);
    return obj;
  }
  stored = obj;
  st.record(resKey(r), WatchEventType::Modified, obj, old);
  return obj;
}

std::map<std::string, Json>::iterator findForUpdate(std::map<std::string, Json>& objs, const std::string& key,
                                                    const kube::Resource& r, const std::string& name,
                                                    const Json& object) {
  auto it = objs.find(key);
  if (it == objs.end()) throw notFound(r, name);
  const std::string rv = object["metadata"].value("resourceVersion", "");
  if (!rv.empty() && rv != it->second["metadata"].value("resourceVersion", "")) throw conflict(r, name);
  return it;
}

}  // namespace fake_detail

using kube::ApiError;
using kube::ErrorReason;
using kube::WatchEventType;
using namespace fake_detail;

FakeClient::FakeClient() : state_(std::make_shared<State>()) {}
FakeClient::~FakeClient() = default;

Json FakeClient::get(const kube::Resource& r, const std::string& ns, const std::string& name) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->enter({"get", r.plural, ns, name, ""});
  auto& objs = state_->objects[resKey(r)];
  auto it = objs.find(objKey(r.namespaced ? ns : "", name));
  if (it == objs.end()) throw notFound(r, name);
  return it->second;
}

Json FakeClient::list(const kube::Resource& r, const std::string& ns, const kube::ListOptions& opts) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->enter({"list", r.plural, ns, "", ""});
  const Filter filter = Filter::make(r.namespaced ? ns : "", opts.labelSelector, opts.fieldSelector);
  Json items = Json::array();
  std::string next;
  const auto& objs = state_->objects[resKey(r)];
  auto it = opts.continueToken.empty() ? objs.begin() : objs.upper_bound(opts.continueToken);
  for (; it != objs.end(); ++it) {
    if (!filter.matches(it->second)) continue;
    if (opts.limit > 0 && static_cast<long>(items.size()) == opts.limit) {
      next = std::prev(it)->first;
      break;
    }
    items.push_back(it->second);
  }
  // The continue token is the last key examined before the page filled up.
  Json meta{{"resourceVersion", std::to_string(state_->rv)}};
  if (!next.empty()) meta["continue"] = next;
  return Json{{"kind", r.kind + "List"}, {"apiVersion", r.apiVersion()}, {"metadata", meta}, {"items", items}};
}

Json FakeClient::create(const kube::Resource& r, const std::string& ns, const Json& object) {
  std::lock_guard<std::mutex> lock(state_->mu);
  Json obj = object;
  auto& md = obj["metadata"];
  std::string name = md.value("name", "");
  if (name.empty() && md.contains("generateName")) {
    name = md["generateName"].get<std::string>() + std::to_string(100000 + state_->uidCounter);
  }
  state_->enter({"create", r.plural, ns, name, ""});
  if (name.empty()) throw ApiError(ErrorReason::Invalid, 422, "metadata.name: Required value");
  auto& objs = state_->objects[resKey(r)];
  const std::string key = objKey(r.namespaced ? ns : "", name);
  if (objs.count(key)) throw ApiError(ErrorReason::AlreadyExists, 409, r.plural + " \"" + name + "\" already exists");
  md["name"] = name;
  if (r.namespaced) md["namespace"] = ns;
  md["uid"] = "uid-" + std::to_string(++state_->uidCounter);
  md["creationTimestamp"] = nowRfc3339();
  md["generation"] = 1;
  md.erase("deletionTimestamp");
  if (!obj.contains("apiVersion")) obj["apiVersion"] = r.apiVersion();
  if (!obj.contains("kind")) obj["kind"] = r.kind;
  state_->stamp(obj);
  objs[key] = obj;
  state_->record(resKey(r), WatchEventType::Added, obj);
  return obj;
}

Json FakeClient::update(const kube::Resource& r, const std::string& ns, const Json& object) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string name = object.at("metadata").value("name", "");
  state_->enter({"update", r.plural, ns, name, ""});
  const std::string key = objKey(r.namespaced ? ns : "", name);
  auto it = findForUpdate(state_->objects[resKey(r)], key, r, name, object);
  Json obj = object;
  if (it->second.contains("status")) obj["status"] = it->second["status"]; else obj.erase("status");
  return commit(*state_, r, key, std::move(obj), it->second);
}

Json FakeClient::updateStatus(const kube::Resource& r, const std::string& ns, const Json& object) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::string name = object.at("metadata").value("name", "");
  state_->enter({"update", r.plural, ns, name, "status"});
  const std::string key = objKey(r.namespaced ? ns : "", name);
  auto it = findForUpdate(state_->objects[resKey(r)], key, r, name, object);
  Json obj = it->second;
  if (object.contains("status")) obj["status"] = object["status"]; else obj.erase("status");
  return commit(*state_, r, key, std::move(obj), it->second);
}

void FakeClient::remove(const kube::Resource& r, const std::string& ns, const std::string& name, kube::Propagation,
                        const std::optional<std::string>& preconditionResourceVersion) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->enter({"delete", r.plural, ns, name, ""});
  auto& objs = state_->objects[resKey(r)];
  const std::string key = objKey(r.namespaced ? ns : "", name);
  auto it = objs.find(key);
  if (it == objs.end()) throw notFound(r, name);
  if (preconditionResourceVersion &&
      *preconditionResourceVersion != it->second["metadata"].value("resourceVersion", "")) {
    throw conflict(r, name);
  }
  Json obj = it->second;
  if (!obj["metadata"].value("finalizers", Json::array()).empty()) {
    if (obj["metadata"].contains("deletionTimestamp")) return;
    Json old = obj;
    obj["metadata"]["deletionTimestamp"] = nowRfc3339();
    state_->stamp(obj);
    it->second = obj;
    state_->record(resKey(r), WatchEventType::Modified, obj, old);
    return;
  }
  objs.erase(it);
  state_->stamp(obj);
  state_->record(resKey(r), WatchEventType::Deleted, obj);
}

std::optional<Json> FakeClient::peek(const kube::Resource& r, const std::string& ns, const std::string& name) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto res = state_->objects.find(resKey(r));
  if (res == state_->objects.end()) return std::nullopt;
  auto it = res->second.find(objKey(r.namespaced ? ns : "", name));
  if (it == res->second.end()) return std::nullopt;
  return it->second;
}

std::vector<Json> FakeClient::objects(const kube::Resource& r) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<Json> out;
  auto res = state_->objects.find(resKey(r));
  if (res != state_->objects.end()) {
    for (const auto& [k, v] : res->second) out.push_back(v);
  }
  return out;
}

long FakeClient::resourceVersion() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->rv;
}

}  // namespace pmo::testing
