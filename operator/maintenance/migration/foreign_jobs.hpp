#pragma once
// Other people's migrations: a Job in the PhaseMaintenance's namespace that this operator
// did not make and that runs Django's `migrate` now (Phase's Helm chart runs one as a hook,
// `<release>-migrations`, on every install and upgrade). Django's migrate takes no lock, so
// the operator's own migration Job waits for such a Job (planner step
// WaitingForForeignMigration).
//
// Pure functions over Job objects as the API serves them; the reconciler reads the Jobs
// with one LIST (foreignJobsSelector()) only when a plan asks for them.
#include <string>

#include "maintenance/plan_types.hpp"

namespace pmo::maintenance {

// The LIST's label selector: every Job not labelled as this operator's (a Job without the
// label matches too). isForeignMigration() checks the rest.
std::string foreignJobsSelector();

// True when a container's command and args run `manage.py migrate` (or `django-admin
// migrate`) that applies migrations: as separate argv items (["python","manage.py","migrate"])
// or inside a shell script (["sh","-c","... && python manage.py migrate --noinput"]).
// `migrate --check` and `migrate --plan` only read the schema and do not count.
bool runsMigrate(const Json& container);

// True for a Job that (1) is not this operator's (no managed-by label of the operator, no
// ownerReference to a PhaseMaintenance), (2) has not finished (no Complete or Failed
// condition; a suspended Job with no active pod does not run), and (3) has a container or
// init container for which runsMigrate() holds.
bool isForeignMigration(const Json& job);

// The time the Job started (status.startTime, else metadata.creationTimestamp), as served.
std::string jobStartTime(const Json& job);

}  // namespace pmo::maintenance
