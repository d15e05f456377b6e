#pragma once
// FakeClient: a small, faithful, in-memory Kubernetes API implementing pmo::kube::Client,
// for unit tests of the runtime and of reconcilers. Thread-safe.
//
// What it does like the API server:
// - Objects by resource (group/plural), namespace and name; cluster-scoped resources use "".
// - One global resourceVersion counter: every write stamps metadata.resourceVersion
//   (a decimal string); create also sets uid, creationTimestamp and generation=1.
//   generation is bumped when anything outside metadata and status changes.
// - create: AlreadyExists (409) on a taken name; metadata.generateName is honoured.
// - update: Conflict (409) when metadata.resourceVersion is set and stale; NotFound if
//   absent. update() keeps the stored .status; updateStatus() changes only .status.
// - patch: Merge (RFC 7386) and Json (RFC 6902, a failing `test` gives Invalid 422);
//   StrategicMerge is applied as a merge patch (lists replaced, not merged by key).
//   A resourceVersion inside the patched object is a precondition (Conflict if stale).
// - remove: an object with metadata.finalizers gets deletionTimestamp and stays until an
//   update empties the finalizers; otherwise it is deleted. Precondition rv -> Conflict.
//   No owner-reference garbage collection.
// - list: namespace "" lists all namespaces; equality label selectors (`a=b`, `a==b`,
//   `a!=b`, `a`, `!a`, comma-separated; set-based ones are rejected with BadRequest);
//   metadata.name / metadata.namespace field selectors; paging by `limit`/`continue`
//   (items ordered by namespace/name; pages show the current state, not a snapshot).
// - watch: events after `resourceVersion` from a change log; "" or "0" first sends
//   synthetic ADDED events for the current objects. Bookmarks on request (sendBookmark).
//   A resourceVersion older than the last compact() is answered per GoneMode: an ERROR
//   event carrying a 410 Status (what API servers usually do), or ApiError(Gone) thrown
//   from watch(). cancel() makes a blocked next() return nullopt.
//
// Test controls: failures injected per verb/resource, closeWatches() (servers end watches),
// breakWatches() (open streams receive a 410 ERROR event), compact(), a request log
// (every call through the Client interface), and peek()/objects() which read without
// logging.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.hpp"

namespace pmo::testing {

using kube::Json;

struct FakeRequest {
  std::string verb;      // get, list, create, update, patch, delete, watch, getRaw
  std::string resource;  // plural ("deployments"); path for getRaw
  std::string ns;
  std::string name;
  std::string subresource;  // "status" for updateStatus / status patches
};

enum class GoneMode { ErrorEvent, Throw };

class FakeClient : public kube::Client {
 public:
  FakeClient();
  ~FakeClient() override;

  // --- kube::Client ---
  Json get(const kube::Resource& r, const std::string& ns, const std::string& name) override;
  Json list(const kube::Resource& r, const std::string& ns, const kube::ListOptions& opts = {}) override;
  Json create(const kube::Resource& r, const std::string& ns, const Json& object) override;
  Json update(const kube::Resource& r, const std::string& ns, const Json& object) override;
  Json updateStatus(const kube::Resource& r, const std::string& ns, const Json& object) override;
  Json patch(const kube::Resource& r, const std::string& ns, const std::string& name, kube::PatchType type,
             const Json& patch, bool statusSubresource = false) override;
  void remove(const kube::Resource& r, const std::string& ns, const std::string& name,
              kube::Propagation propagation = kube::Propagation::Background,
              const std::optional<std::string>& preconditionResourceVersion = std::nullopt) override;
  std::unique_ptr<kube::WatchStream> watch(const kube::Resource& r, const std::string& ns,
                                           const kube::WatchOptions& opts) override;
  std::string getRaw(const std::string& path) override;

  // --- Reading state without a logged request ---
  std::optional<Json> peek(const kube::Resource& r, const std::string& ns, const std::string& name) const;
  std::vector<Json> objects(const kube::Resource& r) const;
  long resourceVersion() const;  // the global counter

  // --- Faults ---
  // The next `times` requests (-1: every one) matching verb ("*" for any) and resource
  // plural ("*" for any) fail with `error` before touching state.
  void failRequests(const std::string& verb, const std::string& plural, const kube::ApiError& error, int times = 1);
  void clearFailures();
  // Watch requests from a resourceVersion below the current one are now too old.
  void compact();
  void setGoneMode(GoneMode mode);
  // Every open watch stream ends (next() returns nullopt), as when the server times out.
  void closeWatches();
  // Every open watch stream receives an ERROR event with a 410 Status.
  void breakWatches();
  // Open watch streams of `r` that allowed bookmarks receive a BOOKMARK at the current version.
  void sendBookmark(const kube::Resource& r);
  // Responses for getRaw(path).
  void setRaw(const std::string& path, std::string body);

  // --- Request log ---
  std::vector<FakeRequest> requests() const;
  // Counts requests with this verb ("*" any) and resource plural ("*" any).
  std::size_t count(const std::string& verb, const std::string& plural = "*") const;
  std::size_t openWatches() const;
  void clearRequests();

  // Shared with the watch streams; opaque to users.
  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace pmo::testing
