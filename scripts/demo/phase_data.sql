-- Demo data for scripts/demo.sh, loaded after tests/fixtures/phase_schema.sql: two
-- organisations, their apps and environments, audit events over 120 days (mostly reads,
-- about 20% tagged), and global network access policies to lock everyone out with.
BEGIN;
INSERT INTO api_organisation (id, name, created_at, require_sso) VALUES
  ('org-spacex', 'SpaceX', now() - interval '400 days', true),
  ('org-acme', 'Acme', now() - interval '400 days', false);
INSERT INTO api_app (id, organisation_id, name, created_at)
SELECT 'app-' || o || '-' || a, 'org-' || o, o || '-app-' || a, now() - interval '300 days'
FROM unnest(ARRAY['spacex', 'acme']) o, generate_series(1, 3) a;
INSERT INTO api_environment (id, app_id, name, created_at)
SELECT a.id || '-' || e, a.id, e, now() - interval '300 days'
FROM api_app a, unnest(ARRAY['development', 'staging', 'production']) e;
INSERT INTO api_secret (id, environment_id, key, key_digest, value, created_at)
SELECT 'sec-' || e.id || '-' || s, e.id, 'KEY_' || s, md5('KEY_' || s), 'ph:v1:...', now() - interval '200 days'
FROM api_environment e, generate_series(1, 5) s;
INSERT INTO api_secrettag (id, organisation_id, name)
SELECT 'tag-' || o.id || '-' || t, o.id, 'tag-' || t FROM api_organisation o, generate_series(1, 3) t;
-- 120 days of events: 90% reads, the rest create/update/delete.
INSERT INTO api_secretevent (id, environment_id, secret_id, key, key_digest, value, event_type, "timestamp", ip_address, user_agent)
SELECT 'ev-' || g, s.environment_id, s.id, s.key, s.key_digest, s.value,
       CASE WHEN g % 10 = 0 THEN 'C' WHEN g % 10 = 1 THEN 'U' WHEN g % 20 = 2 THEN 'D' ELSE 'R' END,
       now() - (g % 120) * interval '1 day' - (g % 86400) * interval '1 second', '10.0.0.1', 'phase-cli/1.0'
FROM generate_series(1, 60000) g
JOIN LATERAL (SELECT * FROM api_secret ORDER BY id OFFSET (g % 90) LIMIT 1) s ON true;
INSERT INTO api_secretevent_tags (secretevent_id, secrettag_id)
SELECT ev.id, 'tag-' || a.organisation_id || '-' || (1 + abs(hashtext(ev.id)) % 3)
FROM api_secretevent ev JOIN api_environment e ON e.id = ev.environment_id JOIN api_app a ON a.id = e.app_id
WHERE abs(hashtext(ev.id)) % 5 = 0;
INSERT INTO api_networkaccesspolicy (id, name, organisation_id, allowed_ips, is_global, created_at) VALUES
  ('nap-spacex-office', 'Office only', 'org-spacex', '203.0.113.0/24', true, now() - interval '10 days'),
  ('nap-spacex-vpn', 'VPN', 'org-spacex', '198.51.100.7/32', true, now() - interval '10 days'),
  ('nap-acme-office', 'Acme HQ', 'org-acme', '192.0.2.0/24', true, now() - interval '10 days');
INSERT INTO api_organisationssoprovider (id, organisation_id, provider_type, name, enabled) VALUES
  ('sso-spacex-oidc', 'org-spacex', 'okta-oidc', 'Okta', true);
COMMIT;
ANALYZE;
