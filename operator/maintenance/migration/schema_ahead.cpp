// The SchemaAhead condition: an image older than the schema the database was migrated to (a
// downgrade outside the operator, or Helm setting an older tag), reported in both gate modes
// with what the pods' schema gate does about it and the fix.
#include "maintenance/image_ref.hpp"
#include "maintenance/migration/deployment_state.hpp"
#include "maintenance/migration/internal.hpp"
#include "maintenance/migration/schema_gate.hpp"

namespace pmo::maintenance::migration {

void reportSchemaAhead(Ctx& ctx) {
  // During a move the old pods on the new schema are the move's own state (HoldRollout's
  // premise, or replicas at 0 under ScaleDown); its steps report it.
  if (migrationInProgress(ctx.status())) return;
  const auto& spec = ctx.in.spec;
  const std::string migrated = ctx.status().value("currentVersion", "");
  const auto schema = parseVersion(migrated);
  std::string behind, repository;
  for (const auto* ref : {&spec.backend, &spec.worker}) {
    if (!schema || schema->mutableTag()) break;  // `latest` or unknown: no order to compare
    const Json& observed = ref == &spec.backend ? ctx.backend() : ctx.worker();
    const std::string image = containerImage(ctx.projected(ref->deployment, observed), ref->container);
    const ImageRef parsed = parseImageRef(image);
    const auto version = parseVersion(parsed.tag);
    const auto order = version ? compareVersions(*version, *schema) : std::nullopt;
    if (!order || *order >= 0) continue;
    behind += std::string(behind.empty() ? "" : "; ") + "Deployment \"" + ref->deployment + "\" runs " + image +
              " (" + parsed.tag + ")";
    if (repository.empty()) repository = parsed.repository;
  }
  if (behind.empty()) {
    const auto before = getCondition(ctx.old, conditions::kSchemaAhead);
    if (before && before->status == "True")
      ctx.condition(conditions::kSchemaAhead, false, reasons::kImagesMatchSchema,
                    "backend and worker run no version older than " + migrated + ", the database's schema",
                    "Normal");
    return;
  }
  std::string gate;
  if (!spec.migrations.podGate) {
    gate = "The pods' schema gate is off (migrations.podGate: false): these pods start on the newer schema.";
  } else if (spec.migrations.gate == MigrationGate::ScaleDown) {
    gate = std::string("Under gate ScaleDown the schema gate does not let its pods start (init container \"") +
           schemagate::kGateContainer + "\" names the migrations the image lacks).";
  } else {
    gate = "Under gate HoldRollout its pods start with a warning: the older code runs on the newer schema.";
  }
  ctx.condition(conditions::kSchemaAhead, true, reasons::kImageOlderThanSchema,
                behind + ", older than " + migrated + ", the version the database was migrated to: the schema has "
                "migrations that image does not. " + gate + " Fix: set the image back to " + repository + ":" +
                    migrated + "; under gate HoldRollout one older version can also be accepted as it is; to really "
                    "go back, restore a backup taken before " + migrated +
                    " and set spec.migrations.allowDowngrade: true",
                "Warning");
}

}  // namespace pmo::maintenance::migration
