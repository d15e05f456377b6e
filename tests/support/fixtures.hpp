#pragma once
// The JSON fixtures under tests/fixtures/ (their README says where each comes from).
#include <string>

#include <nlohmann/json.hpp>

namespace pmo::testing {

// tests/fixtures/<file>, e.g. "phase_backend_deployment.json" or "phase-chart/ingress.json".
// Throws std::runtime_error naming the path when it is missing.
nlohmann::json loadFixture(const std::string& file);

}  // namespace pmo::testing
