-- uproot fleet store, PostgreSQL. Times are RFC 3339 UTC text, as on SQLite,
-- so both backends compare and return them identically.
CREATE TABLE hosts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    machine_id  TEXT UNIQUE,
    os          TEXT NOT NULL,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE
);

CREATE TABLE reports (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    report_id       TEXT NOT NULL UNIQUE,
    host_id         BIGINT NOT NULL REFERENCES hosts(id),
    received_at     TEXT NOT NULL,
    generated_at    TEXT NOT NULL,
    catalog_version TEXT NOT NULL,
    body            JSONB NOT NULL
);
CREATE INDEX reports_host ON reports(host_id, generated_at);

CREATE TABLE waivers (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope_kind    TEXT NOT NULL CHECK (scope_kind IN ('finding', 'host', 'product', 'vendor')),
    scope_value   TEXT NOT NULL,
    justification TEXT NOT NULL,
    approver      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    expired_at    TEXT
);

CREATE TABLE findings (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_id            BIGINT NOT NULL REFERENCES hosts(id),
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
    waiver_id          BIGINT REFERENCES waivers(id),
    UNIQUE (host_id, finding_id)
);
CREATE INDEX findings_state ON findings(state);
CREATE INDEX findings_vendor ON findings(vendor);

CREATE TABLE directives (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    title      TEXT NOT NULL,
    issued     TEXT NOT NULL,
    vendors    TEXT NOT NULL,
    milestones TEXT NOT NULL,
    builtin    BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE audit (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  JSONB NOT NULL
);
CREATE INDEX audit_at ON audit(at);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit is append-only';
END
$$;
CREATE TRIGGER audit_no_update_delete BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
