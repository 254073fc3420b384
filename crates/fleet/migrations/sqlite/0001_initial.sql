-- uproot fleet store, SQLite. Times are RFC 3339 UTC text (sortable as text).
CREATE TABLE hosts (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    machine_id  TEXT UNIQUE,
    os          TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE
);

CREATE TABLE reports (
    id              INTEGER PRIMARY KEY,
    report_id       TEXT NOT NULL UNIQUE,
    host_id         INTEGER NOT NULL REFERENCES hosts(id),
    received_at     TEXT NOT NULL,
    generated_at    TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    body            TEXT NOT NULL
);
CREATE INDEX reports_host ON reports(host_id, generated_at);

CREATE TABLE waivers (
    id            INTEGER PRIMARY KEY,
    scope_kind    TEXT NOT NULL CHECK (scope_kind IN ('finding', 'host', 'product', 'vendor')),
    scope_value   TEXT NOT NULL,
    justification TEXT NOT NULL,
    approver      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    expired_at    TEXT
);

CREATE TABLE findings (
    id                 INTEGER PRIMARY KEY,
    host_id            INTEGER NOT NULL REFERENCES hosts(id),
    finding_id         TEXT NOT NULL,
    vendor             TEXT NOT NULL,
    product            TEXT NOT NULL,
    kind               TEXT NOT NULL,
    indicator          TEXT NOT NULL,
    evidence_source    TEXT NOT NULL,
    evidence_key       TEXT NOT NULL,
    severity           TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('open', 'resolved', 'reopened', 'waived')),
    first_seen         TEXT NOT NULL,
    last_seen          TEXT NOT NULL,
    last_report        TEXT NOT NULL,
    resolved_at        TEXT,
    resolved_by_report TEXT,
    waiver_id          INTEGER REFERENCES waivers(id),
    UNIQUE (host_id, finding_id)
);
CREATE INDEX findings_state ON findings(state);
CREATE INDEX findings_vendor ON findings(vendor);

CREATE TABLE directives (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    issued     TEXT NOT NULL,
    vendors    TEXT NOT NULL,
    milestones TEXT NOT NULL,
    builtin    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
CREATE INDEX audit_at ON audit(at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
