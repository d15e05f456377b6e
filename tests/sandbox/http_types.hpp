#pragma once
// The sandbox's view of HTTP: a parsed request, a buffered response, and a chunked stream
// for watches. Keeps Beast out of the API code.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pmo::sandbox {

struct HttpRequest {
  std::string method;  // GET POST PUT PATCH DELETE
  std::string path;    // decoded path without query
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? "" : it->second;
  }
  std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? "" : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A chunked response (watch). Each call returns false once the client is gone.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  virtual bool begin(int status, const std::string& contentType) = 0;
  virtual bool chunk(const std::string& data) = 0;
  virtual void end() = 0;
};

// Returns the response, or nullopt after streaming it through the ResponseStream.
using HttpHandler = std::function<std::optional<HttpResponse>(const HttpRequest&, ResponseStream&)>;

std::string urlDecode(const std::string& s, bool plusIsSpace);

}  // namespace pmo::sandbox
