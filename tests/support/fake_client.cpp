#include "support/fake_client.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <sstream>

namespace pmo::testing {

using kube::ApiError;
using kube::ErrorReason;
using kube::WatchEvent;
using kube::WatchEventType;

namespace {

std::string resKey(const kube::Resource& r) { return r.group + "/" + r.plural; }
std::string objKey(const std::string& ns, const std::string& name) { return ns + "/" + name; }

std::string nowRfc3339() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ApiError notFound(const kube::Resource& r, const std::string& name) {
  return ApiError(ErrorReason::NotFound, 404, r.plural + " \"" + name + "\" not found");
}
ApiError conflict(const kube::Resource& r, const std::string& name) {
  return ApiError(ErrorReason::Conflict, 409,
                  "Operation cannot be fulfilled on " + r.plural + " \"" + name +
                      "\": the object has been modified; please apply your changes to the latest version and try again");
}

struct Requirement {
  std::string key;
  enum Op { Eq, NotEq, Exists, NotExists } op;
  std::string value;
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

std::vector<Requirement> parseLabelSelector(const std::string& selector) {
  std::vector<Requirement> out;
  if (trim(selector).empty()) return out;
  if (selector.find('(') != std::string::npos) {
    throw ApiError(ErrorReason::BadRequest, 400, "fake: set-based label selectors are not supported: " + selector);
  }
  std::stringstream ss(selector);
  std::string part;
  while (std::getline(ss, part, ',')) {
    part = trim(part);
    if (part.empty()) throw ApiError(ErrorReason::BadRequest, 400, "invalid label selector: " + selector);
    std::size_t pos;
    if ((pos = part.find("!=")) != std::string::npos) {
      out.push_back({trim(part.substr(0, pos)), Requirement::NotEq, trim(part.substr(pos + 2))});
    } else if ((pos = part.find("==")) != std::string::npos) {
      out.push_back({trim(part.substr(0, pos)), Requirement::Eq, trim(part.substr(pos + 2))});
    } else if ((pos = part.find('=')) != std::string::npos) {
      out.push_back({trim(part.substr(0, pos)), Requirement::Eq, trim(part.substr(pos + 1))});
    } else if (part[0] == '!') {
      out.push_back({trim(part.substr(1)), Requirement::NotExists, ""});
    } else {
      out.push_back({part, Requirement::Exists, ""});
    }
  }
  return out;
}

struct Filter {
  std::string ns;  // "" = all
  std::vector<Requirement> labels;
  std::vector<std::pair<std::string, std::string>> fields;  // path=value

  static Filter make(const std::string& ns, const std::string& labelSelector, const std::string& fieldSelector) {
    Filter f;
    f.ns = ns;
    f.labels = parseLabelSelector(labelSelector);
    if (!trim(fieldSelector).empty()) {
      std::stringstream ss(fieldSelector);
      std::string part;
      while (std::getline(ss, part, ',')) {
        const auto pos = part.find('=');
        const std::string field = pos == std::string::npos ? "" : trim(part.substr(0, pos));
        if (field != "metadata.name" && field != "metadata.namespace") {
          throw ApiError(ErrorReason::BadRequest, 400, "fake: unsupported field selector: " + part);
        }
        f.fields.emplace_back(field, trim(part.substr(pos + (part.compare(pos, 2, "==") == 0 ? 2 : 1))));
      }
    }
    return f;
  }

  bool matches(const Json& obj) const {
    const Json& md = obj.at("metadata");
    if (!ns.empty() && md.value("namespace", "") != ns) return false;
    const Json objLabels = md.value("labels", Json::object());
    for (const auto& r : labels) {
      const bool has = objLabels.contains(r.key);
      const std::string v = has && objLabels[r.key].is_string() ? objLabels[r.key].get<std::string>() : "";
      switch (r.op) {
        case Requirement::Eq: if (!has || v != r.value) return false; break;
        case Requirement::NotEq: if (has && v == r.value) return false; break;
        case Requirement::Exists: if (!has) return false; break;
        case Requirement::NotExists: if (has) return false; break;
      }
    }
    for (const auto& [field, value] : fields) {
      const std::string actual = md.value(field == "metadata.name" ? "name" : "namespace", "");
      if (actual != value) return false;
    }
    return true;
  }
};

// Everything but metadata and status: what generation tracks.
Json specPart(Json obj) {
  if (obj.is_object()) {
    obj.erase("metadata");
    obj.erase("status");
  }
  return obj;
}

long parseRv(const std::string& s) {
  if (s.empty()) return 0;
  try {
    return std::stol(s);
  } catch (...) {
    throw ApiError(ErrorReason::BadRequest, 400, "invalid resourceVersion \"" + s + "\"");
  }
}

}  // namespace

struct Change {
  std::string res;
  WatchEventType type;
  Json object;  // new state (for Deleted: the last state with the deletion's rv)
  Json old;     // previous state for Modified, null otherwise
  long rv;
};

struct Failure {
  std::string verb;
  std::string plural;
  ApiError error;
  int times;
};

struct FakeClient::State {
  mutable std::mutex mu;
  std::condition_variable cv;
  long rv = 0;
  long compactedRv = 0;
  long closeGen = 0;
  long breakGen = 0;
  long uidCounter = 0;
  std::size_t openWatches = 0;
  GoneMode goneMode = GoneMode::ErrorEvent;
  std::map<std::string, std::map<std::string, Json>> objects;  // res -> ns/name -> object
  std::vector<Change> log;
  std::vector<FakeRequest> requests;
  std::vector<Failure> failures;
  std::map<std::string, std::string> raw;

  // Records the request and throws an injected failure if one matches. Caller holds mu.
  void enter(const FakeRequest& req) {
    requests.push_back(req);
    for (auto it = failures.begin(); it != failures.end(); ++it) {
      if ((it->verb == "*" || it->verb == req.verb) && (it->plural == "*" || it->plural == req.resource)) {
        ApiError e = it->error;
        if (it->times > 0 && --it->times == 0) failures.erase(it);
        throw e;
      }
    }
  }

  Json& stamp(Json& obj) {
    obj["metadata"]["resourceVersion"] = std::to_string(++rv);
    return obj;
  }

  void record(const std::string& res, WatchEventType type, const Json& obj, Json old = nullptr) {
    log.push_back({res, type, obj, std::move(old), rv});
    cv.notify_all();
  }
};

namespace {

class FakeWatch final : public kube::WatchStream {
 public:
  FakeWatch(std::shared_ptr<FakeClient::State> st, std::string res, Filter filter, bool bookmarks, std::size_t pos,
            std::deque<WatchEvent> pending)
      : st_(std::move(st)), res_(std::move(res)), filter_(std::move(filter)), bookmarks_(bookmarks), pos_(pos),
        pending_(std::move(pending)), closeGen_(st_->closeGen), breakGen_(st_->breakGen) {
    ++st_->openWatches;  // constructed under st->mu
  }
  ~FakeWatch() override {
    std::lock_guard<std::mutex> lock(st_->mu);
    --st_->openWatches;
  }

  std::optional<WatchEvent> next() override {
    std::unique_lock<std::mutex> lock(st_->mu);
    for (;;) {
      if (cancelled_ || ended_) return std::nullopt;
      if (!pending_.empty()) {
        WatchEvent e = std::move(pending_.front());
        pending_.pop_front();
        return e;
      }
      if (st_->closeGen != closeGen_) {
        ended_ = true;
        return std::nullopt;
      }
      if (st_->breakGen != breakGen_) {
        ended_ = true;
        return goneEvent();
      }
      while (pos_ < st_->log.size()) {
        const Change& c = st_->log[pos_++];
        if (auto e = translate(c)) return e;
      }
      st_->cv.wait(lock);
    }
  }

  void cancel() override {
    std::lock_guard<std::mutex> lock(st_->mu);
    cancelled_ = true;
    st_->cv.notify_all();
  }

  static WatchEvent goneEvent() {
    return {WatchEventType::Error,
            Json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"}, {"reason", "Expired"},
                 {"code", 410}, {"message", "too old resource version"}}};
  }

 private:
  std::optional<WatchEvent> translate(const Change& c) const {
    if (c.res != res_) return std::nullopt;
    if (c.type == WatchEventType::Bookmark) {
      if (!bookmarks_) return std::nullopt;
      return WatchEvent{c.type, c.object};
    }
    const bool now = filter_.matches(c.object);
    if (c.type == WatchEventType::Modified && !c.old.is_null()) {
      const bool before = filter_.matches(c.old);
      if (before && !now) return WatchEvent{WatchEventType::Deleted, c.object};
      if (!before && now) return WatchEvent{WatchEventType::Added, c.object};
    }
    if (!now) return std::nullopt;
    return WatchEvent{c.type, c.object};
  }

  std::shared_ptr<FakeClient::State> st_;
  std::string res_;
  Filter filter_;
  bool bookmarks_;
  std::size_t pos_;
  std::deque<WatchEvent> pending_;
  long closeGen_;
  long breakGen_;
  bool cancelled_ = false;
  bool ended_ = false;
};

}  // namespace

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

namespace {
// Shared by update/updateStatus/patch: writes `obj` over `stored` under the rules.
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
}  // namespace

namespace {
// The stored object a PUT replaces: NotFound when absent, Conflict when the request
// carries a resourceVersion that is not the stored one. Call with the state locked.
std::map<std::string, Json>::iterator findForUpdate(std::map<std::string, Json>& objs, const std::string& key,
                                                    const kube::Resource& r, const std::string& name,
                                                    const Json& object) {
  auto it = objs.find(key);
  if (it == objs.end()) throw notFound(r, name);
  const std::string rv = object["metadata"].value("resourceVersion", "");
  if (!rv.empty() && rv != it->second["metadata"].value("resourceVersion", "")) throw conflict(r, name);
  return it;
}
}  // namespace

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

Json FakeClient::patch(const kube::Resource& r, const std::string& ns, const std::string& name, kube::PatchType type,
                       const Json& patch, bool statusSubresource) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->enter({"patch", r.plural, ns, name, statusSubresource ? "status" : ""});
  auto& objs = state_->objects[resKey(r)];
  const std::string key = objKey(r.namespaced ? ns : "", name);
  auto it = objs.find(key);
  if (it == objs.end()) throw notFound(r, name);
  Json patched = it->second;
  try {
    if (type == kube::PatchType::Json) {
      patched = patched.patch(patch);
    } else {
      patched.merge_patch(patch);
    }
  } catch (const nlohmann::json::exception& e) {
    throw ApiError(ErrorReason::Invalid, 422, std::string("the patch could not be applied: ") + e.what());
  }
  const std::string rv = patched["metadata"].value("resourceVersion", "");
  if (rv != it->second["metadata"].value("resourceVersion", "")) throw conflict(r, name);
  // A status patch changes only status; a main-resource patch never changes status.
  Json obj = it->second;
  if (statusSubresource) {
    if (patched.contains("status")) obj["status"] = patched["status"]; else obj.erase("status");
  } else {
    obj = patched;
    if (it->second.contains("status")) obj["status"] = it->second["status"]; else obj.erase("status");
  }
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

std::unique_ptr<kube::WatchStream> FakeClient::watch(const kube::Resource& r, const std::string& ns,
                                                     const kube::WatchOptions& opts) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->enter({"watch", r.plural, ns, "", ""});
  Filter filter = Filter::make(r.namespaced ? ns : "", opts.labelSelector, opts.fieldSelector);
  std::deque<WatchEvent> pending;
  const std::string res = resKey(r);
  std::size_t pos = state_->log.size();
  if (opts.resourceVersion.empty() || opts.resourceVersion == "0") {
    for (const auto& [key, obj] : state_->objects[res]) {
      if (filter.matches(obj)) pending.push_back({WatchEventType::Added, obj});
    }
  } else {
    const long from = parseRv(opts.resourceVersion);
    if (from < state_->compactedRv) {
      if (state_->goneMode == GoneMode::Throw) {
        throw ApiError(ErrorReason::Gone, 410, "too old resource version: " + opts.resourceVersion);
      }
      pending.push_back(FakeWatch::goneEvent());
      pos = state_->log.size();
      auto w = std::make_unique<FakeWatch>(state_, res, std::move(filter), opts.allowBookmarks, pos, std::move(pending));
      return w;
    }
    // The change log is ordered by rv; start after the first entry newer than `from`.
    pos = 0;
    while (pos < state_->log.size() && state_->log[pos].rv <= from) ++pos;
  }
  return std::make_unique<FakeWatch>(state_, res, std::move(filter), opts.allowBookmarks, pos, std::move(pending));
}

std::string FakeClient::getRaw(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->enter({"getRaw", path, "", "", ""});
  auto it = state_->raw.find(path);
  if (it == state_->raw.end()) throw ApiError(ErrorReason::NotFound, 404, "the server could not find " + path);
  return it->second;
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

void FakeClient::failRequests(const std::string& verb, const std::string& plural, const ApiError& error, int times) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->failures.push_back({verb, plural, error, times});
}

void FakeClient::clearFailures() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->failures.clear();
}

void FakeClient::compact() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->compactedRv = state_->rv;
}

void FakeClient::setGoneMode(GoneMode mode) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->goneMode = mode;
}

void FakeClient::closeWatches() {
  std::lock_guard<std::mutex> lock(state_->mu);
  ++state_->closeGen;
  state_->cv.notify_all();
}

void FakeClient::breakWatches() {
  std::lock_guard<std::mutex> lock(state_->mu);
  ++state_->breakGen;
  state_->cv.notify_all();
}

void FakeClient::sendBookmark(const kube::Resource& r) {
  std::lock_guard<std::mutex> lock(state_->mu);
  Json bm{{"kind", r.kind}, {"apiVersion", r.apiVersion()},
          {"metadata", {{"resourceVersion", std::to_string(state_->rv)}}}};
  state_->record(resKey(r), WatchEventType::Bookmark, bm);
}

void FakeClient::setRaw(const std::string& path, std::string body) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->raw[path] = std::move(body);
}

std::vector<FakeRequest> FakeClient::requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests;
}

std::size_t FakeClient::count(const std::string& verb, const std::string& plural) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return static_cast<std::size_t>(std::count_if(state_->requests.begin(), state_->requests.end(), [&](const FakeRequest& q) {
    return (verb == "*" || q.verb == verb) && (plural == "*" || q.resource == plural);
  }));
}

std::size_t FakeClient::openWatches() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->openWatches;
}

void FakeClient::clearRequests() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->requests.clear();
}

}  // namespace pmo::testing
