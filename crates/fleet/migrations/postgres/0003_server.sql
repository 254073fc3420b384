-- Issue 5: the fleet server. Waivers gain a request/approve/expire
-- lifecycle; report bodies move out of `reports` (gzip, fetched only for
-- history and re-matching); every finding state change is kept in
-- `finding_events`, from which compliance `as_of` and the burndown are
-- computed; API tokens, dashboard users, sessions and settings.

-- Waivers: the old `approver` column held whoever added the waiver, which
-- is now `requested_by`. Existing waivers were in force, so they count as
-- approved by that person at creation.
ALTER TABLE waivers RENAME COLUMN approver TO requested_by;
ALTER TABLE waivers ADD COLUMN approver TEXT;
ALTER TABLE waivers ADD COLUMN status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'approved', 'expired'));
ALTER TABLE waivers ADD COLUMN approved_at TEXT;
ALTER TABLE waivers ADD COLUMN mitigations TEXT NOT NULL DEFAULT '';
ALTER TABLE waivers ADD COLUMN directive TEXT;
UPDATE waivers SET approver = requested_by, approved_at = created_at,
    status = CASE WHEN expired_at IS NULL THEN 'approved' ELSE 'expired' END;
CREATE INDEX waivers_status ON waivers(status, expires_at);

-- Reports: metadata only. Old bodies are plain JSON; the store gzips them
-- on read (it checks the gzip magic).
ALTER TABLE reports ADD COLUMN findings BIGINT NOT NULL DEFAULT 0;
UPDATE reports SET findings = COALESCE(jsonb_array_length(body -> 'findings'), 0);
CREATE TABLE report_bodies (
    report_id TEXT PRIMARY KEY REFERENCES reports(report_id),
    body      BYTEA NOT NULL
);
-- Bodies are gzip already: do not let TOAST try to compress them again.
ALTER TABLE report_bodies ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO report_bodies (report_id, body) SELECT report_id, convert_to(body::text, 'UTF8') FROM reports;
ALTER TABLE reports DROP COLUMN body;

-- Hosts: when they first and last reported (compliance `not-scanned`, listings).
ALTER TABLE hosts ADD COLUMN first_report_at TEXT;
ALTER TABLE hosts ADD COLUMN last_report_at TEXT;
UPDATE hosts SET
    first_report_at = (SELECT MIN(received_at) FROM reports r WHERE r.host_id = hosts.id),
    last_report_at = (SELECT MAX(received_at) FROM reports r WHERE r.host_id = hosts.id);
CREATE INDEX hosts_name ON hosts(name);
CREATE INDEX findings_host_state ON findings(host_id, state);
CREATE INDEX findings_waiver ON findings(waiver_id);

-- Finding history, append-only. `vendor` is copied so compliance and the
-- burndown need no join; `prev_state` (NULL when first seen) makes each row
-- a transition, so the burndown is one GROUP BY over days.
CREATE TABLE finding_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id    BIGINT NOT NULL REFERENCES hosts(id),
    finding_id TEXT NOT NULL,
    vendor     TEXT NOT NULL,
    at         TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'resolved', 'reopened', 'waived')),
    prev_state TEXT,
    report_id  TEXT,
    waiver_id  BIGINT REFERENCES waivers(id)
);
-- Covering: the burndown reads only these columns.
CREATE INDEX finding_events_at ON finding_events(at, vendor, state, prev_state);
CREATE INDEX finding_events_finding ON finding_events(host_id, finding_id, at);
-- History before this migration is approximated: opened at first sight,
-- then the current state at the time it was reached (or last seen).
INSERT INTO finding_events (host_id, finding_id, vendor, at, state, report_id, waiver_id)
    SELECT host_id, finding_id, vendor, first_seen, 'open', NULL, NULL FROM findings;
INSERT INTO finding_events (host_id, finding_id, vendor, at, state, prev_state, report_id, waiver_id)
    SELECT host_id, finding_id, vendor, COALESCE(resolved_at, last_seen), state, 'open', resolved_by_report, waiver_id
    FROM findings WHERE state <> 'open';
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER finding_events_no_update_delete BEFORE UPDATE OR DELETE ON finding_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER finding_events_no_truncate BEFORE TRUNCATE ON finding_events
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'auditor')),
    label      TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'auditor'))
);

CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY,
    username     TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'auditor')),
    csrf         TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
