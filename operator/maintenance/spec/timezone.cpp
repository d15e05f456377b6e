// spec.auditLogs.timeZone as kube-apiserver judges a CronJob's spec.timeZone, so that a
// zone the API server would refuse is reported under SpecValid instead of failing every
// CronJob write. Rules from kubernetes pkg/apis/batch/validation/validation.go
// (validateTimeZone) and Go's time.LoadLocation (zoneinfo.go, zoneinfo_read.go).
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sys/stat.h>

#include "maintenance/spec/schema.hpp"

namespace pmo::maintenance::schema {

namespace {

bool equalFold(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

bool isDirectory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// A zone file as LoadLocationFromTZData needs it: a regular file starting with "TZif".
bool isZoneFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::string(magic, 4) == "TZif";
}

// Where Go's LoadLocation looks: $ZONEINFO first, then the platform's zone directories.
std::vector<std::string> goZoneinfoDirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("ZONEINFO"); env && *env) dirs.emplace_back(env);
  for (const char* d : {"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo"})
    dirs.emplace_back(d);
  return dirs;
}

}  // namespace

std::string timeZoneProblem(const std::string& name) { return timeZoneProblem(name, goZoneinfoDirs()); }

std::string timeZoneProblem(const std::string& name, const std::vector<std::string>& zoneinfoDirs) {
  if (name.empty()) return "";
  // IANA's naming rules, with digits and '+' tolerated for legacy names (Etc/GMT+5)
  static const std::regex part("^[A-Za-z.\\-_0-9+]{1,14}$");
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = name.find('/', start);
    std::string p = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (p == "." || p == ".." || (!p.empty() && p[0] == '-') || !std::regex_match(p, part))
      return "unknown time zone " + name;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (equalFold(name, "Local")) return "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones";
  if (name == "UTC") return "";  // LoadLocation answers UTC without reading the database
  bool haveDatabase = false;
  for (const auto& dir : zoneinfoDirs) {
    if (!isDirectory(dir)) continue;
    haveDatabase = true;
    if (isZoneFile(dir + "/" + name)) return "";
  }
  if (!haveDatabase)
    return "unknown time zone " + name + " (this operator's image has no tz database: /usr/share/zoneinfo is missing; "
           "install the tzdata package)";
  return "unknown time zone " + name;
}

}  // namespace pmo::maintenance::schema
