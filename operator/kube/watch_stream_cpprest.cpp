// A watch over the cpprest transport (client.hpp: WatchStream).
//
// Guarantees: the body is read as it arrives (never buffered whole); events are
// returned in the order the server sent them; after the headers arrived, a closed or
// broken connection ends the stream (nullopt: the caller re-watches from the last
// resourceVersion it saw), while an ERROR event throws its ApiError (410 => Gone).
// cancel() is safe from any thread and makes a blocked next() return nullopt.
#include <algorithm>
#include <array>
#include <atomic>

#include "common/log.hpp"
#include "kube/http_transport_cpprest.hpp"
#include "kube/watch_events.hpp"

namespace pmo::kube {
namespace {

class CpprestWatchStream : public WatchStream {
 public:
  CpprestWatchStream(HttpClient::Impl& impl, const HttpRequest& req, int timeoutSeconds)
      : timeout_(std::chrono::seconds(std::max(timeoutSeconds, 0) + kGraceSeconds)),
        client_(web::uri(impl.config.server), impl.clientConfig(timeout_)),
        resource_(req.resource) {
    // A watch has its own connection and an inactivity timeout just past the server's,
    // so a dead connection surfaces as the end of the stream.
    response_ = impl.send(client_, req, timeout_, cancel_.get_token());
    body_ = response_.body().streambuf();
  }

  ~CpprestWatchStream() override { cancel(); }

  std::optional<WatchEvent> next() override {
    while (true) {
      if (cancelled_.load()) return std::nullopt;
      if (auto line = lines_.nextLine()) return parseWatchEvent(*line);
      if (ended_) return std::nullopt;
      readSome();
    }
  }

  void cancel() override {
    if (!cancelled_.exchange(true)) cancel_.cancel();
  }

 private:
  static constexpr int kGraceSeconds = 30;

  // Blocks for at least one byte (or the end), then takes what else is already there.
  void readSome() {
    try {
      size_t available = body_.in_avail();
      if (available == 0) {
        auto c = body_.bumpc().get();
        if (c == concurrency::streams::streambuf<uint8_t>::traits::eof()) {
          ended_ = true;
          return;
        }
        char ch = static_cast<char>(c);
        lines_.feed(&ch, 1);
        available = body_.in_avail();
      }
      while (available > 0) {
        size_t n = std::min(available, buffer_.size());
        size_t got = body_.getn(reinterpret_cast<unsigned char*>(buffer_.data()), n).get();
        if (got == 0) break;
        lines_.feed(buffer_.data(), got);
        available = body_.in_avail();
      }
    } catch (const ApiError&) {
      throw;
    } catch (const std::exception& e) {
      ended_ = true;
      if (!cancelled_.load()) {
        log::debug("watch connection ended", {{"resource", resource_}, {"reason", e.what()}});
      }
    }
  }

  std::chrono::seconds timeout_;
  pplx::cancellation_token_source cancel_;
  web::http::client::http_client client_;
  std::string resource_;
  web::http::http_response response_;
  concurrency::streams::streambuf<uint8_t> body_;
  LineSplitter lines_;
  std::array<char, 16384> buffer_{};
  std::atomic<bool> cancelled_{false};
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<WatchStream> openWatch(HttpClient::Impl& impl, const HttpRequest& req, int timeoutSeconds) {
  return std::make_unique<CpprestWatchStream>(impl, req, timeoutSeconds);
}

}  // namespace pmo::kube
