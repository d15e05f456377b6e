#pragma once
// Human rendering of the guide's table diagnostics, shared by `stats` and `vacuum`.
#include <optional>
#include <ostream>

#include "db/table_stats.hpp"

namespace pmo::cli {

// "database phase_db as phase_api (owner of api_secretevent: phase_api) at <time>"
void printConnectionCheck(std::ostream& os, const db::TableStats& stats);

// One row per figure; with `after`, a second column and the change.
void printStatsTable(std::ostream& os, const db::TableStats& before, const std::optional<db::TableStats>& after);

}  // namespace pmo::cli
