// FakeClient's test controls: injected failures, the request log and raw paths.
#include <algorithm>

#include "support/fake_client_internal.hpp"

namespace pmo::testing {

using kube::ApiError;
using kube::ErrorReason;

std::string FakeClient::getRaw(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->enter({"getRaw", path, "", "", ""});
  auto it = state_->raw.find(path);
  if (it == state_->raw.end()) throw ApiError(ErrorReason::NotFound, 404, "the server could not find " + path);
  return it->second;
}

void FakeClient::failRequests(const std::string& verb, const std::string& plural, const ApiError& error, int times) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->failures.push_back({verb, plural, error, times});
}

void FakeClient::clearFailures() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->failures.clear();
}

void FakeClient::setRaw(const std::string& path, std::string body) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->raw[path] = std::move(body);
}

std::vector<FakeRequest> FakeClient::requests() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->requests;
}

std::size_t FakeClient::count(const std::string& verb, const std::string& plural) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return static_cast<std::size_t>(std::count_if(state_->requests.begin(), state_->requests.end(), [&](const FakeRequest& q) {
    return (verb == "*" || q.verb == verb) && (plural == "*" || q.resource == plural);
  }));
}

void FakeClient::clearRequests() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->requests.clear();
}

}  // namespace pmo::testing
