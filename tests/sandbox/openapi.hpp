#pragma once
// /openapi/v2 and /openapi/v3 (see openapi.cpp for what is served).
#include "sandbox/http_types.hpp"
#include "sandbox/world.hpp"

namespace pmo::sandbox {

HttpResponse serveOpenApi(World& w, const HttpRequest& req);

}  // namespace pmo::sandbox
