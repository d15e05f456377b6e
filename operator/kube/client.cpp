// The parts of Client common to every implementation: pagination and names.
#include "kube/client.hpp"

namespace pmo::kube {

// Pages with the caller's limit (or 500 when none was given) until the server sends no
// continue token. Returns the last page's resourceVersion, the one to watch from. A
// continue token that expired mid-way throws Gone: relist.
std::string Client::listPages(const Resource& r, const std::string& ns, const ListOptions& opts,
                              const std::function<void(Json& items)>& onPage) {
  constexpr long kDefaultPage = 500;
  constexpr int kMaxPages = 100000;  // a bound, not a limit anyone should reach
  ListOptions page = opts;
  if (page.limit <= 0) page.limit = kDefaultPage;
  for (int i = 0; i < kMaxPages; ++i) {
    Json list = this->list(r, ns, page);
    if (auto items = list.find("items"); items != list.end() && items->is_array()) onPage(*items);
    std::string cont, rv;
    if (auto meta = list.find("metadata"); meta != list.end() && meta->is_object()) {
      if (auto c = meta->find("continue"); c != meta->end() && c->is_string()) cont = c->get<std::string>();
      if (auto v = meta->find("resourceVersion"); v != meta->end() && v->is_string()) rv = v->get<std::string>();
    }
    if (cont.empty()) return rv;
    page.continueToken = cont;
    page.resourceVersion.clear();  // the continue token pins the snapshot
  }
  throw ApiError(ErrorReason::Unknown, 0, "listing " + r.plural + " did not end after " +
                                              std::to_string(kMaxPages) + " pages");
}

Json Client::listAll(const Resource& r, const std::string& ns, const ListOptions& opts) {
  Json items = Json::array();
  const std::string rv = listPages(r, ns, opts, [&items](Json& page) {
    for (auto& item : page) items.push_back(std::move(item));
  });
  return Json{{"kind", r.kind + "List"}, {"apiVersion", r.apiVersion()}, {"metadata", {{"resourceVersion", rv}}},
              {"items", std::move(items)}};
}

const char* toString(WatchEventType type) {
  switch (type) {
    case WatchEventType::Added: return "ADDED";
    case WatchEventType::Modified: return "MODIFIED";
    case WatchEventType::Deleted: return "DELETED";
    case WatchEventType::Bookmark: return "BOOKMARK";
    case WatchEventType::Error: return "ERROR";
  }
  return "UNKNOWN";
}

const char* toString(ErrorReason reason) {
  switch (reason) {
    case ErrorReason::BadRequest: return "BadRequest";
    case ErrorReason::Unauthorized: return "Unauthorized";
    case ErrorReason::Forbidden: return "Forbidden";
    case ErrorReason::NotFound: return "NotFound";
    case ErrorReason::MethodNotAllowed: return "MethodNotAllowed";
    case ErrorReason::AlreadyExists: return "AlreadyExists";
    case ErrorReason::Conflict: return "Conflict";
    case ErrorReason::Gone: return "Gone";
    case ErrorReason::Invalid: return "Invalid";
    case ErrorReason::TooManyRequests: return "TooManyRequests";
    case ErrorReason::ServerError: return "ServerError";
    case ErrorReason::Timeout: return "Timeout";
    case ErrorReason::ConnectionRefused: return "ConnectionRefused";
    case ErrorReason::Unknown: return "Unknown";
  }
  return "Unknown";
}

}  // namespace pmo::kube
