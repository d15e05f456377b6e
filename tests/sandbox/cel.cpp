#include "sandbox/cel.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <set>

namespace pmo::sandbox {

namespace {

std::string setting(const char* env, const char* builtIn) {
  const char* v = std::getenv(env);
  return v && *v ? v : builtIn;
}

ApiError unavailable(const std::string& why) {
  return ApiError(501, "NotImplemented",
                  "sandbox: x-kubernetes-validations need the CEL evaluator (tests/tools/cel_server.cjs with the "
                  "tools scripts/tools.sh installs): " + why);
}

// One child process, one request at a time; restarted when it died.
class Evaluator {
 public:
  std::vector<FieldCause> validate(const std::string& key, const nlohmann::json& schema, const nlohmann::json& object,
                                   const nlohmann::json* old) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pid_ < 0) start();
    if (!registered_.count(key)) {
      call({{"op", "schema"}, {"key", key}, {"schema", schema}});
      registered_.insert(key);
    }
    return causesOf(call({{"op", "validate"}, {"key", key}, {"object", object},
                          {"oldObject", old ? *old : nlohmann::json(nullptr)}}));
  }

  std::vector<FieldCause> compile(const nlohmann::json& schema, const std::string& path) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pid_ < 0) start();
    return causesOf(call({{"op", "compile"}, {"schema", schema}, {"path", path}}));
  }

 private:
  static std::vector<FieldCause> causesOf(const nlohmann::json& reply) {
    std::vector<FieldCause> causes;
    for (const auto& c : reply.value("causes", nlohmann::json::array()))
      causes.push_back({c.value("reason", ""), c.value("field", ""), c.value("message", "")});
    return causes;
  }

  void start() {
    signal(SIGPIPE, SIG_IGN);  // a dead evaluator is an error reply, not the end of the server
    const std::string script = setting("PMO_CEL_SERVER", PMO_CEL_SERVER);
    const std::string modules = setting("PMO_NODE_MODULES", PMO_CEL_NODE_MODULES);
    if (access(script.c_str(), R_OK) != 0) throw unavailable(script + " is missing");
    if (access((modules + "/@bufbuild/cel").c_str(), R_OK) != 0) throw unavailable(modules + "/@bufbuild/cel is missing");
    int toChild[2], fromChild[2];
    if (pipe(toChild) != 0 || pipe(fromChild) != 0) throw unavailable("pipe failed");
    pid_t pid = fork();
    if (pid < 0) throw unavailable("fork failed");
    if (pid == 0) {
      dup2(toChild[0], 0);
      dup2(fromChild[1], 1);
      for (int fd : {toChild[0], toChild[1], fromChild[0], fromChild[1]}) close(fd);
      setenv("NODE_PATH", modules.c_str(), 1);
      execlp("node", "node", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(toChild[0]);
    close(fromChild[1]);
    pid_ = pid;
    in_ = toChild[1];
    out_ = fromChild[0];
    registered_.clear();
    buffer_.clear();
  }

  void stop() {
    if (pid_ < 0) return;
    close(in_);
    close(out_);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  nlohmann::json call(nlohmann::json request) {
    request["id"] = ++nextId_;
    const std::string line = request.dump() + "\n";
    for (size_t sent = 0; sent < line.size();) {
      ssize_t n = write(in_, line.data() + sent, line.size() - sent);
      if (n <= 0) fail("the evaluator exited");
      sent += static_cast<size_t>(n);
    }
    for (;;) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        nlohmann::json reply = nlohmann::json::parse(buffer_.substr(0, nl), nullptr, false);
        buffer_.erase(0, nl + 1);
        if (reply.is_discarded() || reply.value("id", 0L) != nextId_) fail("the evaluator answered out of turn");
        if (reply.contains("error")) throw ApiError(500, "InternalError", "sandbox: CEL evaluator: " + reply["error"].get<std::string>());
        return reply;
      }
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 10000) <= 0) fail("the evaluator did not answer within 10 s");
      char chunk[65536];
      ssize_t n = read(out_, chunk, sizeof chunk);
      if (n <= 0) fail("the evaluator exited (is node on PATH?)");
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  [[noreturn]] void fail(const std::string& why) {
    stop();
    throw unavailable(why);
  }

  std::mutex mutex_;
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  long nextId_ = 0;
  std::string buffer_;
  std::set<std::string> registered_;
};

Evaluator& evaluator() {
  static Evaluator e;
  return e;
}

}  // namespace

bool hasCelRules(const nlohmann::json& schema) {
  if (!schema.is_object()) return false;
  if (schema.contains("x-kubernetes-validations")) return true;
  if (schema.contains("properties") && schema["properties"].is_object())
    for (const auto& child : schema["properties"])
      if (hasCelRules(child)) return true;
  for (const char* k : {"items", "additionalProperties"})
    if (schema.contains(k) && hasCelRules(schema[k])) return true;
  return false;
}

std::vector<FieldCause> celCompileErrors(const nlohmann::json& schema, const std::string& path) {
  return evaluator().compile(schema, path);
}

std::vector<FieldCause> celErrors(const std::string& key, const nlohmann::json& schema, const nlohmann::json& object,
                                  const nlohmann::json* old) {
  return evaluator().validate(key, schema, object, old);
}

}  // namespace pmo::sandbox
