#pragma once
// The cluster admin's image policy (`run --allowed-images PREFIX`, chart value
// allowedImages): the images a PhaseMaintenance may make the operator run. Whoever may edit
// a PhaseMaintenance chooses the images of the migration Job (backendImage:version, with the
// backend's service account, env and secret volumes), the backup Job and the audit-log
// CronJobs; the policy keeps them to images the admin trusts.
//
// Guarantees:
//  - Pure; an empty policy allows every image (the operator's behaviour without the flag).
//  - Prefixes and images are compared as the container runtime resolves them
//    (normalizeRepository: "postgres:15" is "docker.io/library/postgres:15"), and only at
//    a boundary, so a prefix never admits a look-alike: "ghcr.io/acme/" (ends with '/': a
//    registry or namespace) admits everything below it and not "ghcr.io/acme-evil/x";
//    "docker.io/phasehq/backend" (a repository) admits any tag or digest of it and not
//    "docker.io/phasehq/backend-evil" nor "docker.io/phasehq/backend/x"; "postgres:15"
//    admits that tag (and its digests) only.
//  - checkImagePolicy reports every image of the spec the operator would run (whatever
//    else is wrong with it), one FieldError each naming the field, the image and the fix.
#include <string>
#include <vector>

#include "maintenance/spec/spec.hpp"

namespace pmo::maintenance {

struct ImagePolicy {
  std::vector<std::string> allowedPrefixes;  // as given; empty: every image

  bool allows(const std::string& image) const;
  bool empty() const { return allowedPrefixes.empty(); }
};

// Why a prefix cannot be used ("" when it can): empty, or with whitespace.
std::string invalidImagePrefix(const std::string& prefix);

// The images the spec makes the operator run, outside the policy: spec.backendImage (as
// backendImage:version in Managed mode), spec.operatorImage when set, and
// spec.migrations.backup.image when backups are enabled.
std::vector<FieldError> checkImagePolicy(const PhaseMaintenanceSpec& spec, const ImagePolicy& policy);

}  // namespace pmo::maintenance
