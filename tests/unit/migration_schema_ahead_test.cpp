// Schema ahead (schema_gate.hpp): the gate's check refuses, or under HoldRollout warns about,
// migrations in the database that the image does not know; the Python that finds them picks
// the right rows; the planner reports SchemaAhead in both modes and writes nothing at rest.
#include "migration_test_world.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gate_script_runner.hpp"

namespace pmo::maintenance {
namespace {

using testing::World;
using testing::ScriptRun;
using testing::count;
using testing::hasEvent;
using testing::runScript;
using testing::conditionReason;
using testing::conditionStatus;

// The Python the gate passes to `manage.py shell -c`, as the shell hands it over.
std::string aheadCode() {
  std::string code;
  runScript(schemagate::probeScript(MigrationGate::ScaleDown), 0, 30, nullptr, "", "", &code);
  return code;
}

// Runs that Python with python3 against a fake Django whose MigrationLoader holds `loader`
// ({"applied": [[app, name]...], "disk": [[[app, name], [replaced...]]...], "apps": [...]}).
ScriptRun runAheadPython(const Json& loader) {
  const auto dir = std::filesystem::temp_directory_path() / ("pmo-ahead-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "django" / "db" / "migrations");
  for (const char* init : {"django/__init__.py", "django/db/migrations/__init__.py"}) std::ofstream(dir / init);
  std::ofstream(dir / "django/db/__init__.py") << "connection = object()\n";
  std::ofstream(dir / "django/db/migrations/loader.py")
      << "import json\n"
         "class _Migration:\n"
         "    def __init__(self, replaces):\n"
         "        self.replaces = replaces\n"
         "class MigrationLoader:\n"
         "    def __init__(self, connection, ignore_no_migrations=False):\n"
         "        spec = json.load(open(\"" << (dir / "loader.json").string() << "\"))\n"
         "        if spec.get(\"fail\"):\n"
         "            raise RuntimeError(\"password=hunter2\")\n"
         "        self.applied_migrations = dict((tuple(k), None) for k in spec[\"applied\"])\n"
         "        self.disk_migrations = dict((tuple(k), _Migration([tuple(r) for r in v])) for k, v in spec[\"disk\"])\n"
         "        self.migrated_apps = set(spec[\"apps\"])\n";
  std::ofstream(dir / "loader.json") << loader.dump();
  std::ofstream(dir / "ahead.py") << aheadCode();
  const std::string cmd = "cd " + dir.string() + " && PYTHONPATH=" + dir.string() + " python3 ahead.py 2>&1";
  ScriptRun run = testing::runShell(cmd);
  std::filesystem::remove_all(dir);
  return run;
}

Json key(const char* app, const char* name) { return Json::array({app, name}); }
Json onDisk(const char* app, const char* name, Json replaces = Json::array()) {
  return Json::array({key(app, name), replaces});
}

const char* kAhead = "api.0100_tokens, api.0101_index";

TEST(SchemaAhead, GateRefusesUnderScaleDownWithOneLineNamingTheMigrations) {
  for (const std::string mode : {"ScaleDown", ""}) {  // unset: refused too (the operator always sets it)
    const ScriptRun run = runScript(schemagate::gateScript(), 0, 1, nullptr, kAhead, mode);
    EXPECT_EQ(run.exitCode, 1) << run.output;
    EXPECT_EQ(count(run.output, schemagate::kAheadLogPrefix), 1u) << run.output;
    EXPECT_NE(run.output.find("2 migration(s) this image does not: api.0100_tokens, api.0101_index"), std::string::npos)
        << run.output;
    EXPECT_NE(run.output.find("gate ScaleDown"), std::string::npos) << run.output;
    EXPECT_EQ(run.output.find("settings loaded"), std::string::npos) << "only the check's own line: " << run.output;
    EXPECT_EQ(run.output.find("has every migration"), std::string::npos) << run.output;
  }
}

TEST(SchemaAhead, GateWarnsOnceAndStartsUnderHoldRollout) {
  const ScriptRun run = runScript(schemagate::gateScript(), 0, 30, nullptr, kAhead, "HoldRollout");
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(count(run.output, schemagate::kAheadLogPrefix), 1u) << run.output;
  EXPECT_NE(run.output.find("starting anyway (gate HoldRollout"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("has every migration"), std::string::npos) << run.output;
}

TEST(SchemaAhead, UnappliedMigrationsAreWaitedForFirst) {
  int calls = 0;
  const ScriptRun run = runScript(schemagate::gateScript(), 2, 30, &calls, kAhead, "HoldRollout");
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(count(run.output, schemagate::kWaitingLogPrefix), 1u) << run.output;
  EXPECT_EQ(calls, 3);
}

TEST(SchemaAhead, ProbeCarriesTheModeItselfAndDecidesByIt) {
  // the main container's env (here HoldRollout) is not the operator's: the probe's own line wins
  ScriptRun run = runScript(schemagate::probeScript(MigrationGate::ScaleDown), 0, 30, nullptr, kAhead, "HoldRollout");
  EXPECT_EQ(run.exitCode, 1) << run.output;
  EXPECT_EQ(count(run.output, schemagate::kAheadLogPrefix), 1u) << run.output;
  run = runScript(schemagate::probeScript(MigrationGate::HoldRollout), 0, 30, nullptr, kAhead, "ScaleDown");
  EXPECT_EQ(run.exitCode, 0) << run.output;
  run = runScript(schemagate::probeScript(MigrationGate::ScaleDown), 0, 30, nullptr, "", "");
  EXPECT_EQ(run.exitCode, 0) << "nothing ahead: " << run.output;
}

TEST(SchemaAhead, AFailedCheckHoldsOnlyUnderScaleDownAndPrintsNoForeignText) {
  ScriptRun run = runScript(schemagate::probeScript(MigrationGate::ScaleDown), 0, 30, nullptr, "error");
  EXPECT_EQ(run.exitCode, 1) << run.output;
  EXPECT_NE(run.output.find("python manage.py shell exited with 1"), std::string::npos) << run.output;
  EXPECT_EQ(run.output.find("hunter2"), std::string::npos) << run.output;
  run = runScript(schemagate::probeScript(MigrationGate::HoldRollout), 0, 30, nullptr, "error");
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(run.output.find("hunter2"), std::string::npos) << run.output;
}

TEST(SchemaAhead, GateContainerAndProbeCarryTheSpecsMode) {
  World w;
  auto gate = schemagate::gateContainer(*w.backend, "backend", MigrationGate::ScaleDown);
  EXPECT_EQ((*gate)["env"].back(), (Json{{"name", schemagate::kEnvMode}, {"value", "ScaleDown"}}));
  auto probe = schemagate::startupProbe(*w.backend, "backend", MigrationGate::ScaleDown);
  const std::string script = (*probe)["exec"]["command"][2];
  EXPECT_EQ(script.find(std::string(schemagate::kProbeMarker) + "\nPMO_SCHEMA_GATE_MODE=ScaleDown\n"), 0u);
  // a mode switch replaces both (one rollout), then quiet
  Json d = w.backend->patch(schemagate::ensureGateOps(*w.backend, "backend", "phase", MigrationGate::ScaleDown));
  EXPECT_TRUE(schemagate::ensureGateOps(d, "backend", "phase", MigrationGate::ScaleDown).empty());
  Json ops = schemagate::ensureGateOps(d, "backend", "phase", MigrationGate::HoldRollout);
  d = d.patch(ops);
  EXPECT_EQ(d["spec"]["template"]["spec"]["initContainers"].back()["env"].back()["value"], "HoldRollout");
  EXPECT_TRUE(schemagate::ensureGateOps(d, "backend", "phase", MigrationGate::HoldRollout).empty());
  // a mode the user put in the container's env is not copied: the operator's decides
  (*w.backend)["spec"]["template"]["spec"]["containers"][0]["env"].push_back(
      {{"name", schemagate::kEnvMode}, {"value", "HoldRollout"}});
  gate = schemagate::gateContainer(*w.backend, "backend", MigrationGate::ScaleDown);
  int modes = 0;
  for (const auto& e : (*gate)["env"]) modes += e["name"] == schemagate::kEnvMode;
  EXPECT_EQ(modes, 1);
  EXPECT_EQ((*gate)["env"].back()["value"], "ScaleDown");
}

TEST(SchemaAhead, PythonCountsRowsNewerThanTheImagesFilesOnly) {
  ASSERT_EQ(std::system("python3 -c 'import sys' >/dev/null 2>&1"), 0) << "python3 is missing: scripts/setup.sh installs it";
  const Json disk = Json::array({onDisk("api", "0001_initial"), onDisk("api", "0002_users"),
                                 onDisk("auth", "0012_alter_user_first_name_max_length")});
  // (Json::array throughout: a brace list of string pairs would make an object)
  Json loader = Json::object();
  loader["apps"] = Json::array({"api", "auth"});
  loader["disk"] = disk;
  loader["applied"] = Json::array({key("api", "0001_initial"), key("api", "0002_users"), key("api", "0003_tokens"),
                                   key("auth", "0012_alter_user_first_name_max_length"), key("auth", "0013_x")});
  ScriptRun run = runAheadPython(loader);
  EXPECT_EQ(run.exitCode, 3) << run.output;
  EXPECT_NE(run.output.find("schema-ahead: the database has 2 migration(s) this image does not: api.0003_tokens, "
                            "auth.0013_x"), std::string::npos) << run.output;
  // not ahead: rows of an app the image does not have, rows of files deleted after a squash
  // (still named in its replaces, or not any more), a row without a number
  loader["applied"] = Json::array({key("api", "0001_initial"), key("api", "0002_users"), key("removed", "0007_x"),
                                   key("api", "0001_old"), key("api", "data_fix")});
  loader["disk"] = Json::array({onDisk("api", "0001_squashed_0002",
                                       Json::array({key("api", "0001_initial"), key("api", "0002_users")})),
                                onDisk("api", "0003_more")});
  run = runAheadPython(loader);
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_NE(run.output.find("schema-ahead: none"), std::string::npos) << run.output;
  // more than five: named up to five, counted all
  loader["applied"] = Json::array();
  for (const char* n : {"0004_a", "0005_b", "0006_c", "0007_d", "0008_e", "0009_f", "0010_g"})
    loader["applied"].push_back(key("api", n));
  run = runAheadPython(loader);
  EXPECT_EQ(run.exitCode, 3) << run.output;
  EXPECT_NE(run.output.find("7 migration(s)"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("api.0008_e and 2 more"), std::string::npos) << run.output;
  // the table cannot be read: the exception's class only
  run = runAheadPython(Json{{"fail", true}});
  EXPECT_EQ(run.exitCode, 2) << run.output;
  EXPECT_NE(run.output.find("schema-ahead-error: django_migrations could not be read (RuntimeError)"), std::string::npos)
      << run.output;
  EXPECT_EQ(run.output.find("hunter2"), std::string::npos) << run.output;
}

// Follow mode after a move to v2.74.0, then the chart sets v2.73.0 on both Deployments.
World migratedThenOlderTag(MigrationGate gate) {
  World w;
  w.spec.migrations.gate = gate;
  w.pm["status"]["currentVersion"] = "v2.74.0";
  w.setImages("v2.74.0");
  w.installGate();
  w.settle();
  w.setImages("v2.73.0");
  return w;
}

TEST(SchemaAhead, ConditionNamesDeploymentVersionsGateAndFixInBothModes) {
  for (auto gate : {MigrationGate::ScaleDown, MigrationGate::HoldRollout}) {
    World w = migratedThenOlderTag(gate);
    ASSERT_EQ(getCondition(w.pm["status"], conditions::kSchemaAhead), std::nullopt) << "never held: absent";
    Plan p = w.step();
    EXPECT_TRUE(hasEvent(p, reasons::kImageOlderThanSchema));
    const auto c = getCondition(w.pm["status"], conditions::kSchemaAhead);
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->status, "True");
    EXPECT_EQ(c->reason, reasons::kImageOlderThanSchema);
    for (const char* part : {"Deployment \"phase-console-backend\" runs phasehq/backend:v2.73.0",
                             "Deployment \"phase-console-worker\"", "older than v2.74.0",
                             "set the image back to phasehq/backend:v2.74.0", "allowDowngrade"})
      EXPECT_NE(c->message.find(part), std::string::npos) << part << " in: " << c->message;
    EXPECT_NE(c->message.find(gate == MigrationGate::ScaleDown ? "does not let its pods start" : "start with a warning"),
              std::string::npos) << c->message;
    EXPECT_EQ(conditionReason(w.pm["status"], conditions::kMigrated), reasons::kDowngradeRefused);
    // at rest: no write, no second Event
    w.settle();
    Plan again = w.plan();
    EXPECT_TRUE(again.actions.empty()) << again.actions.front().describe();
    EXPECT_EQ(again.status, w.pm["status"]);
    // the image set back: False, once
    w.setImages("v2.74.0");
    p = w.step();
    EXPECT_EQ(conditionStatus(w.pm["status"], conditions::kSchemaAhead), "False");
    EXPECT_EQ(conditionReason(w.pm["status"], conditions::kSchemaAhead), reasons::kImagesMatchSchema);
    EXPECT_TRUE(hasEvent(p, reasons::kImagesMatchSchema));
    w.settle();
    EXPECT_TRUE(w.plan().actions.empty());
  }
}

TEST(SchemaAhead, NotReportedForAnOrdinaryUpgradeOrAMutableTag) {
  World w;
  w.managedAt("v2.72.0", "v2.73.2");
  w.installGate();
  w.runUntil(Step::Migrating);
  w.finishJob("phase-migrate-v2-73-2", true);
  w.runUntil(Step::RollingOut);
  w.settle();
  EXPECT_EQ(w.pm["status"].value("currentVersion", ""), "v2.73.2");
  EXPECT_EQ(getCondition(w.pm["status"], conditions::kSchemaAhead), std::nullopt);
  World latest = migratedThenOlderTag(MigrationGate::ScaleDown);
  latest.setImages("latest");
  latest.settle();
  EXPECT_EQ(getCondition(latest.pm["status"], conditions::kSchemaAhead), std::nullopt) << "no order to compare";
}

}  // namespace
}  // namespace pmo::maintenance
