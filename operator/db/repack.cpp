#include "db/repack.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sstream>

#include "db/session.hpp"

extern char** environ;

namespace pmo::db {
namespace {

bool isExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// /usr/lib/postgresql/<major>/bin/pg_repack, newest major first (Debian's layout: the
// postgresql-NN-repack package puts the client there, not on PATH).
std::vector<std::string> debianClients() {
  std::vector<std::pair<int, std::string>> found;
  if (DIR* dir = ::opendir("/usr/lib/postgresql")) {
    while (const dirent* e = ::readdir(dir)) {
      const std::string name = e->d_name;
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      const std::string path = "/usr/lib/postgresql/" + name + "/bin/pg_repack";
      if (isExecutableFile(path)) found.emplace_back(std::stoi(name), path);
    }
    ::closedir(dir);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> paths;
  for (auto& f : found) paths.push_back(f.second);
  return paths;
}

void replaceAll(std::string& s, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
    s.replace(at, what.size(), with);
}

}  // namespace

std::vector<std::string> repackArguments(const std::string& table, std::chrono::milliseconds lockTimeout) {
  const long long seconds = std::max<long long>(1, (lockTimeout.count() + 999) / 1000);
  return {"--table=" + table,          "--no-order",         "--wait-timeout=" + std::to_string(seconds),
          "--no-kill-backend",         "--no-superuser-check", "--no-password"};
}

std::map<std::string, std::string> repackEnvironment(const ConnectionParams& params) {
  std::map<std::string, std::string> env = {
      {"PGHOST", params.host},
      {"PGPORT", std::to_string(params.port)},
      {"PGDATABASE", params.dbname},
      {"PGUSER", params.user},
      {"PGSSLMODE", params.sslMode},
      {"PGCONNECT_TIMEOUT", std::to_string(params.connectTimeoutSeconds)},
      {"PGAPPNAME", params.applicationName + " pg_repack"},
  };
  if (!params.password.reveal().empty()) env["PGPASSWORD"] = params.password.reveal();
  return env;
}

std::string findRepackClient(const std::string& requested, const std::string& path) {
  if (!requested.empty()) {
    if (isExecutableFile(requested)) return requested;
    throw DbError(ErrorKind::Permanent, "",
                  "the pg_repack client \"" + requested + "\" is not an executable file: install the pg_repack "
                  "client (Debian: postgresql-15-repack) or use method Full");
  }
  std::istringstream dirs(path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    if (isExecutableFile(dir + "/pg_repack")) return dir + "/pg_repack";
  }
  const auto debian = debianClients();
  if (!debian.empty()) return debian.front();
  throw DbError(ErrorKind::Permanent, "",
                "the pg_repack client is not installed here (not on PATH, not in /usr/lib/postgresql/*/bin): "
                "use an image that carries it (Debian: postgresql-15-repack), or use method Full");
}

ChildResult runChild(const std::string& binary, const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env, const std::string& redact,
                     const std::function<void(const std::string&)>& onLine) {
  std::vector<std::string> envStrings;
  for (char** e = environ; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq && env.count(std::string(*e, static_cast<std::size_t>(eq - *e)))) continue;  // ours replace the inherited ones
    envStrings.emplace_back(*e);
  }
  for (const auto& [k, v] : env) envStrings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : envStrings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argStrings = {binary};
  argStrings.insert(argStrings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argStrings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc));
  }

  ChildResult result;
  std::string pending;
  auto emit = [&](std::string line) {
    replaceAll(line, redact, "[redacted]");
    result.output += line + "\n";
    if (onLine) onLine(line);
  };
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<std::size_t>(n));
    for (std::size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
      emit(pending.substr(0, nl));
      pending.erase(0, nl + 1);
    }
  }
  if (!pending.empty()) emit(pending);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

}  // namespace pmo::db
