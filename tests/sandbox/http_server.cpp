#include "sandbox/http_server.hpp"

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/log.hpp"

namespace pmo::sandbox {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string urlDecode(const std::string& s, bool plusIsSpace) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+' && plusIsSpace) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

namespace {

HttpRequest toRequest(const http::request<http::string_body>& r) {
  HttpRequest out;
  out.method = std::string(r.method_string());
  std::string target(r.target());
  size_t q = target.find('?');
  out.path = urlDecode(target.substr(0, q), false);
  if (q != std::string::npos) {
    std::string query = target.substr(q + 1);
    size_t start = 0;
    while (start <= query.size()) {
      size_t amp = query.find('&', start);
      std::string pair = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      if (!pair.empty()) {
        size_t eq = pair.find('=');
        out.query[urlDecode(pair.substr(0, eq), true)] =
            eq == std::string::npos ? "" : urlDecode(pair.substr(eq + 1), true);
      }
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }
  for (const auto& f : r) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = r.body();
  return out;
}

template <class Stream>
class ChunkedStream : public ResponseStream {
 public:
  ChunkedStream(Stream& s, unsigned version) : s_(s), version_(version) {}
  bool begin(int status, const std::string& contentType) override {
    http::response<http::empty_body> res{static_cast<http::status>(status), version_};
    res.set(http::field::content_type, contentType);
    res.set(http::field::cache_control, "no-cache, private");
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    http::write_header(s_, sr, ec);
    started_ = !ec;
    return ok_ = started_;
  }
  bool chunk(const std::string& data) override {
    if (!ok_) return false;
    beast::error_code ec;
    asio::write(s_, http::make_chunk(asio::buffer(data)), ec);
    return ok_ = !ec;
  }
  void end() override {
    if (!ok_) return;
    beast::error_code ec;
    asio::write(s_, http::make_chunk_last(), ec);
    ok_ = false;
  }
  bool started() const { return started_; }

 private:
  Stream& s_;
  unsigned version_;
  bool ok_ = false;
  bool started_ = false;
};

}  // namespace

struct HttpServer::Impl {
  std::string host;
  int requestedPort;
  std::optional<TlsMaterial> tlsMaterial;
  HttpHandler handler;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<asio::ssl::context> ssl;
  std::thread acceptThread;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable idle;
  std::set<int> fds;  // open connections, shut down by stop()
  int active = 0;

  void acceptLoop() {
    while (!stopping) {
      tcp::socket socket(ioc);
      beast::error_code ec;
      acceptor.accept(socket, ec);
      if (ec) {
        if (stopping) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      // Like Go's net/http (the real API server): no Nagle. Beast writes a response's
      // header and body as separate sends, which Nagle would hold for the peer's
      // delayed ACK (40 ms on Linux).
      socket.set_option(tcp::no_delay(true), ec);
      std::lock_guard<std::mutex> lock(mutex);
      int fd = socket.native_handle();
      fds.insert(fd);
      ++active;
      std::thread([this, fd, s = std::move(socket)]() mutable {
        try {
          if (ssl) {
            asio::ssl::stream<tcp::socket> stream(std::move(s), *ssl);
            beast::error_code hec;
            stream.handshake(asio::ssl::stream_base::server, hec);
            if (!hec) serve(stream);
          } else {
            serve(s);
          }
        } catch (const std::exception& e) {
          pmo::log::debug("sandbox connection ended", {{"error", e.what()}});
        }
        std::lock_guard<std::mutex> lock(mutex);
        fds.erase(fd);
        if (--active == 0) idle.notify_all();
      }).detach();
    }
  }

  template <class Stream>
  void serve(Stream& stream) {
    beast::flat_buffer buffer;
    while (!stopping) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 * 1024 * 1024);
      parser.header_limit(64 * 1024);
      beast::error_code ec;
      http::read(stream, buffer, parser, ec);
      if (ec) return;
      auto req = parser.release();
      HttpRequest request = toRequest(req);
      ChunkedStream<Stream> chunked(stream, req.version());
      std::optional<HttpResponse> response;
      try {
        response = handler(request, chunked);
      } catch (const std::exception& e) {
        response = HttpResponse{500, "text/plain", std::string("internal error: ") + e.what(), {}};
      }
      if (!response) return;  // streamed: the connection ends with the stream
      http::response<http::string_body> res{static_cast<http::status>(response->status), req.version()};
      res.set(http::field::content_type, response->contentType);
      for (const auto& [k, v] : response->headers) res.insert(k, v);  // several Warning headers
      res.keep_alive(req.keep_alive());
      res.body() = std::move(response->body);
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || !res.keep_alive()) return;
    }
  }
};

HttpServer::HttpServer(std::string host, int port, std::optional<TlsMaterial> tls, HttpHandler handler)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->requestedPort = port;
  impl_->tlsMaterial = std::move(tls);
  impl_->handler = std::move(handler);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  if (impl_->tlsMaterial) {
    impl_->ssl = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    impl_->ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1);
    const auto& m = *impl_->tlsMaterial;
    impl_->ssl->use_certificate_chain(asio::buffer(m.certPem));
    impl_->ssl->use_private_key(asio::buffer(m.keyPem), asio::ssl::context::pem);
  }
  tcp::endpoint ep(asio::ip::make_address(impl_->host), static_cast<unsigned short>(impl_->requestedPort));
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->acceptThread = std::thread([this] { impl_->acceptLoop(); });
}

void HttpServer::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  if (impl_->acceptor.is_open()) ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  if (impl_->acceptThread.joinable()) impl_->acceptThread.join();
  beast::error_code ec;
  impl_->acceptor.close(ec);
  std::unique_lock<std::mutex> lock(impl_->mutex);
  for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
  impl_->idle.wait_for(lock, std::chrono::seconds(10), [this] { return impl_->active == 0; });
}

}  // namespace pmo::sandbox
