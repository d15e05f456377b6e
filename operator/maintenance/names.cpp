#include "maintenance/names.hpp"

#include <cstdint>
#include <cstdio>
#include <ctime>

#include "common/fnv1a.hpp"

namespace pmo::maintenance {
namespace {

std::string trimDashes(std::string s) {
  while (!s.empty() && s.back() == '-') s.pop_back();
  std::size_t start = 0;
  while (start < s.size() && s[start] == '-') ++start;
  return s.substr(start);
}

// A file-name-safe version for the dump path: keeps '.', so "v2.73.2" stays readable.
std::string pathFragment(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    out += ok ? c : '_';
  }
  return out.empty() ? "unknown" : out;
}

}  // namespace

std::string dnsFragment(const std::string& text) {
  std::string out;
  for (char c : text) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const bool ok = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
    if (ok) {
      out += l;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  return trimDashes(out);
}

std::string boundedName(const std::string& full) {
  std::string name = trimDashes(full);
  if (name.size() <= kMaxNameLength) return name;
  char suffix[10];
  std::snprintf(suffix, sizeof suffix, "-%08x", fnv1a32(name));
  std::string head = trimDashes(name.substr(0, kMaxNameLength - 9));
  return head + suffix;
}

std::string migrationJobName(const std::string& pmName, const std::string& toVersion) {
  return boundedName(dnsFragment(pmName) + "-migrate-" + dnsFragment(toVersion));
}

std::string backupJobName(const std::string& pmName, const std::string& fromVersion,
                          const std::string& toVersion) {
  return boundedName(dnsFragment(pmName) + "-backup-" + dnsFragment(fromVersion) + "-to-" +
                     dnsFragment(toVersion));
}

std::string backupDumpPath(const std::string& pmName, const std::string& fromVersion,
                           const std::string& toVersion, TimePoint startedAt) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(startedAt);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
  return std::string(kBackupMountPath) + "/" + pathFragment(pmName) + "/" +
         pathFragment(fromVersion) + "-to-" + pathFragment(toVersion) + "-" + stamp + ".dump";
}

}  // namespace pmo::maintenance
