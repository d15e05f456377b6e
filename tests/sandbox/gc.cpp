#include "sandbox/gc.hpp"

#include <set>
#include <unordered_map>
#include <unordered_set>

#include "sandbox/objects.hpp"

namespace pmo::sandbox {

namespace {

const nlohmann::json& metadataOf(const ObjectPtr& o) { return (*o)["metadata"]; }

nlohmann::json without(const nlohmann::json& list, const std::string& value) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& v : list)
    if (v != value) out.push_back(v);
  return out;
}

bool hasFinalizer(const ObjectPtr& o, const std::string& f) {
  const auto& m = metadataOf(o);
  if (!m.contains("finalizers")) return false;
  for (const auto& v : m["finalizers"])
    if (v == f) return true;
  return false;
}

ObjectPtr removeFinalizer(World& w, const std::string& typeKey, const ObjectPtr& o, const std::string& f) {
  nlohmann::json next = *o;
  next["metadata"]["finalizers"] = without(next["metadata"]["finalizers"], f);
  if (next["metadata"]["finalizers"].empty()) next["metadata"].erase("finalizers");
  return replaceInternal(w, typeKey, o, std::move(next));
}

}  // namespace

GarbageCollector::GarbageCollector(World& w) : w_(w) {}
GarbageCollector::~GarbageCollector() { stop(); }

void GarbageCollector::start() { thread_ = std::thread([this] { run(); }); }

void GarbageCollector::stop() {
  {
    auto lock = w_.store.lock();
    stop_ = true;
    w_.gcWake.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void GarbageCollector::run() {
  auto lock = w_.store.lock();
  while (!stop_) {
    w_.gcWake.wait_for(lock, std::chrono::seconds(1), [this] { return stop_ || w_.gcDirty; });
    if (stop_) break;
    w_.gcDirty = false;
    for (int i = 0; i < 100 && pass(); ++i) {
    }
    // pass() wakes itself through gcDirty when it deletes; clear to avoid a busy loop
    w_.gcDirty = false;
  }
}

bool GarbageCollector::pass() {
  struct Entry {
    std::string typeKey;
    ObjectPtr object;
  };
  std::vector<Entry> all;
  std::unordered_set<std::string> uids;
  std::unordered_map<std::string, std::vector<size_t>> dependents;  // owner uid -> entries
  w_.store.forEach([&](const std::string& typeKey, const ObjectPtr& o) {
    const auto& m = metadataOf(o);
    uids.insert(m.value("uid", ""));
    if (m.contains("ownerReferences"))
      for (const auto& r : m["ownerReferences"]) dependents[r.value("uid", "")].push_back(all.size());
    all.push_back({typeKey, o});
  });
  bool changed = false;
  // the current version of a snapshot entry (earlier writes in this pass may have changed it)
  auto fresh = [&](const Entry& e) -> ObjectPtr {
    ObjectPtr cur = w_.store.find(e.typeKey, metaString(*e.object, "namespace"), metaString(*e.object, "name"));
    return cur && metaString(*cur, "uid") == metaString(*e.object, "uid") ? cur : nullptr;
  };
  auto typeOf = [&](const std::string& key) { return w_.types.byKey(key); };
  for (const auto& e : all) {
    const auto& m = metadataOf(e.object);
    if (!m.contains("deletionTimestamp")) continue;
    const std::string uid = m.value("uid", "");
    auto deps = dependents.find(uid);
    bool hasDeps = deps != dependents.end() && !deps->second.empty();
    if (hasFinalizer(e.object, "orphan")) {
      if (hasDeps)
        for (size_t i : deps->second) {
          const auto& d = all[i];
          ObjectPtr cur = w_.store.find(d.typeKey, metaString(*d.object, "namespace"), metaString(*d.object, "name"));
          if (!cur) continue;
          nlohmann::json next = *cur;
          nlohmann::json refs = nlohmann::json::array();
          for (const auto& r : next["metadata"]["ownerReferences"])
            if (r.value("uid", "") != uid) refs.push_back(r);
          if (refs.empty()) next["metadata"].erase("ownerReferences");
          else next["metadata"]["ownerReferences"] = refs;
          replaceInternal(w_, d.typeKey, cur, std::move(next));
        }
      if (ObjectPtr cur = fresh(e)) removeFinalizer(w_, e.typeKey, cur, "orphan");
      return true;  // the snapshot is stale now
    }
    if (hasFinalizer(e.object, "foregroundDeletion")) {
      if (hasDeps) {
        for (size_t i : deps->second) {
          auto t = typeOf(all[i].typeKey);
          ObjectPtr cur = fresh(all[i]);
          if (t && cur) deleteInternal(w_, *t, cur, "Foreground");
        }
        changed = true;
      } else {
        if (ObjectPtr cur = fresh(e)) removeFinalizer(w_, e.typeKey, cur, "foregroundDeletion");
        return true;
      }
    }
    if (e.typeKey == "namespaces") {
      const std::string ns = m.value("name", "");
      bool empty = true;
      for (const auto& o : all) {
        if (o.typeKey == "namespaces" || metaString(*o.object, "namespace") != ns) continue;
        empty = false;
        auto t = typeOf(o.typeKey);
        ObjectPtr cur = fresh(o);
        if (t && cur && !metadataOf(cur).contains("deletionTimestamp")) {
          deleteInternal(w_, *t, cur, "Background");
          changed = true;
        }
      }
      ObjectPtr cur = fresh(e);
      if (empty && cur) {
        nlohmann::json next = *cur;
        next["spec"]["finalizers"] = nlohmann::json::array();
        replaceInternal(w_, e.typeKey, cur, std::move(next));
        return true;
      }
    }
    if (e.typeKey == "apiextensions.k8s.io/customresourcedefinitions" &&
        hasFinalizer(e.object, "customresourcecleanup.apiextensions.k8s.io")) {
      const auto& spec = (*e.object)["spec"];
      std::string key = spec.value("group", "") + "/" + spec["names"].value("plural", "");
      auto t = typeOf(key);
      bool empty = true;
      for (const auto& o : all) {
        if (o.typeKey != key) continue;
        empty = false;
        ObjectPtr cur = fresh(o);
        if (t && cur && !metadataOf(cur).contains("deletionTimestamp")) {
          deleteInternal(w_, *t, cur, "Background");
          changed = true;
        }
      }
      if (empty) {
        w_.store.dropType(key);
        if (ObjectPtr cur = fresh(e)) removeFinalizer(w_, e.typeKey, cur, "customresourcecleanup.apiextensions.k8s.io");
        return true;
      }
    }
  }
  // orphans: every owner gone
  for (const auto& e : all) {
    const auto& m = metadataOf(e.object);
    if (!m.contains("ownerReferences") || m["ownerReferences"].empty() || m.contains("deletionTimestamp")) continue;
    bool anyOwner = false;
    for (const auto& r : m["ownerReferences"])
      if (uids.count(r.value("uid", ""))) anyOwner = true;
    if (anyOwner) continue;
    ObjectPtr cur = fresh(e);
    auto t = typeOf(e.typeKey);
    if (cur && t && !metadataOf(cur).contains("deletionTimestamp")) {
      deleteInternal(w_, *t, cur, "Background");
      changed = true;
    }
  }
  return changed;
}

}  // namespace pmo::sandbox
