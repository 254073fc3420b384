-- Migration 5 adds, on PostgreSQL, the index that reads the directive
-- page's host list status by status in deadline order, and the trigram
-- index for host name search. SQLite ranks every host for that list
-- instead (crates/fleet/src/backend/sqlite.rs, `SEGMENTED_HOST_PAGES`, says
-- why) and has no trigram indexes, so here the version is only recorded,
-- keeping both backends' migration versions the same.
SELECT 1;
