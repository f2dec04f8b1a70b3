// SPDX-License-Identifier: Apache-2.0
/* The controller's schema, as migrations for SQLite and PostgreSQL. Times are Unix seconds
 * (logs: milliseconds). */
#include "schema.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "store_pg.h"

static const char m1[] =
    "CREATE TABLE tokens(id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash BLOB NOT NULL UNIQUE,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE onboard(id TEXT PRIMARY KEY, pem TEXT NOT NULL, subject TEXT NOT NULL,"
    " serials TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE devices(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, serial TEXT NOT NULL DEFAULT '',"
    " cert_hash BLOB NOT NULL UNIQUE, cert_pem TEXT NOT NULL, onboard_id TEXT, labels TEXT NOT NULL DEFAULT "
    "'{}',"
    " created INTEGER NOT NULL, registered INTEGER NOT NULL DEFAULT 0, last_seen INTEGER,"
    " config_version INTEGER NOT NULL DEFAULT 1, reboot_counter INTEGER NOT NULL DEFAULT 0,"
    " config_items TEXT NOT NULL DEFAULT '{}', baseos_image TEXT, baseos_activate INTEGER NOT NULL DEFAULT 0,"
    " baseos_retry INTEGER NOT NULL DEFAULT 0, os_version TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX devices_serial ON devices(serial);"
    "CREATE TABLE images(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, format TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0, url TEXT NOT NULL DEFAULT '',"
    " version TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE networks(id TEXT PRIMARY KEY, name TEXT NOT NULL, device_id TEXT NOT NULL"
    " REFERENCES devices(id) ON DELETE CASCADE, type TEXT NOT NULL, subnet TEXT NOT NULL DEFAULT '',"
    " port TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL, UNIQUE(device_id, name));"
    "CREATE TABLE apps(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spec TEXT NOT NULL,"
    " image_id TEXT NOT NULL REFERENCES images(id), activate INTEGER NOT NULL DEFAULT 1, version INTEGER NOT "
    "NULL DEFAULT 1,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE app_instances(id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE "
    "CASCADE,"
    " device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE, volume_id TEXT NOT NULL,"
    " restart_counter INTEGER NOT NULL DEFAULT 0, purge_counter INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL DEFAULT 'UNKNOWN', error TEXT, ips TEXT NOT NULL DEFAULT '[]',"
    " updated INTEGER NOT NULL, UNIQUE(app_id, device_id));"
    "CREATE INDEX app_instances_device ON app_instances(device_id);"
    "CREATE TABLE info(id INTEGER PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE "
    "CASCADE,"
    " time INTEGER NOT NULL, type TEXT NOT NULL, object TEXT NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX info_device ON info(device_id, id);"
    "CREATE TABLE info_latest(device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    " type TEXT NOT NULL, object TEXT NOT NULL, time INTEGER NOT NULL, data BLOB NOT NULL,"
    " PRIMARY KEY(device_id, type, object));"
    "CREATE TABLE metrics(id INTEGER PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE "
    "CASCADE,"
    " time INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX metrics_device ON metrics(device_id, id);"
    "CREATE TABLE logs(id INTEGER PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE "
    "CASCADE,"
    " app_id TEXT, time INTEGER NOT NULL, source TEXT NOT NULL DEFAULT '', severity TEXT NOT NULL DEFAULT '',"
    " msg TEXT NOT NULL);"
    "CREATE INDEX logs_device ON logs(device_id, id);"
    "CREATE INDEX logs_app ON logs(app_id, id);"
    "CREATE TABLE flowlog(id INTEGER PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE "
    "CASCADE,"
    " time INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX flowlog_device ON flowlog(device_id, id);";

/* Certificates of devices an admin deleted (revoked.c): refused until an
 * admin adds the device again. */
static const char m_hardening_ci[] =
    "CREATE TABLE deleted_certs(cert_hash BLOB PRIMARY KEY, device_id TEXT NOT NULL,"
    " serial TEXT NOT NULL DEFAULT '', deleted INTEGER NOT NULL);";

/* operator-ux: the generation (ZInfoApp.appVersion) a device last reported
 * for an instance. */
static const char m_operator_ux[] =
    "ALTER TABLE app_instances ADD COLUMN reported_version TEXT NOT NULL DEFAULT '';";

/* observability: one row /readyz rewrites to prove the database takes writes. */
static const char m_observability[] =
    "CREATE TABLE health(id INTEGER PRIMARY KEY CHECK(id = 1), checked INTEGER NOT NULL);";

/* Interoperability: each device's hardware model (deviceio.c). */
static const char m_interop[] =
    "CREATE TABLE device_io(device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    " phylabel TEXT NOT NULL, logicallabel TEXT NOT NULL, ifname TEXT NOT NULL DEFAULT '',"
    " pcilong TEXT NOT NULL DEFAULT '', usbaddr TEXT NOT NULL DEFAULT '', serial TEXT NOT NULL DEFAULT '',"
    " assigngrp TEXT NOT NULL DEFAULT '', ptype INTEGER NOT NULL, usage INTEGER NOT NULL DEFAULT 0,"
    " cost INTEGER NOT NULL DEFAULT 0, dhcp TEXT NOT NULL DEFAULT 'client', ip TEXT NOT NULL DEFAULT '',"
    " gateway TEXT NOT NULL DEFAULT '', dns TEXT NOT NULL DEFAULT '', proxy TEXT NOT NULL DEFAULT '',"
    " no_proxy TEXT NOT NULL DEFAULT '', source TEXT NOT NULL, updated INTEGER NOT NULL,"
    " PRIMARY KEY(device_id, phylabel));";

/* OCI registry (registry.c): manifests and tags of /v2/, and the
 * credentials of images from external registries (docker://, oci://). */
static const char m_registry[] =
    "CREATE TABLE registry_manifests(repo TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL,"
    " size INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(repo, digest));"
    "CREATE TABLE registry_tags(repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,"
    " updated INTEGER NOT NULL, PRIMARY KEY(repo, tag));"
    "ALTER TABLE images ADD COLUMN reg_user TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE images ADD COLUMN reg_secret TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE images ADD COLUMN reg_ca TEXT NOT NULL DEFAULT '';";

/* Flow logs by app instance (FlowMessage.scope.uuid), for the app's
 * flows view (flows_admin.c). */
static const char m_firewall[] = "ALTER TABLE flowlog ADD COLUMN app_id TEXT;"
				 "CREATE INDEX flowlog_app ON flowlog(app_id, id);";

/* Phased rollouts (rollouts.c). An app instance may be pinned to a spec
 * revision other than its app's (pin_*, NULL: follow the app; what the
 * device runs is its reported generation, app_instances.reported_version);
 * os_failed the base OS version a device last reported failed or fallen
 * back from (swList userStatus FALLBACK/FAILED), os_failed_reason why. */
static const char m_rollouts[] =
    "ALTER TABLE app_instances ADD COLUMN pin_spec TEXT;"
    "ALTER TABLE app_instances ADD COLUMN pin_image_id TEXT;"
    "ALTER TABLE app_instances ADD COLUMN pin_version INTEGER;"
    "ALTER TABLE devices ADD COLUMN os_failed TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE devices ADD COLUMN os_failed_reason TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE rollouts(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " app_id TEXT REFERENCES apps(id) ON DELETE SET NULL, spec TEXT, image_id TEXT NOT NULL,"
    " version INTEGER NOT NULL DEFAULT 0, phases TEXT NOT NULL, nphases INTEGER NOT NULL,"
    " health_s INTEGER NOT NULL, online_s INTEGER NOT NULL, timeout_s INTEGER NOT NULL,"
    " offline TEXT NOT NULL, pause_s INTEGER NOT NULL, max_failures INTEGER NOT NULL,"
    " max_failures_spec TEXT NOT NULL, auto_rollback INTEGER NOT NULL, state TEXT NOT NULL,"
    " phase INTEGER NOT NULL DEFAULT 0, phase_started INTEGER NOT NULL DEFAULT 0,"
    " next_at INTEGER NOT NULL DEFAULT 0, reason TEXT NOT NULL DEFAULT '', created INTEGER NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE TABLE rollout_devices(rollout_id TEXT NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,"
    " device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE, phase INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending', ok_since INTEGER NOT NULL DEFAULT 0,"
    " started INTEGER NOT NULL DEFAULT 0, prev_spec TEXT, prev_image_id TEXT, prev_version INTEGER,"
    " prev_baseos TEXT, reason TEXT NOT NULL DEFAULT '', updated INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(rollout_id, device_id));"
    "CREATE INDEX rollout_devices_phase ON rollout_devices(rollout_id, phase, state);"
    "CREATE TABLE rollout_events(id INTEGER PRIMARY KEY, rollout_id TEXT NOT NULL REFERENCES rollouts(id)"
    " ON DELETE CASCADE, time INTEGER NOT NULL, device_id TEXT, msg TEXT NOT NULL);"
    "CREATE INDEX rollout_events_rollout ON rollout_events(rollout_id, id);";

/* Users, roles, projects, tokens and the audit trail (authz.c, tokens.c,
 * users.c, audit.c). Every token has a role (admin, operator, viewer),
 * the projects it may use (",a,b," or "*" for all), an expiry (0: never),
 * the time it was last used and, for a login session, its user. Devices,
 * apps, networks and images belong to one project ('default'). */
static const char m_roles[] =
    "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, hash BLOB NOT NULL,"
    " salt BLOB NOT NULL, role TEXT NOT NULL, projects TEXT NOT NULL, created INTEGER NOT NULL);"
    "ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';"
    "ALTER TABLE tokens ADD COLUMN projects TEXT NOT NULL DEFAULT '*';"
    "ALTER TABLE tokens ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE tokens ADD COLUMN last_used INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE tokens ADD COLUMN user_id INTEGER REFERENCES users(id) ON DELETE CASCADE;"
    "CREATE TABLE projects(name TEXT PRIMARY KEY, created INTEGER NOT NULL);"
    "INSERT INTO projects(name, created) VALUES('default', strftime('%s', 'now'));"
    "ALTER TABLE devices ADD COLUMN project TEXT NOT NULL DEFAULT 'default';"
    "ALTER TABLE apps ADD COLUMN project TEXT NOT NULL DEFAULT 'default';"
    "ALTER TABLE networks ADD COLUMN project TEXT NOT NULL DEFAULT 'default';"
    "ALTER TABLE images ADD COLUMN project TEXT NOT NULL DEFAULT 'default';"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY, time INTEGER NOT NULL, who TEXT NOT NULL,"
    " action TEXT NOT NULL, object TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL DEFAULT '',"
    " status INTEGER NOT NULL, client TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX audit_time ON audit(time);";

/* Project-level runtime configuration properties (properties.c): under
 * every device of the project; a device's own item wins. */
static const char m_projprops[] = "ALTER TABLE projects ADD COLUMN config_items TEXT NOT NULL DEFAULT '{}';";

/* Remote attestation (attest.c): one row per device that attested. */
static const char m_attest[] =
    "CREATE TABLE attest(device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,"
    " state TEXT NOT NULL DEFAULT 'unknown', detail TEXT NOT NULL DEFAULT '', ak_pem TEXT,"
    " nonce BLOB, nonce_time INTEGER, baseline BLOB, last_pcrs BLOB, token_hash BLOB,"
    " policy TEXT NOT NULL DEFAULT '', allow_no_tpm INTEGER NOT NULL DEFAULT 0,"
    " good_config BLOB, good_hash TEXT, quoted INTEGER, updated INTEGER NOT NULL DEFAULT 0, ecdh_pem TEXT,"
    " vault_key BLOB);";

/* Volumes (volumes.c): data disks of a device that outlive their apps.
 * kind 'blank' (size_bytes) or 'image' (made from image_id); a new
 * generation makes the device rebuild it (EVE purge). */
static const char m_volumes[] =
    "CREATE TABLE volumes(id TEXT PRIMARY KEY, name TEXT NOT NULL, device_id TEXT NOT NULL"
    " REFERENCES devices(id) ON DELETE CASCADE, kind TEXT NOT NULL, size_bytes INTEGER NOT NULL,"
    " image_id TEXT REFERENCES images(id), generation INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL, UNIQUE(device_id, name));"
    /* every revision of an app (app_history.c): triggers record each
     * version; reason says why (create, update, rollback to vN) */
    "CREATE TABLE app_revisions(app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
    " version INTEGER NOT NULL, spec TEXT NOT NULL, image_id TEXT NOT NULL, created INTEGER NOT NULL,"
    " reason TEXT NOT NULL, outcome TEXT NOT NULL DEFAULT '', PRIMARY KEY(app_id, version));"
    "INSERT INTO app_revisions SELECT id, version, spec, image_id, created, 'create', '' FROM apps;"
    "CREATE TRIGGER app_revision_create AFTER INSERT ON apps BEGIN"
    " INSERT OR REPLACE INTO app_revisions VALUES(NEW.id, NEW.version, NEW.spec, NEW.image_id,"
    " strftime('%s','now'), 'create', ''); END;"
    "CREATE TRIGGER app_revision_update AFTER UPDATE OF version ON apps BEGIN"
    " INSERT OR REPLACE INTO app_revisions VALUES(NEW.id, NEW.version, NEW.spec, NEW.image_id,"
    " strftime('%s','now'), 'update', ''); END;";

/* Publisher signatures of HTTP(S) images (EVE's SignatureInfo): the
 * signature (base64 DER ECDSA over the image's sha256) and the URLs of the
 * signer's and an intermediate certificate. */
static const char m_signed[] = "ALTER TABLE images ADD COLUMN sig TEXT NOT NULL DEFAULT '';"
			       "ALTER TABLE images ADD COLUMN sig_signer_url TEXT NOT NULL DEFAULT '';"
			       "ALTER TABLE images ADD COLUMN sig_inter_url TEXT NOT NULL DEFAULT '';";

/* Publisher keys every device trusts besides its own image-trust/
 * (trustkeys.c): base64 DER SubjectPublicKeyInfo of a P-256 key. */
static const char m_signed3[] = "CREATE TABLE image_trust_keys(name TEXT PRIMARY KEY, fpr TEXT NOT NULL,"
				" spki TEXT NOT NULL, created INTEGER NOT NULL);";

/* Attestation event logs (attest_evlog.c): the measurement log of the last
 * verified quote as JSON and the result of its replay. */
static const char m_vault3[] = "ALTER TABLE attest ADD COLUMN event_log TEXT;"
			       "ALTER TABLE attest ADD COLUMN event_log_check TEXT NOT NULL DEFAULT '';";

/* Logs in compressed chunks (logstore.c, logchunk.c): one row holds many
 * lines of a device (or app instance), each line keeping its id. Existing
 * lines move over one per chunk, uncompressed (the codec's raw record form
 * built in SQL), and stay so until retention deletes them. The view logs
 * keeps `SELECT count(*) FROM logs` counting lines. */
static const char m_logs4[] =
    "CREATE TABLE log_chunks(id INTEGER PRIMARY KEY, device_id TEXT NOT NULL REFERENCES devices(id)"
    " ON DELETE CASCADE, app_id TEXT, first_id INTEGER NOT NULL, n INTEGER NOT NULL,"
    " t_min INTEGER NOT NULL, t_max INTEGER NOT NULL, sealed INTEGER NOT NULL, enc INTEGER NOT NULL,"
    " raw_len INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX log_chunks_device ON log_chunks(device_id, id);"
    "CREATE INDEX log_chunks_app ON log_chunks(app_id, id);"
    "CREATE INDEX log_chunks_open ON log_chunks(device_id, app_id) WHERE sealed = 0;"
    "INSERT INTO log_chunks(id, device_id, app_id, first_id, n, t_min, t_max, sealed, enc, raw_len, data)"
    " SELECT id, device_id, app_id, id, 1, time, time, 1, 0, length(rec), rec FROM (SELECT id, device_id,"
    " app_id, time, CAST(printf('0 %d %d %d %d', time, length(CAST(source AS BLOB)),"
    " length(CAST(severity AS BLOB)), length(CAST(msg AS BLOB))) || char(10) || source || severity"
    " || msg AS BLOB) AS rec FROM logs);"
    "DROP TABLE logs;"
    /* one row per stored line (their text is compressed: read it through
     * the admin API), for ad-hoc counts as before */
    "CREATE VIEW logs(chunk_id, device_id, app_id, k) AS WITH RECURSIVE x(chunk_id, device_id, app_id, k)"
    " AS (SELECT id, device_id, app_id, 1 FROM log_chunks UNION ALL SELECT x.chunk_id, x.device_id, x.app_id,"
    " x.k + 1 FROM x JOIN log_chunks c ON c.id = x.chunk_id WHERE x.k < c.n) SELECT * FROM x;";

/* Proxy auto-config per management port (deviceio.c: ProxyConfig.pacfile). */
static const char m_conn5[] = "ALTER TABLE device_io ADD COLUMN pacfile TEXT NOT NULL DEFAULT '';";

/* Requests accepted by any replica (replay_store.c): used only on a
 * clustered store, present in both for one schema. */
static const char m_replicas6[] =
    "CREATE TABLE replay_seen(sender TEXT NOT NULL, rid BLOB NOT NULL, status INTEGER NOT NULL,"
    " at INTEGER NOT NULL, PRIMARY KEY(sender, rid));"
    "CREATE INDEX replay_seen_at ON replay_seen(at);";

/* Remote consoles across replicas (console_store.c): clustered stores
 * only, present in both for one schema. */
static const char m_consoles7[] =
    "CREATE TABLE console_grants(device TEXT PRIMARY KEY, dispatcher TEXT NOT NULL, token TEXT NOT NULL,"
    " exp INTEGER NOT NULL, generation INTEGER NOT NULL, alive INTEGER NOT NULL);"
    "CREATE INDEX console_grants_dispatcher ON console_grants(dispatcher);"
    "CREATE TABLE console_sessions(id TEXT PRIMARY KEY, dispatcher TEXT NOT NULL, app TEXT NOT NULL,"
    " instance TEXT NOT NULL, device TEXT NOT NULL, project TEXT NOT NULL, who TEXT NOT NULL, token_id "
    "INTEGER NOT NULL,"
    " kind TEXT NOT NULL, port INTEGER NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL, ended "
    "INTEGER NOT NULL,"
    " reason TEXT NOT NULL, channels INTEGER NOT NULL, open INTEGER NOT NULL, bytes_in INTEGER NOT NULL,"
    " bytes_out INTEGER NOT NULL, rev INTEGER NOT NULL);"
    "CREATE INDEX console_sessions_dispatcher ON console_sessions(dispatcher, ended);"
    "CREATE INDEX console_sessions_created ON console_sessions(created);"
    "CREATE TABLE console_tickets(hash BLOB PRIMARY KEY, session TEXT NOT NULL, exp INTEGER NOT NULL);";

const char *const schema_migrations[] = {
    m1,         m_hardening_ci, m_operator_ux, m_observability, m_interop,  m_registry, m_firewall,
    m_rollouts, m_roles,        m_projprops,   m_attest,        m_volumes,  m_signed,   m_signed3,
    m_vault3,   m_logs4,        m_conn5,       m_replicas6,     m_consoles7};
const int schema_migrations_n = sizeof(schema_migrations) / sizeof(schema_migrations[0]);

/* ---- PostgreSQL (store = postgresql://...) ----
 * The same schema in PostgreSQL's types: BIGINT for INTEGER (its INTEGER
 * is 32-bit; times in ms overflow), BYTEA for BLOB, identity columns for
 * SQLite's rowid aliases, a PL/pgSQL function for the app_revisions
 * triggers, and the compatibility functions (instr, json_extract,
 * json_each: store_pg.h).
 * No PostgreSQL store existed before migration 17, so pg_m1 is the whole
 * schema as of SQLite's 17 steps and the other 16 are empty steps: both
 * lists keep the same version numbers, and every later migration is
 * appended to both (store_schema_test checks the two schemas match). */
static const char pg_m1[] = STORE_PG_COMPAT_SQL
    "CREATE TABLE users(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " hash BYTEA NOT NULL, salt BYTEA NOT NULL, role TEXT NOT NULL, projects TEXT NOT NULL,"
    " created BIGINT NOT NULL);"
    "CREATE TABLE tokens(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name TEXT NOT NULL,"
    " hash BYTEA NOT NULL UNIQUE, created BIGINT NOT NULL, role TEXT NOT NULL DEFAULT 'admin',"
    " projects TEXT NOT NULL DEFAULT '*', expires BIGINT NOT NULL DEFAULT 0,"
    " last_used BIGINT NOT NULL DEFAULT 0, user_id BIGINT REFERENCES users(id) ON DELETE CASCADE);"
    "CREATE TABLE onboard(id TEXT PRIMARY KEY, pem TEXT NOT NULL, subject TEXT NOT NULL, serials TEXT NOT "
    "NULL,"
    " created BIGINT NOT NULL);"
    "CREATE TABLE devices(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, serial TEXT NOT NULL DEFAULT '',"
    " cert_hash BYTEA NOT NULL UNIQUE, cert_pem TEXT NOT NULL, onboard_id TEXT,"
    " labels TEXT NOT NULL DEFAULT '{}', created BIGINT NOT NULL, registered BIGINT NOT NULL DEFAULT 0,"
    " last_seen BIGINT, config_version BIGINT NOT NULL DEFAULT 1, reboot_counter BIGINT NOT NULL DEFAULT 0,"
    " config_items TEXT NOT NULL DEFAULT '{}', baseos_image TEXT, baseos_activate BIGINT NOT NULL DEFAULT 0,"
    " baseos_retry BIGINT NOT NULL DEFAULT 0, os_version TEXT NOT NULL DEFAULT '',"
    " os_failed TEXT NOT NULL DEFAULT '', os_failed_reason TEXT NOT NULL DEFAULT '',"
    " project TEXT NOT NULL DEFAULT 'default');"
    "CREATE INDEX devices_serial ON devices(serial);"
    "CREATE TABLE images(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, format TEXT NOT NULL,"
    " sha256 TEXT NOT NULL, size BIGINT NOT NULL DEFAULT 0, url TEXT NOT NULL DEFAULT '',"
    " version TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, created BIGINT NOT NULL,"
    " reg_user TEXT NOT NULL DEFAULT '', reg_secret TEXT NOT NULL DEFAULT '', reg_ca TEXT NOT NULL DEFAULT "
    "'',"
    " project TEXT NOT NULL DEFAULT 'default', sig TEXT NOT NULL DEFAULT '',"
    " sig_signer_url TEXT NOT NULL DEFAULT '', sig_inter_url TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE networks(id TEXT PRIMARY KEY, name TEXT NOT NULL, device_id TEXT NOT NULL"
    " REFERENCES devices(id) ON DELETE CASCADE, type TEXT NOT NULL, subnet TEXT NOT NULL DEFAULT '',"
    " port TEXT NOT NULL DEFAULT '', created BIGINT NOT NULL, project TEXT NOT NULL DEFAULT 'default',"
    " UNIQUE(device_id, name));"
    "CREATE TABLE apps(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spec TEXT NOT NULL,"
    " image_id TEXT NOT NULL REFERENCES images(id), activate BIGINT NOT NULL DEFAULT 1,"
    " version BIGINT NOT NULL DEFAULT 1, created BIGINT NOT NULL, project TEXT NOT NULL DEFAULT 'default');"
    "CREATE TABLE app_instances(id TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE "
    "CASCADE,"
    " device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE, volume_id TEXT NOT NULL,"
    " restart_counter BIGINT NOT NULL DEFAULT 0, purge_counter BIGINT NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL DEFAULT 'UNKNOWN', error TEXT, ips TEXT NOT NULL DEFAULT '[]',"
    " updated BIGINT NOT NULL, reported_version TEXT NOT NULL DEFAULT '', pin_spec TEXT, pin_image_id TEXT,"
    " pin_version BIGINT, UNIQUE(app_id, device_id));"
    "CREATE INDEX app_instances_device ON app_instances(device_id);"
    "CREATE TABLE info(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, device_id TEXT NOT NULL"
    " REFERENCES devices(id) ON DELETE CASCADE, time BIGINT NOT NULL, type TEXT NOT NULL, object TEXT NOT "
    "NULL,"
    " data BYTEA NOT NULL);"
    "CREATE INDEX info_device ON info(device_id, id);"
    "CREATE TABLE info_latest(device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    " type TEXT NOT NULL, object TEXT NOT NULL, time BIGINT NOT NULL, data BYTEA NOT NULL,"
    " PRIMARY KEY(device_id, type, object));"
    "CREATE TABLE metrics(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, device_id TEXT NOT NULL"
    " REFERENCES devices(id) ON DELETE CASCADE, time BIGINT NOT NULL, data BYTEA NOT NULL);"
    "CREATE INDEX metrics_device ON metrics(device_id, id);"
    "CREATE TABLE flowlog(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, device_id TEXT NOT NULL"
    " REFERENCES devices(id) ON DELETE CASCADE, time BIGINT NOT NULL, data BYTEA NOT NULL, app_id TEXT);"
    "CREATE INDEX flowlog_device ON flowlog(device_id, id);"
    "CREATE INDEX flowlog_app ON flowlog(app_id, id);"
    "CREATE TABLE deleted_certs(cert_hash BYTEA PRIMARY KEY, device_id TEXT NOT NULL,"
    " serial TEXT NOT NULL DEFAULT '', deleted BIGINT NOT NULL);"
    "CREATE TABLE health(id BIGINT PRIMARY KEY CHECK(id = 1), checked BIGINT NOT NULL);"
    "CREATE TABLE device_io(device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    " phylabel TEXT NOT NULL, logicallabel TEXT NOT NULL, ifname TEXT NOT NULL DEFAULT '',"
    " pcilong TEXT NOT NULL DEFAULT '', usbaddr TEXT NOT NULL DEFAULT '', serial TEXT NOT NULL DEFAULT '',"
    " assigngrp TEXT NOT NULL DEFAULT '', ptype BIGINT NOT NULL, usage BIGINT NOT NULL DEFAULT 0,"
    " cost BIGINT NOT NULL DEFAULT 0, dhcp TEXT NOT NULL DEFAULT 'client', ip TEXT NOT NULL DEFAULT '',"
    " gateway TEXT NOT NULL DEFAULT '', dns TEXT NOT NULL DEFAULT '', proxy TEXT NOT NULL DEFAULT '',"
    " no_proxy TEXT NOT NULL DEFAULT '', source TEXT NOT NULL, updated BIGINT NOT NULL,"
    " pacfile TEXT NOT NULL DEFAULT '', PRIMARY KEY(device_id, phylabel));"
    "CREATE TABLE registry_manifests(repo TEXT NOT NULL, digest TEXT NOT NULL, media_type TEXT NOT NULL,"
    " size BIGINT NOT NULL DEFAULT 0, PRIMARY KEY(repo, digest));"
    "CREATE TABLE registry_tags(repo TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL,"
    " updated BIGINT NOT NULL, PRIMARY KEY(repo, tag));"
    "CREATE TABLE rollouts(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " app_id TEXT REFERENCES apps(id) ON DELETE SET NULL, spec TEXT, image_id TEXT NOT NULL,"
    " version BIGINT NOT NULL DEFAULT 0, phases TEXT NOT NULL, nphases BIGINT NOT NULL,"
    " health_s BIGINT NOT NULL, online_s BIGINT NOT NULL, timeout_s BIGINT NOT NULL, offline TEXT NOT NULL,"
    " pause_s BIGINT NOT NULL, max_failures BIGINT NOT NULL, max_failures_spec TEXT NOT NULL,"
    " auto_rollback BIGINT NOT NULL, state TEXT NOT NULL, phase BIGINT NOT NULL DEFAULT 0,"
    " phase_started BIGINT NOT NULL DEFAULT 0, next_at BIGINT NOT NULL DEFAULT 0,"
    " reason TEXT NOT NULL DEFAULT '', created BIGINT NOT NULL, updated BIGINT NOT NULL);"
    "CREATE TABLE rollout_devices(rollout_id TEXT NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,"
    " device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE, phase BIGINT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'pending', ok_since BIGINT NOT NULL DEFAULT 0,"
    " started BIGINT NOT NULL DEFAULT 0, prev_spec TEXT, prev_image_id TEXT, prev_version BIGINT,"
    " prev_baseos TEXT, reason TEXT NOT NULL DEFAULT '', updated BIGINT NOT NULL DEFAULT 0,"
    " PRIMARY KEY(rollout_id, device_id));"
    "CREATE INDEX rollout_devices_phase ON rollout_devices(rollout_id, phase, state);"
    "CREATE TABLE rollout_events(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " rollout_id TEXT NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE, time BIGINT NOT NULL,"
    " device_id TEXT, msg TEXT NOT NULL);"
    "CREATE INDEX rollout_events_rollout ON rollout_events(rollout_id, id);"
    "CREATE TABLE projects(name TEXT PRIMARY KEY, created BIGINT NOT NULL, config_items TEXT NOT NULL "
    "DEFAULT '{}');"
    "INSERT INTO projects(name, created) VALUES('default', CAST(extract(epoch FROM now()) AS BIGINT));"
    "CREATE TABLE audit(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, time BIGINT NOT NULL,"
    " who TEXT NOT NULL, action TEXT NOT NULL, object TEXT NOT NULL DEFAULT '', summary TEXT NOT NULL "
    "DEFAULT '',"
    " status BIGINT NOT NULL, client TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX audit_time ON audit(time);"
    "CREATE TABLE attest(device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,"
    " state TEXT NOT NULL DEFAULT 'unknown', detail TEXT NOT NULL DEFAULT '', ak_pem TEXT, nonce BYTEA,"
    " nonce_time BIGINT, baseline BYTEA, last_pcrs BYTEA, token_hash BYTEA, policy TEXT NOT NULL DEFAULT '',"
    " allow_no_tpm BIGINT NOT NULL DEFAULT 0, good_config BYTEA, good_hash TEXT, quoted BIGINT,"
    " updated BIGINT NOT NULL DEFAULT 0, ecdh_pem TEXT, vault_key BYTEA, event_log TEXT,"
    " event_log_check TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE volumes(id TEXT PRIMARY KEY, name TEXT NOT NULL, device_id TEXT NOT NULL"
    " REFERENCES devices(id) ON DELETE CASCADE, kind TEXT NOT NULL, size_bytes BIGINT NOT NULL,"
    " image_id TEXT REFERENCES images(id), generation BIGINT NOT NULL DEFAULT 0, created BIGINT NOT NULL,"
    " UNIQUE(device_id, name));"
    "CREATE TABLE app_revisions(app_id TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,"
    " version BIGINT NOT NULL, spec TEXT NOT NULL, image_id TEXT NOT NULL, created BIGINT NOT NULL,"
    " reason TEXT NOT NULL, outcome TEXT NOT NULL DEFAULT '', PRIMARY KEY(app_id, version));"
    /* SQLite's INSERT OR REPLACE in its triggers: replace the row whole */
    "CREATE FUNCTION app_revision_record() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
    " INSERT INTO app_revisions VALUES(NEW.id, NEW.version, NEW.spec, NEW.image_id,"
    " CAST(extract(epoch FROM now()) AS BIGINT), TG_ARGV[0], '') ON CONFLICT(app_id, version) DO UPDATE"
    " SET spec = excluded.spec, image_id = excluded.image_id, created = excluded.created,"
    " reason = excluded.reason, outcome = excluded.outcome; RETURN NULL; END $f$;"
    "CREATE TRIGGER app_revision_create AFTER INSERT ON apps FOR EACH ROW"
    " EXECUTE FUNCTION app_revision_record('create');"
    "CREATE TRIGGER app_revision_update AFTER UPDATE OF version ON apps FOR EACH ROW"
    " EXECUTE FUNCTION app_revision_record('update');"
    "CREATE TABLE image_trust_keys(name TEXT PRIMARY KEY, fpr TEXT NOT NULL, spki TEXT NOT NULL,"
    " created BIGINT NOT NULL);"
    "CREATE TABLE log_chunks(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, device_id TEXT NOT NULL"
    " REFERENCES devices(id) ON DELETE CASCADE, app_id TEXT, first_id BIGINT NOT NULL, n BIGINT NOT NULL,"
    " t_min BIGINT NOT NULL, t_max BIGINT NOT NULL, sealed BIGINT NOT NULL, enc BIGINT NOT NULL,"
    " raw_len BIGINT NOT NULL, data BYTEA NOT NULL);"
    "CREATE INDEX log_chunks_device ON log_chunks(device_id, id);"
    "CREATE INDEX log_chunks_app ON log_chunks(app_id, id);"
    "CREATE INDEX log_chunks_open ON log_chunks(device_id, app_id) WHERE sealed = 0;"
    "CREATE VIEW logs(chunk_id, device_id, app_id, k) AS WITH RECURSIVE x(chunk_id, device_id, app_id, k)"
    " AS (SELECT id, device_id, app_id, CAST(1 AS BIGINT) FROM log_chunks UNION ALL SELECT x.chunk_id,"
    " x.device_id, x.app_id, x.k + 1 FROM x JOIN log_chunks c ON c.id = x.chunk_id WHERE x.k < c.n)"
    " SELECT * FROM x;";

/* An empty step: the change is in pg_m1 already. */
#define PG_IN_M1 "SELECT 1;"

static const char pg_m_replicas6[] =
    "CREATE TABLE replay_seen(sender TEXT NOT NULL, rid BYTEA NOT NULL, status BIGINT NOT NULL,"
    " at BIGINT NOT NULL, PRIMARY KEY(sender, rid));"
    "CREATE INDEX replay_seen_at ON replay_seen(at);";

static const char pg_m_consoles7[] =
    "CREATE TABLE console_grants(device TEXT PRIMARY KEY, dispatcher TEXT NOT NULL, token TEXT NOT NULL,"
    " exp BIGINT NOT NULL, generation BIGINT NOT NULL, alive BIGINT NOT NULL);"
    "CREATE INDEX console_grants_dispatcher ON console_grants(dispatcher);"
    "CREATE TABLE console_sessions(id TEXT PRIMARY KEY, dispatcher TEXT NOT NULL, app TEXT NOT NULL,"
    " instance TEXT NOT NULL, device TEXT NOT NULL, project TEXT NOT NULL, who TEXT NOT NULL, token_id "
    "BIGINT NOT NULL,"
    " kind TEXT NOT NULL, port BIGINT NOT NULL, created BIGINT NOT NULL, expires BIGINT NOT NULL, ended "
    "BIGINT NOT NULL,"
    " reason TEXT NOT NULL, channels BIGINT NOT NULL, open BIGINT NOT NULL, bytes_in BIGINT NOT NULL,"
    " bytes_out BIGINT NOT NULL, rev BIGINT NOT NULL);"
    "CREATE INDEX console_sessions_dispatcher ON console_sessions(dispatcher, ended);"
    "CREATE INDEX console_sessions_created ON console_sessions(created);"
    "CREATE TABLE console_tickets(hash BYTEA PRIMARY KEY, session TEXT NOT NULL, exp BIGINT NOT NULL);";

const char *const schema_pg_migrations[] = {pg_m1,    PG_IN_M1, PG_IN_M1,       PG_IN_M1,      PG_IN_M1,
					    PG_IN_M1, PG_IN_M1, PG_IN_M1,       PG_IN_M1,      PG_IN_M1,
					    PG_IN_M1, PG_IN_M1, PG_IN_M1,       PG_IN_M1,      PG_IN_M1,
					    PG_IN_M1, PG_IN_M1, pg_m_replicas6, pg_m_consoles7};
const int schema_pg_migrations_n = sizeof(schema_pg_migrations) / sizeof(schema_pg_migrations[0]);

int schema_pool_open(const char *url, int n, struct store_pool **out, char *err, size_t errlen)
{
	struct store_pool *p = NULL;
	int r = store_pool_open(url, n, &p, err, errlen);
	if (r < 0)
		return r;
	bool pg = !strcmp(store_dialect(p), "postgresql");
	struct store *c = store_get(p);
	if (!c) {
		snprintf(err, errlen, "the store is unreachable");
		r = -ECONNREFUSED;
		goto out;
	}
	r = pg ? store_migrate(c, schema_pg_migrations, schema_pg_migrations_n, err, errlen)
	       : store_migrate(c, schema_migrations, schema_migrations_n, err, errlen);
	store_put(p, c);
out:
	if (r < 0)
		store_pool_close(p);
	else
		*out = p;
	return r;
}
