// Watch streams. Guarantees: events arrive in resourceVersion order, each once; a watch
// from a resourceVersion replays the kept events after it, or sends one ERROR event
// (Status 410 Expired) inside a 200 stream when that history was compacted, as
// kube-apiserver does; without a resourceVersion (or "0") the current objects come first as
// ADDED. BOOKMARKs (allowWatchBookmarks=true) carry the latest resourceVersion the watcher
// has fully seen. timeoutSeconds ends the stream; Controls::dropWatches ends all of them.
// A resourceVersion newer than the store's opens the stream at once and delivers events
// after it only (the watch cache's getAllEventsSinceLocked and cacheWatcher filter).
// Accept `as=Table` (kubectl get -w): every object but an ERROR's Status becomes a
// meta.k8s.io/v1 Table of one row; only the first carries columnDefinitions, as
// handlers/watch.go's watchEmbeddedEncoder sets NoHeaders after the first event.
#include "sandbox/api.hpp"
#include "sandbox/selectors.hpp"

namespace pmo::sandbox {

namespace {

std::string eventLine(const std::string& type, const nlohmann::json& object) {
  return nlohmann::json{{"type", type}, {"object", object}}.dump() + "\n";
}

}  // namespace

void serveWatch(World& w, const Target& t, const HttpRequest& req, ResponseStream& stream,
                const std::function<void()>& onBegin) {
  Selector labels = Selector::parseLabels(req.param("labelSelector"));
  Selector fields = Selector::parseFields(req.param("fieldSelector"));
  auto matches = [&](const ObjectPtr& o) { return o && labels.matches(*o) && fields.matches(*o); };
  const std::string rvParam = req.param("resourceVersion");
  uint64_t from = 0;
  if (!rvParam.empty() && rvParam != "0") {
    try {
      from = std::stoull(rvParam);
    } catch (const std::exception&) {
      throw badRequest("resourceVersion: Invalid value: " + goQuote(rvParam));
    }
  }
  const bool bookmarks = req.param("allowWatchBookmarks") == "true";
  const bool table = req.header("accept").find("as=Table") != std::string::npos;
  const bool includeObject = req.param("includeObject") == "Object";
  bool headersSent = false;
  auto encode = [&](const std::string& type, const nlohmann::json& object) {
    if (!table) return eventLine(type, present(*t.type, t.version, object));
    auto ptr = std::make_shared<const nlohmann::json>(object);
    nlohmann::json tab = toTable(*t.type, t.version, {ptr}, {{"resourceVersion", metaString(object, "resourceVersion")}},
                                 includeObject);
    if (headersSent) tab["columnDefinitions"] = nullptr;
    headersSent = true;
    return eventLine(type, tab);
  };
  long timeout = 1800;
  if (!req.param("timeoutSeconds").empty()) timeout = std::stol(req.param("timeoutSeconds"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  const auto bookmarkEvery = w.options.bookmarkInterval;

  std::vector<ObjectPtr> initial;
  std::shared_ptr<Watcher> watcher;
  uint64_t compacted = 0;
  {
    auto lock = w.store.lock();
    compacted = w.store.compactedRv();
    if (from == 0) initial = w.store.list(t.type->key(), t.ns);
    watcher = w.store.watch(t.type->key(), t.ns, from);
  }
  onBegin();  // before the client can see the headers: a test that saw them finds the record
  if (!stream.begin(200, "application/json")) {
    if (watcher) {
      auto lock = w.store.lock();
      w.store.unwatch(watcher);
    }
    return;
  }
  if (!watcher) {
    std::string msg = "too old resource version: " + rvParam + " (" + std::to_string(compacted) + ")";
    stream.chunk(eventLine("ERROR", statusJson(410, "Expired", msg)));
    stream.end();
    return;
  }
  bool ok = true;
  for (const auto& o : initial)
    if (ok && matches(o)) ok = stream.chunk(encode("ADDED", *o));

  auto nextBookmark = std::chrono::steady_clock::now() + bookmarkEvery;
  while (ok) {
    std::deque<StoreEvent> batch;
    uint64_t bookmarkRv = 0;
    {
      auto lock = w.store.lock();
      auto until = bookmarks ? std::min(deadline, nextBookmark) : deadline;
      until = std::min(until, std::chrono::steady_clock::now() + std::chrono::seconds(1));  // notice stop()
      watcher->cv.wait_until(lock, until, [&] { return !watcher->queue.empty() || watcher->dropped || w.stopping; });
      if (watcher->dropped || w.stopping) break;
      batch.swap(watcher->queue);
      auto now = std::chrono::steady_clock::now();
      if (batch.empty() && now >= deadline) break;
      if (batch.empty() && bookmarks && now >= nextBookmark && w.store.currentRv() >= from) {
        bookmarkRv = w.store.currentRv();  // every event up to here was queued to this watcher
        nextBookmark = now + bookmarkEvery;
      }
    }
    for (const auto& e : batch) {
      if (!ok) break;
      bool now = matches(e.object), before = matches(e.previous);
      std::string type = e.type;
      if (e.type == "DELETED") {
        if (!before && !now) continue;
      } else if (e.type == "MODIFIED") {
        if (now && !before) type = "ADDED";
        else if (!now && before) type = "DELETED";
        else if (!now) continue;
      } else if (!now) {
        continue;
      }
      ok = stream.chunk(encode(type, *e.object));
    }
    if (ok && bookmarkRv != 0) {
      ok = stream.chunk(encode("BOOKMARK", {{"metadata", {{"resourceVersion", std::to_string(bookmarkRv)}}}}));
    }
  }
  {
    auto lock = w.store.lock();
    w.store.unwatch(watcher);
  }
  stream.end();
}

}  // namespace pmo::sandbox
