#pragma once
// Deterministic Phase-shaped data for the purge tests and benchmark: organisations with
// apps, environments, secrets, a member and tags, and their audit events (api_secretevent)
// spread evenly over a time window and stored in timestamp order across organisations
// and environments, as a live Phase instance appends them. About `taggedFraction` of
// events carry a tag row (a quarter of those two).
//
// Same spec => same ids, same rows (ids are md5-derived uuids of the seed), so tests can
// name rows. Bulk-loaded server-side (INSERT ... SELECT generate_series): about a
// million events a minute on a 2-core machine.
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace pmo::testing {

struct OrgSpec {
  std::string name;            // any text: quotes, ';' and unicode are fine
  int apps = 2;
  int environmentsPerApp = 3;
  long readEvents = 0;         // event_type 'R'
  long otherEvents = 0;        // 'C', 'U', 'D' in turn
};

struct DataSpec {
  std::vector<OrgSpec> organisations;
  double days = 120;           // events cover [now - days, now - endDaysAgo)
  double endDaysAgo = 0;
  double taggedFraction = 0.2;
  int secretsPerEnvironment = 4;
  int tagsPerOrganisation = 4;
  std::string seed = "phase";
};

struct GeneratedOrg {
  std::string id, name;
  std::vector<std::string> appIds;
  std::vector<std::vector<std::string>> environmentIds;  // [app][environment]
};

// Inserts everything in one transaction; returns the ids per organisation, in spec order.
std::vector<GeneratedOrg> generatePhaseData(pqxx::connection& conn, const DataSpec& spec);

// One organisation with no apps (for "nothing to do"); returns its id.
std::string insertBareOrganisation(pqxx::connection& conn, const std::string& name, const std::string& seed = "phase");

// One event in `environmentId` at `timestampSql` (an SQL expression, e.g.
// "TIMESTAMPTZ '2024-01-01 00:00:00+00'"), using a secret of that environment and,
// when tagged, a tag of its organisation. Returns the new event's id.
std::string insertEvent(pqxx::transaction_base& tx, const std::string& environmentId, char eventType,
                        const std::string& timestampSql, bool tagged);

}  // namespace pmo::testing
