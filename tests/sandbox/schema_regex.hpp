#pragma once
// `pattern` as kube-apiserver evaluates it: Go's regexp (RE2 syntax, UTF-8, Perl flags),
// and regexp.MatchString, an unanchored search (kube-openapi validate.Pattern). RE2 is
// the C++ original of Go's engine; Go-only syntax ((?<name>...) since Go 1.22) is the one
// known difference. Compiled patterns are cached for the life of the process.
#include <string>

namespace pmo::sandbox::regex {

// The outcome of `value` against `pattern`. A pattern that does not compile is never
// treated as a match: `error` then carries Go's "error parsing regexp: ..." text.
struct Match {
  bool matched = false;
  std::string error;  // non-empty: the pattern is invalid
};
Match search(const std::string& pattern, const std::string& value);

}  // namespace pmo::sandbox::regex
