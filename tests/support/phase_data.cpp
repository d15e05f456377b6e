#include "support/phase_data.hpp"

#include <atomic>
#include <stdexcept>

namespace pmo::testing {
namespace {

// SQL expression: a deterministic uuid-shaped text id from the seed and parts.
std::string idExpr(const std::string& seedLiteral, const std::string& parts) {
  return "md5(" + seedLiteral + " || " + parts + ")::uuid::text";
}

void insertStructure(pqxx::work& tx, const std::string& seed, long k, const OrgSpec& org, const DataSpec& spec) {
  const std::string s = tx.quote(seed);
  const std::string ks = std::to_string(k);
  const std::string orgId = idExpr(s, "':org:" + ks + "'");
  tx.exec("INSERT INTO api_organisation (id, name, created_at) VALUES (" + orgId + ", " + tx.quote(org.name) + ", now())");
  tx.exec("INSERT INTO api_organisationmember (id, organisation_id, role) VALUES (" + idExpr(s, "':member:" + ks + "'") +
          ", " + orgId + ", 'owner')");
  tx.exec("INSERT INTO api_secrettag (id, organisation_id, name) SELECT " + idExpr(s, "':tag:" + ks + ":' || t") + ", " +
          orgId + ", 'tag-' || t FROM generate_series(0, " + std::to_string(spec.tagsPerOrganisation - 1) + ") t");
  tx.exec("INSERT INTO api_app (id, organisation_id, name, created_at) SELECT " + idExpr(s, "':app:" + ks + ":' || a") +
          ", " + orgId + ", 'app-' || a, now() FROM generate_series(0, " + std::to_string(org.apps - 1) + ") a");
  tx.exec("INSERT INTO api_environment (id, app_id, name, index) SELECT " +
          idExpr(s, "':env:" + ks + ":' || a || ':' || e") + ", " + idExpr(s, "':app:" + ks + ":' || a") +
          ", (ARRAY['development','staging','production'])[1 + e % 3] || CASE WHEN e >= 3 THEN '-' || e ELSE '' END, e "
          "FROM generate_series(0, " + std::to_string(org.apps - 1) + ") a, generate_series(0, " +
          std::to_string(org.environmentsPerApp - 1) + ") e");
  tx.exec("INSERT INTO api_secret (id, environment_id, key, key_digest, value) SELECT " +
          idExpr(s, "':secret:' || env.id || ':' || n") + ", env.id, 'ph:v1:' || md5(env.id || n), md5(env.id || n || 'd'), "
          "'ph:v1:' || md5(env.id || n || 'v') FROM api_environment env JOIN api_app app ON app.id = env.app_id, "
          "generate_series(0, " + std::to_string(spec.secretsPerEnvironment - 1) + ") n WHERE app.organisation_id = " + orgId);
}

// The event rows of organisation k, as a SELECT of (k, id, env, secret, type, ts, h)
// where h is a stable 31-bit hash of the event used for tagging.
std::string eventSeries(const std::string& s, long k, const OrgSpec& org, const DataSpec& spec, char kind, long count) {
  const std::string ks = std::to_string(k);
  const long envCount = static_cast<long>(org.apps) * org.environmentsPerApp;
  const std::string n = std::to_string(count);
  const std::string hash = "(('x' || substr(md5(" + s + " || ':ev:" + ks + ":" + kind + ":' || j), 1, 8))::bit(32)::int & 2147483647)";
  const std::string type = kind == 'R' ? "'R'" : "(ARRAY['C','U','D'])[1 + (j % 3)::int]";
  // Spread over the window; the organisation index shifts each series by a few
  // microseconds so different organisations interleave instead of colliding.
  const std::string ts = "(now() - make_interval(secs => " + std::to_string(spec.days * 86400.0) +
                         ")) + make_interval(secs => (j - 0.5) * " +
                         std::to_string((spec.days - spec.endDaysAgo) * 86400.0) + " / " + n + ") + make_interval(secs => " +
                         std::to_string(k) + " * 0.000003)";
  return "SELECT " + ks + "::int AS k, " + idExpr(s, "':event:" + ks + ":" + kind + ":' || j") + " AS id, " + hash +
         " AS h, " + type + "::varchar(1) AS event_type, " + ts + " AS ts, " + std::to_string(envCount) +
         " AS env_count, " + std::to_string(org.environmentsPerApp) + " AS env_per_app FROM generate_series(1, " + n + ") j";
}

}  // namespace

std::vector<GeneratedOrg> generatePhaseData(pqxx::connection& conn, const DataSpec& spec) {
  pqxx::work tx(conn);
  const std::string s = tx.quote(spec.seed);
  std::vector<std::string> series;
  std::vector<GeneratedOrg> out;
  for (size_t i = 0; i < spec.organisations.size(); ++i) {
    const OrgSpec& org = spec.organisations[i];
    if (org.apps < 0 || org.environmentsPerApp < 1) throw std::invalid_argument("generatePhaseData: bad org shape");
    const long k = static_cast<long>(i);
    insertStructure(tx, spec.seed, k, org, spec);
    if (org.apps > 0 && org.readEvents > 0) series.push_back(eventSeries(s, k, org, spec, 'R', org.readEvents));
    if (org.apps > 0 && org.otherEvents > 0) series.push_back(eventSeries(s, k, org, spec, 'O', org.otherEvents));
  }
  if (!series.empty()) {
    std::string all;
    for (const auto& q : series) all += (all.empty() ? "" : " UNION ALL ") + q;
    const std::string tagged = std::to_string(static_cast<long>(spec.taggedFraction * 10000));
    const std::string twice = std::to_string(static_cast<long>(spec.taggedFraction * 2500));
    const std::string tag = "md5(" + s + " || ':tag:' || g.k || ':' || (g.h % " + std::to_string(spec.tagsPerOrganisation) + "))::uuid::text";
    const std::string tag2 = "md5(" + s + " || ':tag:' || g.k || ':' || ((g.h + 1) % " + std::to_string(spec.tagsPerOrganisation) + "))::uuid::text";
    // env: environment (h % env_count) of the organisation; rows in timestamp order.
    tx.exec("CREATE TEMP TABLE pmo_gen ON COMMIT DROP AS SELECT g.*, md5(" + s +
            " || ':env:' || g.k || ':' || ((g.h % g.env_count) / g.env_per_app) || ':' || ((g.h % g.env_count) % g.env_per_app))::uuid::text AS env "
            "FROM (" + all + ") g");
    tx.exec("INSERT INTO api_secretevent (id, environment_id, secret_id, user_id, key, key_digest, value, version, comment, "
            "path, event_type, \"timestamp\", ip_address, user_agent) SELECT g.id, g.env, md5(" + s +
            " || ':secret:' || g.env || ':' || (g.h % " + std::to_string(spec.secretsPerEnvironment) + "))::uuid::text, " +
            "md5(" + s + " || ':member:' || g.k)::uuid::text, 'ph:v1:' || md5(g.id) || md5(g.env) || md5(g.id || 'k'), " +
            "md5(g.id || 'digest'), 'ph:v1:' || md5(g.id || 'v') || md5(g.id || 'w') || md5(g.id || 'x') || md5(g.id || 'y'), "
            "1 + g.h % 5, '', '/', g.event_type, g.ts, ('10.0.' || (g.h % 250) || '.' || (g.h % 200))::inet, "
            "'phase-cli/1.' || (g.h % 20) || ' (linux; x86_64)' FROM pmo_gen g ORDER BY g.ts, g.id");
    tx.exec("INSERT INTO api_secretevent_tags (secretevent_id, secrettag_id) SELECT id, tag FROM ("
            "SELECT g.ts, g.id, " + tag + " AS tag FROM pmo_gen g WHERE g.h % 10000 < " + tagged +
            " UNION ALL SELECT g.ts, g.id, " + tag2 + " FROM pmo_gen g WHERE g.h % 10000 < " + twice +
            " AND " + std::to_string(spec.tagsPerOrganisation) + " > 1) x ORDER BY ts, id");
  }
  for (size_t i = 0; i < spec.organisations.size(); ++i) {
    const std::string ks = std::to_string(i);
    GeneratedOrg g;
    g.name = spec.organisations[i].name;
    g.id = tx.exec1("SELECT " + idExpr(s, "':org:" + ks + "'"))[0].as<std::string>();
    for (int a = 0; a < spec.organisations[i].apps; ++a) {
      const std::string as = std::to_string(a);
      g.appIds.push_back(tx.exec1("SELECT " + idExpr(s, "':app:" + ks + ":" + as + "'"))[0].as<std::string>());
      std::vector<std::string> envs;
      for (int e = 0; e < spec.organisations[i].environmentsPerApp; ++e)
        envs.push_back(tx.exec1("SELECT " + idExpr(s, "':env:" + ks + ":" + as + ":" + std::to_string(e) + "'"))[0].as<std::string>());
      g.environmentIds.push_back(envs);
    }
    out.push_back(std::move(g));
  }
  tx.exec("ANALYZE");
  tx.commit();
  return out;
}

std::string insertBareOrganisation(pqxx::connection& conn, const std::string& name, const std::string& seed) {
  pqxx::work tx(conn);
  const std::string id =
      tx.exec1("SELECT md5(" + tx.quote(seed) + " || ':bare:' || " + tx.quote(name) + ")::uuid::text")[0].as<std::string>();
  tx.exec("INSERT INTO api_organisation (id, name) VALUES (" + tx.quote(id) + ", " + tx.quote(name) + ")");
  tx.commit();
  return id;
}

std::string insertEvent(pqxx::transaction_base& tx, const std::string& environmentId, char eventType,
                        const std::string& timestampSql, bool tagged) {
  static std::atomic<long> counter{0};
  const std::string env = tx.quote(environmentId);
  const std::string id =
      tx.exec1("SELECT md5('one-event:' || " + env + " || ':' || clock_timestamp() || ':' || " +
               std::to_string(counter++) + ")::uuid::text")[0].as<std::string>();
  tx.exec("INSERT INTO api_secretevent (id, environment_id, secret_id, key, key_digest, value, event_type, \"timestamp\") "
          "SELECT " + tx.quote(id) + ", " + env + ", (SELECT s.id FROM api_secret s WHERE s.environment_id = " + env +
          " ORDER BY s.id LIMIT 1), 'k', 'd', 'v', " + tx.quote(std::string(1, eventType)) + ", " + timestampSql);
  if (tagged) {
    tx.exec("INSERT INTO api_secretevent_tags (secretevent_id, secrettag_id) SELECT " + tx.quote(id) +
            ", t.id FROM api_secrettag t JOIN api_app a ON a.organisation_id = t.organisation_id "
            "JOIN api_environment e ON e.app_id = a.id WHERE e.id = " + env + " ORDER BY t.id LIMIT 1");
  }
  return id;
}

}  // namespace pmo::testing
