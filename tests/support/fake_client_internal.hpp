#pragma once
// Internals of FakeClient shared by its files (store, patches, watches, selectors,
// controls): the state behind the client and the API server's rules they all apply.
// Not for tests: use fake_client.hpp.
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "support/fake_client.hpp"

namespace pmo::testing {

namespace fake_detail {

using kube::ApiError;
using kube::ErrorReason;

inline std::string resKey(const kube::Resource& r) { return r.group + "/" + r.plural; }
inline std::string objKey(const std::string& ns, const std::string& name) { return ns + "/" + name; }
std::string nowRfc3339();

inline ApiError notFound(const kube::Resource& r, const std::string& name) {
  return ApiError(ErrorReason::NotFound, 404, r.plural + " \"" + name + "\" not found");
}
inline ApiError conflict(const kube::Resource& r, const std::string& name) {
  return ApiError(ErrorReason::Conflict, 409,
                  "Operation cannot be fulfilled on " + r.plural + " \"" + name +
                      "\": the object has been modified; please apply your changes to the latest version and try again");
}

struct Requirement {
  std::string key;
  enum Op { Eq, NotEq, Exists, NotExists } op;
  std::string value;
};

// Label and field selectors as list and watch take them (fake_client_selectors.cpp).
struct Filter {
  std::string ns;  // "" = all
  std::vector<Requirement> labels;
  std::vector<std::pair<std::string, std::string>> fields;  // path=value

  static Filter make(const std::string& ns, const std::string& labelSelector, const std::string& fieldSelector);
  bool matches(const Json& obj) const;
};

// A resourceVersion as a number (BadRequest when it is not one); "" is 0.
long parseRv(const std::string& s);

}  // namespace fake_detail

struct Change {
  std::string res;
  kube::WatchEventType type;
  Json object;  // new state (for Deleted: the last state with the deletion's rv)
  Json old;     // previous state for Modified, null otherwise
  long rv;
};

struct Failure {
  std::string verb;
  std::string plural;
  kube::ApiError error;
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
        kube::ApiError e = it->error;
        if (it->times > 0 && --it->times == 0) failures.erase(it);
        throw e;
      }
    }
  }

  Json& stamp(Json& obj) {
    obj["metadata"]["resourceVersion"] = std::to_string(++rv);
    return obj;
  }

  void record(const std::string& res, kube::WatchEventType type, const Json& obj, Json old = nullptr) {
    log.push_back({res, type, obj, std::move(old), rv});
    cv.notify_all();
  }
};

namespace fake_detail {
// Writes `obj` over `stored` under the API server's rules (generation, no-op writes,
// finalized deletion); shared by update, updateStatus and patch. Call with the state locked.
Json commit(FakeClient::State& st, const kube::Resource& r, const std::string& key, Json obj, Json& stored);
// The stored object a PUT replaces: NotFound when absent, Conflict when the request
// carries a resourceVersion that is not the stored one. Call with the state locked.
std::map<std::string, Json>::iterator findForUpdate(std::map<std::string, Json>& objs, const std::string& key,
                                                    const kube::Resource& r, const std::string& name,
                                                    const Json& object);
}  // namespace fake_detail

}  // namespace pmo::testing
