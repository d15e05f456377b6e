#pragma once
// A tiny synchronous HTTP(S) client for the sandbox's own tests (Beast): one request per
// connection, the CA pinned to the sandbox's, the bearer token sent. Independent of the
// operator's kube client on purpose.
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sandbox/sandbox.hpp"

namespace pmo::sandbox::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct Reply {
  int status = 0;
  std::string body;
  std::string contentType;
  std::vector<std::string> warnings;  // the values of the Warning headers, in order
  std::string retryAfter;             // the Retry-After header
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

class Connection {
 public:
  Connection(const std::string& url, const std::string& caPem, int timeoutSeconds) : ssl_(asio::ssl::context::tls_client) {
    bool tls = url.rfind("https://", 0) == 0;
    std::string rest = url.substr(tls ? 8 : 7);
    host_ = rest.substr(0, rest.rfind(':'));
    std::string port = rest.substr(rest.rfind(':') + 1);
    asio::ip::tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(host_, port);
    socket_ = std::make_unique<asio::ip::tcp::socket>(ioc_);
    asio::connect(*socket_, endpoints);
    timeval tv{timeoutSeconds, 0};
    ::setsockopt(socket_->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (tls) {
      if (!caPem.empty()) ssl_.add_certificate_authority(asio::buffer(caPem));
      ssl_.set_verify_mode(asio::ssl::verify_peer);
      tlsStream_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(*socket_, ssl_);
      SSL_set_tlsext_host_name(tlsStream_->native_handle(), host_.c_str());
      tlsStream_->set_verify_callback(asio::ssl::host_name_verification(host_));
      tlsStream_->handshake(asio::ssl::stream_base::client);
    }
  }
  template <class F>
  auto with(F f) {
    if (tlsStream_) return f(*tlsStream_);
    return f(*socket_);
  }
  const std::string& host() const { return host_; }

 private:
  asio::io_context ioc_;
  asio::ssl::context ssl_;
  std::string host_;
  std::unique_ptr<asio::ip::tcp::socket> socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tlsStream_;
};

class Client {
 public:
  static constexpr const char* kUserAgent = "sandbox-test-client";
  Client(std::string url, std::string caPem, std::string token = "sandbox-token")
      : url_(std::move(url)), ca_(std::move(caPem)), token_(std::move(token)) {}
  explicit Client(Server& s) : Client(s.url(), s.caPem()) {}

  Reply request(const std::string& method, const std::string& target, const std::string& body = "",
                const std::string& contentType = "application/json", const std::string& accept = "application/json") {
    Connection c(url_, ca_, 30);
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, c.host());
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    req.set(http::field::user_agent, kUserAgent);
    req.set(http::field::accept, accept);
    if (!body.empty()) req.set(http::field::content_type, contentType);
    req.body() = body;
    req.prepare_payload();
    return c.with([&](auto& stream) {
      http::write(stream, req);
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      http::read(stream, buf, res);
      Reply reply{static_cast<int>(res.result_int()), res.body(), std::string(res[http::field::content_type]), {},
                  std::string(res[http::field::retry_after])};
      for (const auto& f : res)
        if (beast::iequals(f.name_string(), "warning")) reply.warnings.emplace_back(f.value());
      return reply;
    });
  }
  Reply get(const std::string& t, const std::string& accept = "application/json") { return request("GET", t, "", "", accept); }
  Reply post(const std::string& t, const nlohmann::json& b) { return request("POST", t, b.dump()); }
  Reply put(const std::string& t, const nlohmann::json& b) { return request("PUT", t, b.dump()); }
  Reply del(const std::string& t, const nlohmann::json& b = nullptr) {
    return request("DELETE", t, b.is_null() ? "" : b.dump());
  }
  Reply mergePatch(const std::string& t, const nlohmann::json& b) {
    return request("PATCH", t, b.dump(), "application/merge-patch+json");
  }
  Reply jsonPatch(const std::string& t, const nlohmann::json& b) {
    return request("PATCH", t, b.dump(), "application/json-patch+json");
  }
  const std::string& url() const { return url_; }
  const std::string& ca() const { return ca_; }
  const std::string& token() const { return token_; }

 private:
  std::string url_, ca_, token_;
};

// A watch stream: events one by one; nullopt when the stream ended or nothing arrived
// within the read timeout.
class WatchStream {
 public:
  WatchStream(Client& client, const std::string& target, int readTimeoutSeconds = 10,
              const std::string& accept = "application/json")
      : conn_(client.url(), client.ca(), readTimeoutSeconds) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, conn_.host());
    req.set(http::field::accept, accept);
    req.set(http::field::authorization, "Bearer " + client.token());
    req.set(http::field::user_agent, Client::kUserAgent);
    parser_.body_limit(boost::none);
    conn_.with([&](auto& s) {
      http::write(s, req);
      http::read_header(s, buf_, parser_);
      return 0;
    });
    status = static_cast<int>(parser_.get().result_int());
  }
  std::optional<nlohmann::json> next() {
    while (true) {
      auto& body = parser_.get().body();
      size_t nl = body.find('\n', offset_);
      if (nl != std::string::npos) {
        std::string line = body.substr(offset_, nl - offset_);
        offset_ = nl + 1;
        return nlohmann::json::parse(line);
      }
      if (parser_.is_done()) return std::nullopt;
      beast::error_code ec;
      conn_.with([&](auto& s) {
        http::read_some(s, buf_, parser_, ec);
        return 0;
      });
      if (ec && ec != http::error::need_buffer) return std::nullopt;
    }
  }
  int status = 0;

 private:
  Connection conn_;
  beast::flat_buffer buf_;
  http::response_parser<http::string_body> parser_;
  size_t offset_ = 0;
};

// Polls `f` until it returns true or `timeout` passes.
template <class F>
bool eventually(F f, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

}  // namespace pmo::sandbox::testing
