#pragma once
// The informer's cache of one resource: objects keyed "namespace/name" ("name" for
// cluster-scoped objects). One writer (the informer) feeds it; any number of readers get
// read-only snapshots: an ObjectPtr stays valid and unchanged after the store moves on.
//
// Objects are kept packed (packed_object.hpp: MessagePack deflated against the first
// object of the kind), not as parsed JSON trees, which take some fifty times the bytes:
// the cache of thousands of Deployments and CronJobs is most of the operator's memory.
// Every read unpacks a fresh copy (tens of microseconds for an object this size);
// resourceVersion() answers the informer's "changed since?" without unpacking.
//
// Indexes: addIndex(name, fn) where fn maps an object to the values it is filed under
// (e.g. the uids of its owners); byIndex(name, value) returns the objects filed there.
// Add indexes before the informer starts.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <cstdint>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/packed_object.hpp"

namespace pmo::runtime {

using Json = nlohmann::json;
using ObjectPtr = std::shared_ptr<const Json>;
using IndexFunc = std::function<std::vector<std::string>(const Json&)>;

// "namespace/name", or "name" when the object has no namespace.
std::string objectKey(const Json& object);
// metadata.resourceVersion, "" when there is none.
std::string resourceVersionOf(const Json& object);
// Splits a key into namespace ("" for cluster-scoped) and name.
std::pair<std::string, std::string> splitKey(const std::string& key);

class Store {
 public:
  // --- readers ---
  ObjectPtr get(const std::string& key) const;
  std::optional<Json> getCopy(const std::string& key) const;
  std::vector<ObjectPtr> list() const;
  std::vector<ObjectPtr> listNamespace(const std::string& ns) const;
  std::vector<ObjectPtr> byIndex(const std::string& index, const std::string& value) const;
  std::size_t size() const;
  // The stored object's metadata.resourceVersion; nullopt when there is no such object.
  std::optional<std::string> resourceVersion(const std::string& key) const;

  // --- the writer ---
  void addIndex(const std::string& name, IndexFunc fn);
  // Inserts or replaces; returns the previous object (null if none).
  ObjectPtr upsert(ObjectPtr object);
  // Removes; returns the removed object (null if none).
  ObjectPtr erase(const std::string& key);
  // Keys of every object in `ns` ("" = every object).
  std::vector<std::string> keys(const std::string& ns = "") const;

 private:
  struct Entry {
    std::string resourceVersion;
    std::vector<std::uint8_t> packed;
  };
  ObjectPtr unpack(const Entry& e) const;
  void indexLocked(const std::string& key, const Json& obj, bool add);

  mutable std::shared_mutex mutex_;
  ObjectPacker packer_;  // its dictionary is set by the first upsert, under the unique lock
  std::map<std::string, Entry> objects_;  // ordered: list() is deterministic
  std::map<std::string, IndexFunc> indexFns_;
  // index name -> value -> keys
  std::map<std::string, std::unordered_map<std::string, std::set<std::string>>> indexes_;
};

}  // namespace pmo::runtime
