-- Migration 5: the directive page's host list, worst first, without
-- ranking every host (crates/fleet/src/backend/compliance.rs,
-- `current_hosts_page`): hosts first seen after the directive's deadline
-- minus the grace period are read in (first-seen day, id) order, which is
-- their deadline order, and stop at the page.
CREATE INDEX hosts_day_id ON hosts((SUBSTR(first_seen, 1, 10)), id);

-- Host name substring search (`/hosts?name=`, LOWER(name) LIKE '%…%'): a
-- trigram index answers it without reading every host. pg_trgm ships with
-- PostgreSQL (contrib) and is a trusted extension, but a server may lack
-- contrib or the right to create it; then the search stays a scan (same
-- results, slower at 100k hosts) and `uproot serve` says so at start
-- instead of refusing to start.
--
-- The extension goes into `public`, not the first schema on the
-- search_path: several uproot schemas may share one database (tests,
-- `PgStore::open_in_schema`), the extension exists once per database, and
-- dropping a schema it lived in would drop every schema's trigram index
-- with it. sqlx holds a database-wide advisory lock while migrating, so two
-- schemas never race to create it.
DO $$
DECLARE
    trgm_schema TEXT;
BEGIN
    -- Both steps inside the handler: the extension may be missing, or live
    -- in a schema this role cannot use; either way the search stays a scan
    -- and the store still opens (PgStore reports the missing index).
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
        SELECT n.nspname INTO trgm_schema FROM pg_extension e
            JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
        IF trgm_schema IS NOT NULL THEN
            EXECUTE format('CREATE INDEX hosts_name_trgm ON hosts USING gin (LOWER(name) %I.gin_trgm_ops)', trgm_schema);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'uproot: no trigram index (%): host name search will scan the hosts table', SQLERRM;
    END;
END
$$;
