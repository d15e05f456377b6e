// Response -> ApiError mapping (request.hpp). The Status reason wins over the HTTP code
// where the two disagree in a way the API documents (409 AlreadyExists vs Conflict,
// reason Expired on a 200 watch ERROR event).
#include <cctype>
#include <string>

#include "kube/request.hpp"

namespace pmo::kube {
namespace {

std::optional<std::chrono::seconds> parseDeltaSeconds(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  size_t end = text.find_last_not_of(" \t");
  if (begin == std::string::npos) return std::nullopt;
  std::string digits = text.substr(begin, end - begin + 1);
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;  // HTTP-date: ignored
  }
  return std::chrono::seconds(std::stol(digits));
}

ErrorReason reasonFor(int code, const std::string& statusReason) {
  if (statusReason == "Expired" || statusReason == "Gone" || code == 410) return ErrorReason::Gone;
  if (code == 409 || statusReason == "AlreadyExists" || statusReason == "Conflict") {
    return statusReason == "AlreadyExists" ? ErrorReason::AlreadyExists : ErrorReason::Conflict;
  }
  if (statusReason == "NotFound") return ErrorReason::NotFound;
  if (statusReason == "Invalid") return ErrorReason::Invalid;
  if (statusReason == "Forbidden") return ErrorReason::Forbidden;
  if (statusReason == "Unauthorized") return ErrorReason::Unauthorized;
  if (statusReason == "TooManyRequests") return ErrorReason::TooManyRequests;
  if (statusReason == "Timeout" || statusReason == "ServerTimeout") return ErrorReason::Timeout;
  if (statusReason == "MethodNotAllowed") return ErrorReason::MethodNotAllowed;
  if (statusReason == "BadRequest") return ErrorReason::BadRequest;
  switch (code) {
    case 400: return ErrorReason::BadRequest;
    case 401: return ErrorReason::Unauthorized;
    case 403: return ErrorReason::Forbidden;
    case 404: return ErrorReason::NotFound;
    case 405: return ErrorReason::MethodNotAllowed;
    case 422: return ErrorReason::Invalid;
    case 429: return ErrorReason::TooManyRequests;
    case 408:
    case 504: return ErrorReason::Timeout;
    default: break;
  }
  if (code >= 500 && code <= 599) return ErrorReason::ServerError;
  return ErrorReason::Unknown;
}

std::string stringField(const Json& object, const char* key) {
  auto it = object.find(key);
  return (it != object.end() && it->is_string()) ? it->get<std::string>() : "";
}

}  // namespace

ApiError errorFromStatus(const Json& status, int fallbackCode) {
  int code = fallbackCode;
  std::string reason, message;
  std::optional<std::chrono::seconds> retryAfter;
  if (status.is_object()) {
    auto c = status.find("code");
    if (c != status.end() && c->is_number_integer()) code = c->get<int>();
    reason = stringField(status, "reason");
    message = stringField(status, "message");
    auto details = status.find("details");
    if (details != status.end() && details->is_object()) {
      auto ra = details->find("retryAfterSeconds");
      if (ra != details->end() && ra->is_number_integer() && ra->get<long>() > 0) {
        retryAfter = std::chrono::seconds(ra->get<long>());
      }
    }
  }
  if (message.empty()) {
    message = "the API server answered " + std::to_string(code) + (reason.empty() ? "" : " " + reason);
  }
  return ApiError(reasonFor(code, reason), code, message, retryAfter);
}

ApiError errorFromResponse(int httpCode, const std::string& body, const std::string& retryAfterHeader) {
  Json status = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  bool isStatus = status.is_object() && stringField(status, "kind") == "Status";
  ApiError base = isStatus ? errorFromStatus(status, httpCode) : ApiError(reasonFor(httpCode, ""), httpCode, "");
  std::string message = base.what();
  if (!isStatus) {
    constexpr size_t kMaxBody = 200;
    std::string snippet = body.substr(0, kMaxBody);
    while (!snippet.empty() && std::isspace(static_cast<unsigned char>(snippet.back()))) snippet.pop_back();
    message = "the API server answered " + std::to_string(httpCode) + (snippet.empty() ? "" : ": " + snippet) +
              (body.size() > kMaxBody ? "..." : "");
  }
  std::optional<std::chrono::seconds> retryAfter = parseDeltaSeconds(retryAfterHeader);
  if (!retryAfter) retryAfter = base.retryAfter();
  // The HTTP code is the truth for what was received; a Status may omit its own code.
  return ApiError(base.reason(), httpCode, message, retryAfter);
}

}  // namespace pmo::kube
