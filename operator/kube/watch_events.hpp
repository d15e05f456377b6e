#pragma once
// Pure pieces of a watch stream: splitting a chunked body into newline-delimited JSON
// lines, and turning one line into a WatchEvent. The transport feeds bytes as they
// arrive; nothing here waits for the end of the body.
#include <optional>
#include <string>

#include "kube/client.hpp"

namespace pmo::kube {

// Accumulates bytes and hands out complete lines (without the '\n'; a trailing '\r' is
// dropped; empty lines are skipped). A line longer than maxLineBytes is an error:
// one watch event is one object, so this bounds memory against a misbehaving server.
class LineSplitter {
 public:
  explicit LineSplitter(size_t maxLineBytes = 64 * 1024 * 1024) : max_(maxLineBytes) {}
  void feed(const char* data, size_t size);
  std::optional<std::string> nextLine();
  // Bytes received after the last complete line (a partial event).
  size_t pending() const { return buffer_.size() - start_; }

 private:
  std::string buffer_;
  size_t start_ = 0;
  size_t max_;
};

// Parses {"type":..., "object":...}. ERROR events carrying a Status throw the ApiError
// it describes (code 410 / reason Expired => ErrorReason::Gone, so the caller relists).
// A line that is not a watch event throws ApiError Unknown naming what was wrong.
WatchEvent parseWatchEvent(const std::string& line);

}  // namespace pmo::kube
