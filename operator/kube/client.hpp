#pragma once
// The Kubernetes API as the rest of the operator sees it. Implemented over HTTP by
// HttpClient (kube/http_client.hpp); tests may implement it in memory.
//
// Every call is synchronous and thread-safe, throws ApiError on failure, and applies the
// client-side rate limit and request timeout. Objects are nlohmann::json as the API
// serves them.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "kube/errors.hpp"
#include "kube/resource.hpp"

namespace pmo::kube {

using Json = nlohmann::json;

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  long limit = 0;                 // 0: no limit; otherwise page with `continueToken`
  std::string continueToken;
  std::string resourceVersion;    // "" = most recent (quorum read)
};

struct WatchOptions {
  std::string labelSelector;
  std::string fieldSelector;
  std::string resourceVersion;    // events after this version
  bool allowBookmarks = true;
  int timeoutSeconds = 300;       // the server ends the watch after this; the caller re-watches
};

enum class PatchType { Merge, Json, StrategicMerge };
enum class Propagation { Background, Foreground, Orphan };

enum class WatchEventType { Added, Modified, Deleted, Bookmark, Error };
const char* toString(WatchEventType type);

struct WatchEvent {
  WatchEventType type;
  Json object;  // for Error: the Status object
};

// A stream of watch events. next() blocks until an event arrives, the server ends the
// stream (returns nullopt: re-watch from the last resourceVersion seen), or it fails
// (throws ApiError; ErrorReason::Gone means relist). cancel() may be called from
// another thread and makes a blocked next() return nullopt promptly.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  virtual std::optional<WatchEvent> next() = 0;
  virtual void cancel() = 0;
};

class Client {
 public:
  virtual ~Client() = default;

  virtual Json get(const Resource& r, const std::string& ns, const std::string& name) = 0;
  // Returns the List object ({"metadata":{"resourceVersion","continue"},"items":[...]}).
  virtual Json list(const Resource& r, const std::string& ns, const ListOptions& opts = {}) = 0;
  // Lists page by page (opts.limit items a page; 500 when unset), handing each page's
  // items to `onPage` before fetching the next, so no caller need hold a whole large list.
  // Returns the list's resourceVersion (the last page's).
  std::string listPages(const Resource& r, const std::string& ns, const ListOptions& opts,
                        const std::function<void(Json& items)>& onPage);
  // Every page in one List: all items and the last page's resourceVersion.
  Json listAll(const Resource& r, const std::string& ns, const ListOptions& opts = {});
  virtual Json create(const Resource& r, const std::string& ns, const Json& object) = 0;
  // PUT; the object's metadata.resourceVersion is the optimistic-concurrency precondition.
  virtual Json update(const Resource& r, const std::string& ns, const Json& object) = 0;
  // PUT to the status subresource.
  virtual Json updateStatus(const Resource& r, const std::string& ns, const Json& object) = 0;
  virtual Json patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                     const Json& patch, bool statusSubresource = false) = 0;
  virtual void remove(const Resource& r, const std::string& ns, const std::string& name,
                      Propagation propagation = Propagation::Background,
                      const std::optional<std::string>& preconditionResourceVersion = std::nullopt) = 0;
  virtual std::unique_ptr<WatchStream> watch(const Resource& r, const std::string& ns,
                                             const WatchOptions& opts) = 0;
  // GET of a raw path (discovery, /version, pods/log); returns the body.
  virtual std::string getRaw(const std::string& path) = 0;
};

}  // namespace pmo::kube
