#pragma once
// The constants the CRD schema (crds/maintenance.phase.dev_phasemaintenances.yaml) and the
// operator's own validation share: patterns, length and value bounds, enum values. Keeping
// them here, and checking in tests/unit/crd_test.cpp that the CRD carries the same strings,
// is what keeps admission and validateSpec() in step.
//
// Patterns are the CRD's, in RE2 syntax (what the API server runs): plain groups, no
// lookaround, no named classes. matches() evaluates them with std::regex after giving
// \s, \S and '.' their RE2 meaning, so both sides accept the same strings (checked against
// RE2 in tests/sandbox/spec_patterns_sbtest.cpp). Where a field's empty string means
// "unset", the pattern admits "" so the API server and validateSpec() agree. Lengths are
// counted as Kubernetes counts maxLength: in characters, not bytes.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pmo::maintenance::schema {

// DNS-1123 subdomain (Deployment, Secret, PVC names) and label (container names).
inline constexpr const char* kDnsSubdomain =
    "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
inline constexpr std::size_t kDnsSubdomainMax = 253;
inline constexpr const char* kDnsLabel = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
inline constexpr std::size_t kDnsLabelMax = 63;
// A key of a Secret's data.
inline constexpr const char* kSecretKey = "^[-._a-zA-Z0-9]+$";
inline constexpr std::size_t kSecretKeyMax = 253;

// An image repository without tag (the tag is the version), and a full image reference.
#define PMO_IMAGE_REPOSITORY                                                             \
  "([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*" \
  "(:[0-9]+)?/)?[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*"
inline constexpr const char* kImageRepository = "^" PMO_IMAGE_REPOSITORY "$";
inline constexpr const char* kImageReference =
    "^" PMO_IMAGE_REPOSITORY "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$";
inline constexpr const char* kOptionalImageReference =
    "^(|" PMO_IMAGE_REPOSITORY "(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?)$";
#undef PMO_IMAGE_REPOSITORY
inline constexpr std::size_t kImageMax = 512;

// A Postgres host: DNS name, IPv4 or IPv6 literal.
inline constexpr const char* kHost = "^[A-Za-z0-9:]([A-Za-z0-9._:-]*[A-Za-z0-9])?$";
inline constexpr std::size_t kHostMax = 253;
inline constexpr std::size_t kPostgresIdentifierMax = 63;  // NAMEDATALEN - 1

// A Phase organisation name (api_organisation.name varchar(64)): not blank, no leading or
// trailing whitespace (an exact-name match would otherwise silently find nothing).
inline constexpr const char* kOrganisation = "^\\S(.*\\S)?$";
inline constexpr std::size_t kOrganisationMax = 64;
inline constexpr const char* kAppId = "^[A-Za-z0-9_-]*$";
inline constexpr std::size_t kAppIdMax = 64;

// A recovery request id: empty (no request) or a short token.
inline constexpr const char* kRequestId = "^(|[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)$";
inline constexpr std::size_t kRequestIdMax = 63;

// A Go duration as CEL's duration() and time.ParseDuration accept it, without sign.
inline constexpr const char* kDuration = "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$";
inline constexpr const char* kOptionalDuration = "^(|([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+)$";
inline constexpr std::size_t kDurationMax = 32;

// An IANA time zone name ("Europe/Berlin", "UTC", "America/Argentina/Buenos_Aires").
inline constexpr const char* kTimeZone = "^(|[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*)$";
inline constexpr std::size_t kTimeZoneMax = 64;

// A Kubernetes resource.Quantity, as Kubernetes' own CRDs spell it.
inline constexpr const char* kQuantity =
    "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+"
    "(\\.[0-9]*)?)|(\\.[0-9]+))))?$";
inline constexpr const char* kResourceName = "^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$";
inline constexpr std::size_t kMaxResourceEntries = 8;

// Value bounds.
inline constexpr long long kPortMin = 1, kPortMax = 65535;
inline constexpr long long kKeepMin = 1, kKeepMax = 100;
inline constexpr long long kBackoffLimitMin = 0, kBackoffLimitMax = 100;
inline constexpr long long kActiveDeadlineMin = 1, kActiveDeadlineMax = 7 * 24 * 3600;
inline constexpr long long kRetainDaysMin = 0, kRetainDaysMax = 36500;
inline constexpr long long kStartingDeadlineMin = 10, kStartingDeadlineMax = 86400;
inline constexpr long long kJobsHistoryMin = 0, kJobsHistoryMax = 100;
inline constexpr long long kMinDeadTuplesMin = 0;
inline constexpr std::size_t kMaxPurgeRules = 20;
inline constexpr std::size_t kMaxOrganisations = 100;

inline constexpr std::array<const char*, 6> kSslModes = {"disable", "allow", "prefer",
                                                         "require", "verify-ca", "verify-full"};
inline constexpr std::array<const char*, 2> kGates = {"HoldRollout", "ScaleDown"};
inline constexpr std::array<const char*, 3> kVacuumMethods = {"Plain", "Full", "Repack"};

// status.phase values the CRD admits (an enum: a status write with any other is refused).
inline constexpr std::array<const char*, 10> kStatusPhases = {
    "Pending", "BackingUp", "Migrating", "RollingOut", "Ready",
    "Failed",  "Blocked",   "Suspended", "Invalid",    "Deleting"};

// The messages of the CRD's CEL rules (x-kubernetes-validations). validateSpec() reports
// each with the same text; crd_test.cpp holds, per message, an object that must be refused.
inline constexpr const char* kRuleDistinctWorkloads =
    "backend and worker must name different Deployments";
inline constexpr const char* kRuleBackupNeedsClaim =
    "persistentVolumeClaim is required when enabled is true";
inline constexpr const char* kRuleUniquePurgeRules =
    "purge rules must be unique by (organisation, appId)";
inline constexpr const char* kRuleLockTimeoutPositive = "lockTimeout must be a positive duration";
inline constexpr const char* kRuleVacuumMethodMatchesFull = "full: true contradicts method Plain";
inline constexpr const char* kRuleRestoreAfterPositive =
    "restoreAfter must be a positive duration such as 30m or 2h";
inline constexpr const char* kRuleSsoNeedsOrganisations =
    "organisations must name at least one organisation when requestId is set";
inline constexpr const char* kRuleCaOneSource = "ca needs exactly one of secretKeyRef and configMapKeyRef";
inline constexpr const char* kRuleCaNeedsVerify =
    "sslMode must be verify-ca or verify-full (or unset) when tls.ca is given";

// Parses a Go duration ("90s", "1h30m", "1.5h", "250ms") as CEL's duration() does, without
// a sign. nullopt when it does not match kDuration or overflows 64-bit nanoseconds.
std::optional<std::chrono::nanoseconds> parseDuration(const std::string& text);

// Full-string match of `pattern` (one of the constants above) with RE2's meaning of \s, \S
// and '.'; compiled once per pattern. Callers bound the length first (std::regex
// recursion grows with the input).
bool matches(const char* pattern, const std::string& value);

// The length Kubernetes compares with maxLength and minLength: UTF-8 characters (runes).
std::size_t characterCount(const std::string& value);

// Why kube-apiserver would refuse `name` as a CronJob's spec.timeZone, or "" when it
// accepts it: the name rules of pkg/apis/batch/validation validateTimeZone ("Local" is
// refused), then Go's time.LoadLocation, which needs the zone in the tz database. Reads
// the tz database where Go looks for it ($ZONEINFO, /usr/share/zoneinfo, ...); empty
// `name` is accepted (the operator then sets no timeZone).
std::string timeZoneProblem(const std::string& name);
// The same against the given tz database directories, tried in order.
std::string timeZoneProblem(const std::string& name, const std::vector<std::string>& zoneinfoDirs);

}  // namespace pmo::maintenance::schema
