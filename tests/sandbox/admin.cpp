// Admin endpoints under /sandbox/v1/ (same port, same bearer token): the Controls over HTTP
// for tests that run the binary as a subprocess. See README.md.
#include "sandbox/api.hpp"
#include "sandbox/authn.hpp"

namespace pmo::sandbox {

namespace {

nlohmann::json body(const HttpRequest& req) {
  if (req.body.empty()) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(req.body);
  } catch (const std::exception& e) {
    throw badRequest(std::string("invalid JSON body: ") + e.what());
  }
}

std::string isoTime(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

HttpResponse ok(const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json b = {{"ok", true}};
  b.update(extra);
  return jsonResponse(200, b);
}

}  // namespace

HttpResponse serveAdmin(World& w, Controls& controls, const HttpRequest& req) {
  try {
    const std::string p = req.path.substr(std::string("/sandbox/v1/").size());
    const std::string& m = req.method;
    if (p == "requests" && m == "GET") {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& r : controls.requests()) {
        nlohmann::json item = {{"verb", r.verb}, {"group", r.group}, {"resource", r.resource}, {"namespace", r.ns},
                               {"name", r.name}, {"code", r.code}, {"at", isoTime(r.at)},
                               {"userAgent", r.userAgent}, {"user", r.user}};
        for (const auto& c : r.admissionChecks)
          item["admissionChecks"].push_back({{"verb", c.verb}, {"group", c.group}, {"resource", c.resource},
                                             {"namespace", c.ns}, {"name", c.name}, {"allowed", c.allowed}});
        items.push_back(item);
      }
      return jsonResponse(200, {{"items", items}});
    }
    if (p == "requests" && m == "DELETE") {
      controls.clearRequests();
      return ok();
    }
    if (m != "POST") throw ApiError(405, "MethodNotAllowed", "use POST");
    nlohmann::json b = body(req);
    if (p == "jobs/behaviour") {
      JobBehaviour jb;
      jb.succeed = b.value("succeed", true);
      jb.duration = std::chrono::milliseconds(b.value("durationMs", -1L));
      jb.terminationMessage = b.value("terminationMessage", "");
      jb.failureReason = b.value("failureReason", "BackoffLimitExceeded");
      jb.log = b.value("log", "");
      controls.setJobBehaviour(b.value("namePrefix", ""), jb);
      return ok();
    }
    if (p == "deployments/behaviour") {
      DeploymentBehaviour db;
      db.readyAfter = std::chrono::milliseconds(b.value("readyAfterMs", -1L));
      db.stuck = b.value("stuck", false);
      controls.setDeploymentBehaviour(b.value("namePrefix", ""), db);
      return ok();
    }
    if (p == "controllers") {
      if (b.contains("jobs")) controls.setJobController(b["jobs"].get<bool>());
      if (b.contains("deployments")) controls.setDeploymentController(b["deployments"].get<bool>());
      return ok({{"jobs", w.jobsEnabled.load()}, {"deployments", w.deploymentsEnabled.load()}});
    }
    if (p == "watches/drop") {
      controls.dropWatches();
      return ok();
    }
    if (p == "faults") {
      if (b.contains("count") && (b.contains("verb") || b.contains("resource")))
        controls.failNextRequestsTo(b.value("verb", ""), b.value("resource", ""), b.value("count", 0),
                                    b.value("code", 500), b.value("reason", "InternalError"));
      else if (b.contains("count"))
        controls.failNextRequests(b.value("count", 0), b.value("code", 500), b.value("reason", "InternalError"),
                                  b.value("retryAfterSeconds", 0));
      if (b.contains("delayMs") && (b.contains("user") || ((b.contains("verb") || b.contains("resource")) && !b.contains("count"))))
        controls.setResponseDelayFor(b.value("user", ""), b.value("verb", ""), b.value("resource", ""),
                                     std::chrono::milliseconds(b.value("delayMs", 0L)));
      else if (b.contains("delayMs"))
        controls.setResponseDelay(std::chrono::milliseconds(b.value("delayMs", 0L)));
      return ok();
    }
    if (p == "compact") {
      controls.compact();
      return ok();
    }
    const std::string sa = "serviceaccounts/";
    if (p.rfind(sa, 0) == 0) {  // serviceaccounts/<ns>/<name>/token
      std::string rest = p.substr(sa.size());
      size_t a = rest.find('/');
      size_t c = a == std::string::npos ? a : rest.find('/', a + 1);
      if (c != std::string::npos && rest.substr(c + 1) == "token") {
        auto lock = w.store.lock();
        const IssuedTokenView t = issueServiceAccountToken(w, rest.substr(0, a), rest.substr(a + 1, c - a - 1),
                                                           b.value("expirationSeconds", 3600L), {});
        return ok({{"token", t.token}, {"expirationTimestamp", t.expirationTimestamp}});
      }
    }
    const std::string cron = "cronjobs/";
    if (p.rfind(cron, 0) == 0) {
      std::string rest = p.substr(cron.size());
      size_t a = rest.find('/');
      size_t c = a == std::string::npos ? a : rest.find('/', a + 1);
      if (c != std::string::npos && rest.substr(c + 1) == "trigger") {
        std::string job = controls.triggerCronJob(rest.substr(0, a), rest.substr(a + 1, c - a - 1));
        return ok({{"job", job}});
      }
    }
    throw ApiError(404, "NotFound", "no such sandbox admin endpoint: " + req.path);
  } catch (const ApiError& e) {
    return errorResponse(e);
  } catch (const std::runtime_error& e) {
    return jsonResponse(404, statusJson(404, "NotFound", e.what()));
  } catch (const nlohmann::json::exception& e) {
    return errorResponse(badRequest(e.what()));
  }
}

}  // namespace pmo::sandbox
