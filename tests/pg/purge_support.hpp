#pragma once
// Helpers of the purge PostgreSQL tests: the expected end state of a purge, and running
// the real binary as a process (bounded in time).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/pg_fixture.hpp"

extern char** environ;

// In their own namespace: tests/support/process.hpp has another pmo::testing::Process, and
// two inline classes of one name in one test binary break it (ODR).
namespace pmo::testing::purge_cli {

struct ProcessResult {
  int exitCode = -1;
  std::string out, err;
};

class Process {
 public:
  // Starts PMO_OPERATOR_BINARY with `args`; `env` entries are added to the environment.
  explicit Process(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    movePasswordToEnv(args, env);  // the binary refuses a password in argv
    static int counter = 0;
    const std::string base = "/tmp/pmo-purge-proc-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    outPath_ = base + ".out";
    errPath_ = base + ".err";
    std::vector<std::string> argv{PMO_OPERATOR_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
      const std::string kv = *e;
      if (kv.rfind("DATABASE_", 0) == 0 || kv.rfind("PMO_TERMINATION_LOG=", 0) == 0) continue;
      envs.push_back(kv);
    }
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<char*> av, ev;
    for (auto& a : argv) av.push_back(a.data());
    av.push_back(nullptr);
    for (auto& e : envs) ev.push_back(e.data());
    ev.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, errPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (posix_spawn(&pid_, av[0], &fa, nullptr, av.data(), ev.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::remove(outPath_.c_str());
    std::remove(errPath_.c_str());
  }
  pid_t pid() const { return pid_; }
  void kill9() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
  }
  // Waits at most `limit`; a process still running then is killed and the test fails.
  ProcessResult wait(std::chrono::seconds limit = std::chrono::seconds(60)) {
    ProcessResult r;
    const auto until = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (pid_ > 0) {
      const pid_t w = ::waitpid(pid_, &status, WNOHANG);
      if (w == pid_) {
        pid_ = -1;
        r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > until) {
        ADD_FAILURE() << "process did not finish within " << limit.count() << " s";
        kill9();
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    r.out = slurp(outPath_);
    r.err = slurp(errPath_);
    return r;
  }

 private:
  static std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  pid_t pid_ = -1;
  std::string outPath_, errPath_;
};

inline ProcessResult runOperator(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {},
                                 std::chrono::seconds limit = std::chrono::seconds(60)) {
  Process p(args, env);
  return p.wait(limit);
}

}  // namespace pmo::testing::purge_cli
