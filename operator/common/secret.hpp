#pragma once
// A value that must never reach a log line, an Event, a status field or an error
// message: database passwords, bearer tokens, private keys.
//
// Guarantees: no implicit conversion to std::string; streaming it prints a fixed
// redaction marker; the only way to the bytes is the explicitly named reveal().
#include <ostream>
#include <string>
#include <utility>

namespace pmo {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // The one, greppable way to the bytes. Call it only where the value is handed to
  // the library that needs it (libpq, the Authorization header, the TLS context).
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend bool operator==(const Secret& a, const Secret& b) { return a.value_ == b.value_; }
  friend bool operator!=(const Secret& a, const Secret& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Secret& s) {
    return os << (s.value_.empty() ? "<empty>" : "<redacted>");
  }

 private:
  std::string value_;
};

}  // namespace pmo
