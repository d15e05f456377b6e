#pragma once
// The self-review APIs (`kubectl auth can-i`, `can-i --list`, `auth whoami`): answered for
// the request's own user, never stored.
#include <optional>

#include "sandbox/api.hpp"
#include "sandbox/authz.hpp"

namespace pmo::sandbox {

// POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews, .../selfsubjectrulesreviews,
// /apis/authentication.k8s.io/v1/selfsubjectreviews; nullopt for any other path.
std::optional<HttpResponse> serveReview(World& w, const HttpRequest& req, const ResourcePath& p,
                                        const UserInfo& user);

}  // namespace pmo::sandbox
