// FakeClient's watches: events after a resourceVersion from the change log, synthetic
// ADDED events from "" or "0", bookmarks, 410 after compact(), and the test controls that
// end or break open streams.
#include <deque>

#include "support/fake_client_internal.hpp"

namespace pmo::testing {

using kube::ApiError;
using kube::ErrorReason;
using kube::WatchEvent;
using kube::WatchEventType;
using namespace fake_detail;

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

std::size_t FakeClient::openWatches() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->openWatches;
}

}  // namespace pmo::testing
