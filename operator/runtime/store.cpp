#include "runtime/store.hpp"

namespace pmo::runtime {

std::string objectKey(const Json& object) {
  const Json& md = object.at("metadata");
  const std::string ns = md.value("namespace", "");
  const std::string name = md.value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

std::string resourceVersionOf(const Json& object) {
  return object.value("/metadata/resourceVersion"_json_pointer, std::string());
}

std::pair<std::string, std::string> splitKey(const std::string& key) {
  const auto pos = key.find('/');
  if (pos == std::string::npos) return {"", key};
  return {key.substr(0, pos), key.substr(pos + 1)};
}

ObjectPtr Store::unpack(const Entry& e) const { return std::make_shared<const Json>(packer_.unpack(e.packed)); }

ObjectPtr Store::get(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : unpack(it->second);
}

std::optional<Json> Store::getCopy(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return packer_.unpack(it->second.packed);
}

std::optional<std::string> Store::resourceVersion(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second.resourceVersion;
}

std::vector<ObjectPtr> Store::list() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [k, v] : objects_) out.push_back(unpack(v));
  return out;
}

std::vector<ObjectPtr> Store::listNamespace(const std::string& ns) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<ObjectPtr> out;
  const std::string prefix = ns + "/";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    out.push_back(unpack(it->second));
  }
  return out;
}

std::vector<ObjectPtr> Store::byIndex(const std::string& index, const std::string& value) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<ObjectPtr> out;
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return out;
  auto vals = idx->second.find(value);
  if (vals == idx->second.end()) return out;
  for (const auto& key : vals->second) {
    auto it = objects_.find(key);
    if (it != objects_.end()) out.push_back(unpack(it->second));
  }
  return out;
}

std::size_t Store::size() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return objects_.size();
}

void Store::addIndex(const std::string& name, IndexFunc fn) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  indexFns_[name] = std::move(fn);
  auto& idx = indexes_[name];
  idx.clear();
  for (const auto& [key, entry] : objects_) {
    for (const auto& v : indexFns_[name](*unpack(entry))) idx[v].insert(key);
  }
}

void Store::indexLocked(const std::string& key, const Json& obj, bool add) {
  for (const auto& [name, fn] : indexFns_) {
    auto& idx = indexes_[name];
    for (const auto& v : fn(obj)) {
      if (add) {
        idx[v].insert(key);
      } else {
        auto it = idx.find(v);
        if (it == idx.end()) continue;
        it->second.erase(key);
        if (it->second.empty()) idx.erase(it);
      }
    }
  }
}

ObjectPtr Store::upsert(ObjectPtr object) {
  const std::string key = objectKey(*object);
  Entry entry;
  entry.resourceVersion = resourceVersionOf(*object);
  std::unique_lock<std::shared_mutex> lock(mutex_);
  entry.packed = packer_.pack(*object);
  ObjectPtr old;
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    old = unpack(it->second);
    indexLocked(key, *old, false);
    it->second = std::move(entry);
  } else {
    objects_.emplace(key, std::move(entry));
  }
  indexLocked(key, *object, true);
  return old;
}

ObjectPtr Store::erase(const std::string& key) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return nullptr;
  ObjectPtr old = unpack(it->second);
  indexLocked(key, *old, false);
  objects_.erase(it);
  return old;
}

std::vector<std::string> Store::keys(const std::string& ns) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  std::vector<std::string> out;
  if (ns.empty()) {
    for (const auto& [k, v] : objects_) out.push_back(k);
    return out;
  }
  const std::string prefix = ns + "/";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    out.push_back(it->first);
  }
  return out;
}

}  // namespace pmo::runtime
