// Watch event framing and decoding (watch_events.hpp).
#include "kube/watch_events.hpp"

#include "kube/request.hpp"

namespace pmo::kube {

void LineSplitter::feed(const char* data, size_t size) {
  if (start_ > 0 && start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  buffer_.append(data, size);
  if (pending() > max_ && buffer_.find('\n', start_) == std::string::npos) {
    throw ApiError(ErrorReason::Unknown, 0,
                   "a watch event exceeded " + std::to_string(max_) + " bytes without a line break");
  }
}

std::optional<std::string> LineSplitter::nextLine() {
  while (true) {
    size_t nl = buffer_.find('\n', start_);
    if (nl == std::string::npos) {
      if (start_ > 0) {  // compact so the buffer holds only the partial line
        buffer_.erase(0, start_);
        start_ = 0;
      }
      return std::nullopt;
    }
    std::string line = buffer_.substr(start_, nl - start_);
    start_ = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) return line;
  }
}

WatchEvent parseWatchEvent(const std::string& line) {
  Json event = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!event.is_object() || !event.contains("type") || !event["type"].is_string()) {
    throw ApiError(ErrorReason::Unknown, 0,
                   "the watch stream carried something that is not a watch event: " + line.substr(0, 200));
  }
  const std::string type = event["type"].get<std::string>();
  Json object = event.contains("object") ? event["object"] : Json::object();
  if (type == "ADDED") return {WatchEventType::Added, std::move(object)};
  if (type == "MODIFIED") return {WatchEventType::Modified, std::move(object)};
  if (type == "DELETED") return {WatchEventType::Deleted, std::move(object)};
  if (type == "BOOKMARK") return {WatchEventType::Bookmark, std::move(object)};
  if (type == "ERROR") throw errorFromStatus(object, 0);
  throw ApiError(ErrorReason::Unknown, 0, "unknown watch event type \"" + type + "\"");
}

}  // namespace pmo::kube
