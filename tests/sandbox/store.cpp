#include "sandbox/store.hpp"

#include <algorithm>
#include <ctime>
#include <random>

namespace pmo::sandbox {

Store::Store(size_t historyLimit) : historyLimit_(historyLimit == 0 ? 1 : historyLimit) {}

std::string metaString(const nlohmann::json& o, const char* field) {
  auto m = o.find("metadata");
  if (m == o.end() || !m->is_object()) return "";
  auto f = m->find(field);
  return f != m->end() && f->is_string() ? f->get<std::string>() : "";
}

std::string nowRfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string newUid() {
  static std::mutex m;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard<std::mutex> lock(m);
  uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string Store::objectKey(const nlohmann::json& o) {
  std::string ns = metaString(o, "namespace");
  std::string name = metaString(o, "name");
  return ns.empty() ? name : ns + "/" + name;
}

ObjectPtr Store::find(const std::string& typeKey, const std::string& ns, const std::string& name) const {
  auto t = objects_.find(typeKey);
  if (t == objects_.end()) return nullptr;
  auto it = t->second.find(ns.empty() ? name : ns + "/" + name);
  return it == t->second.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Store::list(const std::string& typeKey, const std::string& ns) const {
  std::vector<ObjectPtr> out;
  auto t = objects_.find(typeKey);
  if (t == objects_.end()) return out;
  if (ns.empty()) {
    out.reserve(t->second.size());
    for (const auto& [k, o] : t->second) out.push_back(o);
    return out;
  }
  const std::string prefix = ns + "/";
  for (auto it = t->second.lower_bound(prefix); it != t->second.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it)
    out.push_back(it->second);
  return out;
}

std::vector<ObjectPtr> Store::listAt(const std::string& typeKey, const std::string& ns, uint64_t rv) const {
  std::map<std::string, ObjectPtr> at;
  for (const auto& o : list(typeKey, ns)) at[objectKey(*o)] = o;
  // undo, newest first, every event of this type after rv
  for (auto it = history_.rbegin(); it != history_.rend() && it->rv > rv; ++it) {
    if (it->typeKey != typeKey || (!ns.empty() && it->ns != ns)) continue;
    const std::string key = objectKey(*it->object);
    if (it->previous) at[key] = it->previous;
    else at.erase(key);
  }
  std::vector<ObjectPtr> out;
  out.reserve(at.size());
  for (auto& [k, o] : at) out.push_back(std::move(o));
  return out;
}

bool Store::waitForRv(std::unique_lock<std::mutex>& lock, uint64_t rv, std::chrono::steady_clock::time_point until) {
  return rvAdvanced_.wait_until(lock, until, [&] { return rv_ >= rv; });
}

void Store::forEach(const std::function<void(const std::string&, const ObjectPtr&)>& f) const {
  for (const auto& [type, objs] : objects_)
    for (const auto& [k, o] : objs) f(type, o);
}

ObjectPtr Store::put(const std::string& typeKey, nlohmann::json object) {
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  auto ptr = std::make_shared<const nlohmann::json>(std::move(object));
  auto& slot = objects_[typeKey][objectKey(*ptr)];
  StoreEvent e{slot ? "MODIFIED" : "ADDED", rv_, typeKey, metaString(*ptr, "namespace"), ptr, slot};
  slot = ptr;
  emit(std::move(e));
  return ptr;
}

ObjectPtr Store::erase(const std::string& typeKey, nlohmann::json last) {
  auto& objs = objects_[typeKey];
  auto it = objs.find(objectKey(last));
  if (it == objs.end()) return nullptr;
  ObjectPtr previous = it->second;
  objs.erase(it);
  last["metadata"]["resourceVersion"] = std::to_string(++rv_);
  auto ptr = std::make_shared<const nlohmann::json>(std::move(last));
  emit(StoreEvent{"DELETED", rv_, typeKey, metaString(*ptr, "namespace"), ptr, previous});
  return ptr;
}

void Store::dropType(const std::string& typeKey) { objects_.erase(typeKey); }

void Store::emit(StoreEvent e) {
  rvAdvanced_.notify_all();
  for (auto& l : listeners_) l(e);
  for (auto& w : watchers_) {
    if (w->typeKey != e.typeKey || (!w->ns.empty() && w->ns != e.ns) || e.rv <= w->fromRv) continue;
    w->queue.push_back(e);
    w->cv.notify_all();
  }
  history_.push_back(std::move(e));
  while (history_.size() > historyLimit_) {
    compactedRv_ = history_.front().rv;
    history_.pop_front();
  }
}

std::shared_ptr<Watcher> Store::watch(const std::string& typeKey, const std::string& ns, uint64_t fromRv) {
  if (fromRv != 0 && fromRv < compactedRv_) return nullptr;
  auto w = std::make_shared<Watcher>();
  w->typeKey = typeKey;
  w->ns = ns;
  w->fromRv = fromRv;
  if (fromRv != 0) {
    auto it = std::upper_bound(history_.begin(), history_.end(), fromRv,
                               [](uint64_t rv, const StoreEvent& e) { return rv < e.rv; });
    for (; it != history_.end(); ++it)
      if (it->typeKey == typeKey && (ns.empty() || it->ns == ns)) w->queue.push_back(*it);
  }
  watchers_.push_back(w);
  return w;
}

void Store::unwatch(const std::shared_ptr<Watcher>& w) {
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), w), watchers_.end());
}

void Store::dropWatches() {
  for (auto& w : watchers_) {
    w->dropped = true;
    w->cv.notify_all();
  }
  watchers_.clear();
}

void Store::compact() {
  history_.clear();
  compactedRv_ = rv_;
}

void Store::addListener(std::function<void(const StoreEvent&)> listener) {
  listeners_.push_back(std::move(listener));
}

}  // namespace pmo::sandbox
