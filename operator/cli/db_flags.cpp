#include "cli/db_flags.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <sys/stat.h>

namespace pmo::cli {

void addDatabaseFlags(args::Spec& spec) {
  spec.flag({"database-url", "URL",
             "postgres://USER:PASSWORD@HOST:PORT/DBNAME[?sslmode=MODE]. Default: Phase's variables "
             "DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER, DATABASE_PASSWORD, DATABASE_SSL",
             false, ""});
}

std::string databaseFlagsSynopsis() { return "[--database-url URL]"; }

db::ConnectionParams databaseParams(const args::Parsed& parsed) {
  try {
    if (parsed.has("database-url")) return db::paramsFromUrl(parsed.get("database-url"));
    return db::paramsFromProcessEnv();
  } catch (const std::invalid_argument& e) {
    // Both parsers keep the password out of their messages.
    throw args::UsageError(e.what());
  }
}

std::string terminationLogPath() {
  if (const char* env = std::getenv("PMO_TERMINATION_LOG")) return env;
  struct stat st {};
  if (::stat("/dev/termination-log", &st) == 0) return "/dev/termination-log";
  return "";
}

void writeSummary(const nlohmann::json& summary) {
  const std::string line = summary.dump();
  std::cout << line << "\n" << std::flush;
  const std::string path = terminationLogPath();
  if (path.empty()) return;
  std::ofstream out(path, std::ios::out | std::ios::trunc);
  out << line << "\n";
  out.flush();
  if (!out) std::cerr << "warning: could not write the summary to " << path << "\n";
}

}  // namespace pmo::cli
