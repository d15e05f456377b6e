#pragma once
// Phase version tags ("v2.73.2", "2.73.2", "v2.74.0-rc.1", "latest").
//
// Guarantees:
//  - parseVersion never throws; a rejected string yields an error naming the expected form.
//  - Ordering follows semantic-versioning precedence: numeric core first, a pre-release
//    sorts before its release, pre-release identifiers compare numerically when both are
//    numeric, numeric before alphanumeric, and a shorter identifier list sorts first.
//  - "latest" is a mutable tag: it is never ordered against a numbered version (the
//    planner cannot tell an upgrade from a downgrade and reports a warning instead).
//  - The accepted language is exactly kVersionPattern (the CRD's spec.version pattern,
//    minus the empty string that selects Follow mode).
#include <optional>
#include <string>
#include <vector>

namespace pmo::maintenance {

// The CRD's pattern for spec.version (crds/maintenance.phase.dev_phasemaintenances.yaml).
// The empty alternative means "no version: Follow mode".
inline constexpr const char* kVersionPattern =
    "^(|latest|v?(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})\\.(0|[1-9][0-9]{0,8})"
    "(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?)$";
inline constexpr std::size_t kVersionMaxLength = 128;  // a container image tag's limit

struct Version {
  bool latest = false;  // the mutable "latest" tag; numeric fields are then zero
  unsigned long major = 0;
  unsigned long minor = 0;
  unsigned long patch = 0;
  std::vector<std::string> preRelease;  // dot-separated identifiers after '-'
  std::string text;                     // exactly as given (the image tag to use)

  bool mutableTag() const { return latest; }
  // Canonical form with a leading 'v' ("v2.74.0-rc.1", or "latest").
  std::string canonical() const;
};

// Parses a tag. On failure returns nullopt and, when `error` is given, sets it to a message
// such as: "\"2.73\" is not a Phase version: expected vMAJOR.MINOR.PATCH with an optional
// pre-release (v2.73.2, v2.74.0-rc.1) or \"latest\"".
std::optional<Version> parseVersion(const std::string& text, std::string* error = nullptr);

// Precedence: <0 when a is older than b, 0 when equal, >0 when newer. nullopt when either
// is a mutable tag and they are not the same tag ("latest" equals "latest").
// "v2.73.2" and "2.73.2" compare equal.
std::optional<int> compareVersions(const Version& a, const Version& b);

}  // namespace pmo::maintenance
