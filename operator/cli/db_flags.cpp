#include "cli/db_flags.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <sys/stat.h>

namespace pmo::cli {

namespace {

const char* kPasswordInUrl =
    "--database-url carries a password, and any process on this machine can read a command line "
    "(/proc/PID/cmdline, ps). Leave the password out of the URL (postgres://USER@HOST:PORT/DBNAME) and "
    "put it in DATABASE_PASSWORD, or in a file named by DATABASE_PASSWORD_FILE or --database-password-file; "
    "or pass --allow-password-in-url if you accept the exposure";

}  // namespace

void addDatabaseFlags(args::Spec& spec) {
  spec.flag({"database-url", "URL",
             "postgres://USER@HOST:PORT/DBNAME[?sslmode=MODE], no password (see --allow-password-in-url). Default: "
             "Phase's variables DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER, DATABASE_PASSWORD_FILE "
             "or DATABASE_PASSWORD, DATABASE_SSL, DATABASE_SSL_CA_PATH",
             false, ""});
  spec.flag({"database-password-file", "FILE",
             "read the password from FILE (surrounding whitespace stripped). Default: DATABASE_PASSWORD_FILE, "
             "else DATABASE_PASSWORD",
             false, ""});
  spec.flag({"allow-password-in-url", "",
             "accept a password inside --database-url, readable by every process on the machine", false, ""});
}

std::string databaseFlagsSynopsis() { return "[--database-url URL] [--database-password-file FILE]"; }

db::ConnectionParams databaseParams(const args::Parsed& parsed, const std::map<std::string, std::string>& env) {
  try {
    std::optional<std::string> passwordFromFile;
    if (parsed.has("database-password-file")) {
      const std::string path = parsed.get("database-password-file");
      const auto content = db::readWholeFile(path);
      if (!content) {
        throw std::invalid_argument("--database-password-file: cannot read \"" + path +
                                    "\": give a readable file holding the password");
      }
      // Stripped as Phase's get_secret strips DATABASE_PASSWORD_FILE.
      passwordFromFile = db::secretFromFileContent(*content);
    }
    if (!parsed.has("database-url")) {
      db::ConnectionParams p = db::paramsFromEnv(env);
      if (passwordFromFile) p.password = Secret(*passwordFromFile);
      return p;
    }
    if (parsed.has("allow-password-in-url") && passwordFromFile) {
      throw std::invalid_argument("--database-password-file and --allow-password-in-url: give the password one way");
    }
    db::ConnectionParams p = db::paramsFromUrl(parsed.get("database-url"));
    if (!p.password.empty() && !parsed.has("allow-password-in-url")) throw std::invalid_argument(kPasswordInUrl);
    if (p.password.empty()) {
      if (passwordFromFile) {
        p.password = Secret(*passwordFromFile);
      } else if (auto pw = db::phaseSecret(env, "DATABASE_PASSWORD")) {
        p.password = Secret(*pw);
      }
    }
    return p;
  } catch (const std::invalid_argument& e) {
    // The parsers keep the password out of their messages.
    throw args::UsageError(e.what());
  }
}

db::ConnectionParams databaseParams(const args::Parsed& parsed) { return databaseParams(parsed, db::processEnvironment()); }

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
