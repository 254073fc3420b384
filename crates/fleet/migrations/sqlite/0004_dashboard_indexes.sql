-- Indexes for the dashboard at 100k hosts (crates/fleet/src/backend/reads.rs
-- and compliance.rs say which query uses which).

-- Compliance totals group hosts by first-seen day and whether they had
-- reported: an index-only scan in day order, with no sort, and an empty
-- range for dates before the first host (a passed milestone's due date).
CREATE INDEX hosts_first_day ON hosts(SUBSTR(first_seen, 1, 10), first_seen, first_report_at);

-- Hosts that have not reported (by a date): the directive page lists them.
CREATE INDEX hosts_first_report ON hosts(first_report_at);

-- Host status filters start from the hosts with findings in a state.
CREATE INDEX findings_state_host ON findings(state, host_id);
