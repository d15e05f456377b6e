#include "support/pg_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "db/session.hpp"
#include "support/process.hpp"

namespace pmo::testing {
namespace {

std::string percentEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::string uniqueName(const std::string& label) {
  static std::atomic<int> counter{0};
  std::string clean;
  for (char c : label) {
    if (std::isalnum(static_cast<unsigned char>(c))) clean.push_back(static_cast<char>(std::tolower(c)));
    else clean.push_back('_');
    if (clean.size() >= 30) break;
  }
  return "pmo_" + clean + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

void adminExec(const std::string& sql) {
  auto conn = db::connect(adminParams());
  pqxx::nontransaction tx(*conn);  // CREATE/DROP DATABASE cannot run in a transaction block
  tx.exec(sql);
}

std::string readFileOrThrow(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

db::ConnectionParams adminParams() {
  const char* url = std::getenv("PMO_TEST_DATABASE_URL");
  if (!url || !*url) {
    throw std::runtime_error(
        "PMO_TEST_DATABASE_URL is not set: PostgreSQL tests need a server. Start one with "
        "`source scripts/pg.sh && pg_start /tmp/pmo-pg` (or run scripts/test.sh, which does it)");
  }
  try {
    return db::paramsFromUrl(url);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("PMO_TEST_DATABASE_URL: ") + e.what());
  }
}

std::string phaseSchemaPath() { return std::string(PMO_SOURCE_DIR) + "/tests/fixtures/phase_schema.sql"; }

void movePasswordToEnv(std::vector<std::string>& args, std::map<std::string, std::string>& env) {
  const std::string flag = "--database-url";
  auto strip = [&](const std::string& url) {
    db::ConnectionParams p = db::paramsFromUrl(url);
    if (p.password.empty()) return url;
    env["DATABASE_PASSWORD"] = p.password.reveal();
    p.password = Secret();
    return databaseUrl(p).reveal();
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag && i + 1 < args.size()) {
      args[i + 1] = strip(args[i + 1]);
      ++i;
    } else if (args[i].rfind(flag + "=", 0) == 0) {
      args[i] = flag + "=" + strip(args[i].substr(flag.size() + 1));
    }
  }
}

RunResult runCli(std::vector<std::string> argv, std::map<std::string, std::string> env,
                 std::chrono::milliseconds timeout) {
  movePasswordToEnv(argv, env);
  return run(argv, env, timeout);
}

Secret databaseUrl(const db::ConnectionParams& p) {
  std::string url = "postgres://" + percentEncode(p.user);
  if (!p.password.empty()) url += ":" + percentEncode(p.password.reveal());
  url += "@" + p.host + ":" + std::to_string(p.port) + "/" + percentEncode(p.dbname) + "?sslmode=" + p.sslMode;
  return Secret(url);
}

ScratchDatabase::ScratchDatabase(const std::string& label, Contents contents)
    : name_(uniqueName(label)), params_(adminParams()) {
  params_.dbname = name_;
  create("template0");
  if (contents == Contents::PhaseSchema) {
    try {
      exec(readFileOrThrow(phaseSchemaPath()));
    } catch (...) {
      dropDatabase(name_);
      throw;
    }
  }
}

ScratchDatabase::ScratchDatabase(FromTemplate, const std::string& templateDb, const std::string& label)
    : name_(uniqueName(label)), params_(adminParams()) {
  params_.dbname = name_;
  create(templateDb);
}

std::unique_ptr<ScratchDatabase> ScratchDatabase::copyOf(const std::string& templateDb, const std::string& label) {
  return std::unique_ptr<ScratchDatabase>(new ScratchDatabase(FromTemplate{}, templateDb, label));
}

void ScratchDatabase::create(const std::string& templateDb) {
  // Names are generated here from [a-z0-9_], and templateDb is quoted.
  // FILE_COPY: copies the files instead of WAL-logging every block of a big template.
  adminExec("CREATE DATABASE " + name_ + " TEMPLATE \"" + templateDb + "\"" +
            (templateDb == "template0" ? "" : " STRATEGY = FILE_COPY"));
}

ScratchDatabase::~ScratchDatabase() {
  if (keep_) return;
  try {
    dropDatabase(name_);
  } catch (...) {
    // A database left behind is harmless on a throwaway server; never throw here.
  }
}

std::unique_ptr<pqxx::connection> ScratchDatabase::connect() const { return db::connect(params_); }

void ScratchDatabase::exec(const std::string& sql) const {
  auto conn = connect();
  pqxx::work tx(*conn);
  tx.exec(sql);
  tx.commit();
}

long long ScratchDatabase::scalar(const std::string& sql) const {
  auto conn = connect();
  pqxx::nontransaction tx(*conn);
  const pqxx::result r = tx.exec(sql);
  if (r.empty() || r[0].empty() || r[0][0].is_null()) return 0;
  return r[0][0].as<long long>();
}

void dropDatabase(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  adminExec("DROP DATABASE IF EXISTS " + quoted + "\" WITH (FORCE)");
}

}  // namespace pmo::testing
