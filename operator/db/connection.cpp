#include "db/connection.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace pmo::db {
namespace {

// libpq keyword/value quoting: single quotes, with \ and ' escaped.
std::string quoteValue(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

int parsePort(const std::string& text, const std::string& what) {
  try {
    size_t used = 0;
    const int port = std::stoi(text, &used);
    if (used == text.size() && port > 0 && port <= 65535) return port;
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(what + ": \"" + text + "\" is not a port number (1-65535)");
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Python's str.strip() on ASCII: space, \t, \n, \r, \v, \f.
std::string stripWhitespace(const std::string& s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  size_t begin = 0, end = s.size();
  while (begin < end && space(s[begin])) ++begin;
  while (end > begin && space(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

std::string lowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* kSslModes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};

bool validSslMode(const std::string& m) {
  for (const char* s : kSslModes)
    if (m == s) return true;
  return false;
}

}  // namespace

Secret ConnectionParams::libpqConnectionString() const {
  std::string s;
  s += "host=" + quoteValue(host);
  s += " port=" + std::to_string(port);
  if (!dbname.empty()) s += " dbname=" + quoteValue(dbname);
  if (!user.empty()) s += " user=" + quoteValue(user);
  if (!password.empty()) s += " password=" + quoteValue(password.reveal());
  s += " sslmode=" + quoteValue(sslMode);
  if (!sslRootCert.empty()) s += " sslrootcert=" + quoteValue(sslRootCert);
  if (!sslCert.empty()) s += " sslcert=" + quoteValue(sslCert);
  if (!sslKey.empty()) s += " sslkey=" + quoteValue(sslKey);
  s += " connect_timeout=" + std::to_string(connectTimeoutSeconds);
  s += " application_name=" + quoteValue(applicationName);
  return Secret(s);
}

std::string ConnectionParams::describe() const {
  return (user.empty() ? std::string() : user + "@") + host + ":" + std::to_string(port) + "/" + dbname;
}

std::optional<std::string> readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return content.str();
}

std::string secretFromFileContent(const std::string& content) { return stripWhitespace(content); }

std::optional<std::string> phaseSecret(const std::map<std::string, std::string>& env, const std::string& name,
                                       const FileReader& readFile) {
  // Phase: backend/backend/utils/secrets.py get_secret(). A set but unreadable NAME_FILE
  // falls back to NAME, as there.
  if (auto file = env.find(name + "_FILE"); file != env.end() && !file->second.empty()) {
    if (auto content = readFile(file->second)) return secretFromFileContent(*content);
  }
  if (auto it = env.find(name); it != env.end()) return it->second;
  return std::nullopt;
}

bool phaseBoolean(const std::map<std::string, std::string>& env, const std::string& name) {
  // Phase: os.getenv(NAME, "False").lower() == "true" (backend/backend/settings.py).
  auto it = env.find(name);
  return it != env.end() && lowerAscii(it->second) == "true";
}

ConnectionParams paramsFromEnv(const std::map<std::string, std::string>& env, const FileReader& readFile) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  ConnectionParams p;
  const char* required[] = {"DATABASE_HOST", "DATABASE_NAME", "DATABASE_USER"};
  for (const char* name : required) {
    if (!get(name)) {
      throw std::invalid_argument(std::string(name) +
                                  " is not set: set DATABASE_HOST, DATABASE_PORT, DATABASE_NAME, DATABASE_USER "
                                  "and DATABASE_PASSWORD or DATABASE_PASSWORD_FILE (as Phase does), or pass "
                                  "--database-url");
    }
  }
  p.host = *get("DATABASE_HOST");
  p.dbname = *get("DATABASE_NAME");
  p.user = *get("DATABASE_USER");
  if (auto* port = get("DATABASE_PORT")) p.port = parsePort(*port, "DATABASE_PORT");
  if (auto pw = phaseSecret(env, "DATABASE_PASSWORD", readFile)) p.password = Secret(*pw);
  if (phaseBoolean(env, "DATABASE_SSL")) {
    // Phase's OPTIONS: {"sslmode": "verify-full", "sslrootcert": CA} or {"sslmode": "require"}.
    if (auto* ca = get("DATABASE_SSL_CA_PATH")) {
      p.sslMode = "verify-full";
      p.sslRootCert = *ca;
    } else {
      p.sslMode = "require";
    }
  } else if (auto* mode = get("PGSSLMODE")) {
    // Phase passes no sslmode then, so libpq's own variable decides.
    if (!validSslMode(*mode)) throw std::invalid_argument("PGSSLMODE: \"" + *mode + "\" is not an sslmode");
    p.sslMode = *mode;
  }
  return p;
}

std::map<std::string, std::string> processEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

ConnectionParams paramsFromProcessEnv() { return paramsFromEnv(processEnvironment()); }

ConnectionParams paramsFromUrl(const std::string& url) {
  const std::string bad = "--database-url: expected postgres://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=MODE]";
  std::string rest;
  for (const char* scheme : {"postgres://", "postgresql://"}) {
    if (url.rfind(scheme, 0) == 0) rest = url.substr(std::string(scheme).size());
  }
  if (rest.empty()) throw std::invalid_argument(bad);
  ConnectionParams p;
  std::string query;
  if (auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string hostPart = rest;
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    const std::string userinfo = rest.substr(0, at);
    hostPart = rest.substr(at + 1);
    if (auto colon = userinfo.find(':'); colon != std::string::npos) {
      p.user = percentDecode(userinfo.substr(0, colon));
      p.password = Secret(percentDecode(userinfo.substr(colon + 1)));
    } else {
      p.user = percentDecode(userinfo);
    }
  }
  const auto slash = hostPart.find('/');
  if (slash == std::string::npos) throw std::invalid_argument(bad + " (the database name is missing)");
  p.dbname = percentDecode(hostPart.substr(slash + 1));
  std::string hostPort = hostPart.substr(0, slash);
  if (!hostPort.empty() && hostPort.front() == '[') {  // [::1]:5432
    const auto close = hostPort.find(']');
    if (close == std::string::npos) throw std::invalid_argument(bad);
    p.host = hostPort.substr(1, close - 1);
    if (close + 1 < hostPort.size() && hostPort[close + 1] == ':')
      p.port = parsePort(hostPort.substr(close + 2), "--database-url port");
  } else if (auto colon = hostPort.rfind(':'); colon != std::string::npos) {
    p.host = percentDecode(hostPort.substr(0, colon));
    p.port = parsePort(hostPort.substr(colon + 1), "--database-url port");
  } else if (!hostPort.empty()) {
    p.host = percentDecode(hostPort);
  }
  if (p.dbname.empty()) throw std::invalid_argument(bad + " (the database name is missing)");
  size_t pos = 0;
  while (pos < query.size()) {
    auto amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string kv = query.substr(pos, amp - pos);
    pos = amp + 1;
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = kv.substr(0, eq), v = percentDecode(kv.substr(eq + 1));
    if (k == "sslmode") {
      if (!validSslMode(v)) throw std::invalid_argument("--database-url: sslmode \"" + v + "\" is not one of disable, allow, prefer, require, verify-ca, verify-full");
      p.sslMode = v;
    } else if (k == "connect_timeout") {
      p.connectTimeoutSeconds = parsePort(v, "--database-url connect_timeout");
    }
  }
  return p;
}

}  // namespace pmo::db
