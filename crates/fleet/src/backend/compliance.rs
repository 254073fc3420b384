// Compliance, burndown and re-matching. Included by common.rs.

/// `vendor IN ($start, …)` for the directive's vendors (never true for none).
fn vendor_in(vendors: &[String], start: usize) -> String {
    if vendors.is_empty() {
        "1 = 0".into()
    } else {
        format!("vendor IN ({})", placeholders(start, vendors.len()))
    }
}

/// Where a compliance host page's order and statuses change: `bound` (the
/// as-of instant), `late` (hosts first seen before it and with open findings
/// are overdue; empty when the directive's deadline has not passed) and
/// `dcut` (hosts first seen after it have their own deadline, first-seen
/// day + grace; the others share the directive's).
struct Cut<'a> {
    bound: &'a str,
    late: &'a str,
    dcut: &'a str,
}

/// Hosts re-matched per transaction.
const REMATCH_CHUNK: i64 = 64;

/// The inventory of each stored report body (gzip JSON); only the
/// inventory is decoded.
fn stored_inventories(
    bodies: Vec<(i64, String, Vec<u8>)>,
) -> Result<Vec<(i64, String, uproot_inventory::Inventory)>> {
    #[derive(serde::Deserialize)]
    struct Stored {
        inventory: uproot_inventory::Inventory,
    }
    bodies
        .into_iter()
        .map(|(host_id, rid, body)| {
            let json = tracking::gunzip(&body)?;
            let stored: Stored = serde_json::from_slice(&json).map_err(|e| {
                Error::with(
                    ErrorKind::Database,
                    format!("stored report {rid} does not parse"),
                    e,
                )
            })?;
            Ok((host_id, rid, stored.inventory))
        })
        .collect()
}

/// One host's compliance row.
fn host_compliance(
    host_id: i64,
    name: String,
    first_seen: String,
    deadline: String,
    status: &str,
    counts: tracking::Counts,
) -> crate::HostCompliance {
    crate::HostCompliance {
        host_id,
        name,
        first_seen,
        deadline,
        status: status.to_owned(),
        open: counts.open,
        waived: counts.waived,
        resolved: counts.resolved,
    }
}

/// The per-host compliance rows of [`StoreTy::do_compliance`] and their
/// totals, from `hosts` rows `(id, name, first_seen, first_report_at)` and
/// each host's in-scope finding counts at `bound`.
fn compliance_rows(
    rows: &[DbRow],
    by_host: &HashMap<i64, tracking::Counts>,
    bound: &str,
    directive_deadline: &str,
    grace_days: u32,
) -> Result<(crate::ComplianceTotals, Vec<crate::HostCompliance>)> {
    let as_of_date = &bound[..10];
    let mut totals = crate::ComplianceTotals::default();
    let mut hosts = Vec::with_capacity(rows.len());
    // Hosts enrolled on the same day share a deadline.
    let mut deadlines: HashMap<String, String> = HashMap::new();
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let counts = by_host.get(&id).copied().unwrap_or_default();
        let first_seen: String = r.try_get(2)?;
        let first_report: Option<String> = r.try_get(3)?;
        let scanned = first_report.is_some_and(|t| t.as_str() <= bound);
        let day = first_seen.get(..10).unwrap_or(&first_seen).to_owned();
        let deadline = match deadlines.get(&day) {
            Some(d) => d.clone(),
            None => {
                let d = tracking::host_deadline(directive_deadline, &day, grace_days)?;
                deadlines.insert(day, d.clone());
                d
            }
        };
        let status = tracking::host_status(scanned, counts, as_of_date, &deadline);
        totals.hosts += 1;
        totals.scanned += u64::from(scanned);
        match status {
            "clean" => totals.clean += 1,
            "affected" => totals.affected += 1,
            "waived" => totals.waived += 1,
            "overdue" => totals.overdue += 1,
            _ => {}
        }
        totals.findings_open += counts.open;
        totals.findings_waived += counts.waived;
        totals.findings_resolved += counts.resolved;
        let name = r.try_get(1)?;
        hosts.push(host_compliance(id, name, first_seen, deadline, status, counts));
    }
    Ok((totals, hosts))
}

/// Runs CPU work that borrows from the caller without stalling the other
/// tasks on this worker: on a multi-threaded runtime the worker hands its
/// queue to another thread first (`spawn_blocking` would need `'static`
/// data, and the catalog is borrowed). A current-thread runtime (tests)
/// cannot do that, so there it simply runs.
fn off_the_workers<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl StoreTy {
    /// Whether the current finding states are the states at `bound`: true
    /// when nothing happened after it (the dashboard's common case), so
    /// compliance reads `findings` instead of replaying the history.
    async fn states_are_current(&self, bound: &str) -> Result<bool> {
        let latest: Option<String> = sqlx::query("SELECT MAX(at) FROM finding_events")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(latest.as_deref().is_none_or(|l| l <= bound))
    }

    /// SQL for `(host_id, state)` of every in-scope finding at `$1`, with
    /// the directive's vendors from `$2`: read from `findings` when the
    /// states are `current` ([`Self::states_are_current`]), else replayed
    /// from the history.
    fn states_sql(directive: &Directive, current: bool) -> String {
        let vendors = vendor_in(&directive.vendors, 2);
        if current {
            format!("SELECT host_id, state FROM findings WHERE first_seen <= $1 AND {vendors}")
        } else {
            format!(
                "SELECT host_id, state FROM (SELECT host_id, state, ROW_NUMBER() OVER \
                   (PARTITION BY host_id, finding_id ORDER BY at DESC, id DESC) AS rn \
                   FROM finding_events WHERE at <= $1 AND {vendors}) last WHERE rn = 1"
            )
        }
    }

    async fn do_compliance_summary(
        &self,
        name: &str,
        as_of: &str,
        grace_days: u32,
    ) -> Result<crate::Compliance> {
        let directive = self.directive_named(name).await?;
        let bound = tracking::as_of_bound(as_of)?;
        let as_of_date = &bound[..10];
        let directive_deadline = tracking::directive_deadline(&directive)?;
        let states = Self::states_sql(&directive, self.states_are_current(&bound).await?);
        // Hosts grouped by what decides their status: first-seen day
        // (deadline), scanned, any open, any waived. Hosts with in-scope
        // findings come from joining the (few) hosts that have them; the
        // rest are all hosts minus those, so no query joins every host.
        let scanned_sql = "CAST(CASE WHEN h.first_report_at <= $1 THEN 1 ELSE 0 END AS BIGINT)";
        // Grouped by the day alone, so the scan follows `hosts_first_day`
        // (migration 4) and needs no sort; scanned hosts are summed.
        let all_sql = format!(
            "SELECT SUBSTR(h.first_seen, 1, 10) AS day, CAST(SUM({scanned_sql}) AS BIGINT) AS scanned, \
               COUNT(*) AS n FROM hosts h WHERE h.first_seen <= $1 GROUP BY SUBSTR(h.first_seen, 1, 10)"
        );
        let sql = format!(
            "WITH c AS (SELECT host_id, \
               SUM(CASE WHEN state IN ('open', 'reopened') THEN 1 ELSE 0 END) AS open_n, \
               SUM(CASE WHEN state = 'waived' THEN 1 ELSE 0 END) AS waived_n, \
               SUM(CASE WHEN state = 'resolved' THEN 1 ELSE 0 END) AS resolved_n \
               FROM ({states}) st GROUP BY host_id) \
             SELECT SUBSTR(h.first_seen, 1, 10) AS day, {scanned_sql} AS scanned, \
               CAST(CASE WHEN c.open_n > 0 THEN 1 ELSE 0 END AS BIGINT) AS has_open, \
               CAST(CASE WHEN c.waived_n > 0 THEN 1 ELSE 0 END AS BIGINT) AS has_waived, \
               COUNT(*) AS n, CAST(SUM(c.open_n) AS BIGINT) AS open_n, \
               CAST(SUM(c.waived_n) AS BIGINT) AS waived_n, CAST(SUM(c.resolved_n) AS BIGINT) AS resolved_n \
             FROM c JOIN hosts h ON h.id = c.host_id WHERE h.first_seen <= $1 \
             GROUP BY 1, 2, 3, 4"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(bound.clone());
        for v in &directive.vendors {
            q = q.bind(v.clone());
        }
        // Each query scans the hosts once: on two connections at once, a
        // cold dashboard page waits for the slower, not for both.
        let (all_rows, with_findings) = tokio::try_join!(
            sqlx::query(sqlx::AssertSqlSafe(all_sql))
                .bind(bound.clone())
                .fetch_all(&self.pool),
            q.fetch_all(&self.pool),
        )?;
        let mut groups: HashMap<(String, bool), u64> = HashMap::new();
        for r in &all_rows {
            let day: String = r.try_get("day")?;
            let (scanned, n) = (count(r, "scanned")?, count(r, "n")?);
            groups.insert((day.clone(), true), scanned);
            groups.insert((day, false), n.saturating_sub(scanned));
        }
        let mut totals = crate::ComplianceTotals::default();
        let mut add = |day: &str, scanned: bool, flags: tracking::Counts, n: u64| -> Result<()> {
            let deadline = tracking::host_deadline(&directive_deadline, day, grace_days)?;
            match tracking::host_status(scanned, flags, as_of_date, &deadline) {
                "clean" => totals.clean += n,
                "affected" => totals.affected += n,
                "waived" => totals.waived += n,
                "overdue" => totals.overdue += n,
                _ => {}
            }
            totals.hosts += n;
            totals.scanned += if scanned { n } else { 0 };
            Ok(())
        };
        let (mut open, mut waived, mut resolved) = (0, 0, 0);
        for r in with_findings {
            let day: String = r.try_get("day")?;
            let scanned = count(&r, "scanned")? > 0;
            let n = count(&r, "n")?;
            let flags = tracking::Counts {
                open: count(&r, "has_open")?,
                waived: count(&r, "has_waived")?,
                resolved: 0,
            };
            add(&day, scanned, flags, n)?;
            if let Some(rest) = groups.get_mut(&(day, scanned)) {
                *rest = rest.saturating_sub(n);
            }
            open += count(&r, "open_n")?;
            waived += count(&r, "waived_n")?;
            resolved += count(&r, "resolved_n")?;
        }
        for ((day, scanned), n) in &groups {
            add(day, *scanned, tracking::Counts::default(), *n)?;
        }
        totals.findings_open = open;
        totals.findings_waived = waived;
        totals.findings_resolved = resolved;
        Ok(crate::Compliance {
            schema: "uproot.compliance/1".into(),
            milestones: tracking::milestones(&directive, as_of_date)?,
            directive,
            as_of: as_of.to_owned(),
            grace_days,
            totals,
            hosts: Vec::new(),
        })
    }

    async fn do_compliance_hosts(
        &self,
        name: &str,
        as_of: &str,
        grace_days: u32,
        status: Option<&str>,
        page: crate::Page,
    ) -> Result<Vec<crate::HostCompliance>> {
        const STATUSES: [&str; 5] = ["overdue", "affected", "not-scanned", "waived", "clean"];
        let want = match status {
            None => None,
            Some(s) if STATUSES.contains(&s) => Some(crate::status_rank(s)),
            Some(s) => {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    format!("host status must be one of {STATUSES:?}: {s:?}"),
                ))
            }
        };
        let directive = self.directive_named(name).await?;
        let bound = tracking::as_of_bound(as_of)?;
        let as_of_date = &bound[..10];
        let directive_deadline = tracking::directive_deadline(&directive)?;
        // Status and deadline order in SQL, so only the page is decoded.
        // deadline = max(directive deadline, first-seen day + grace), so a
        // host is overdue iff the directive's deadline has passed and its
        // day < as_of - grace, and deadlines sort as the day when
        // day > directive deadline - grace (all others share the directive's).
        let late = if as_of_date > directive_deadline.as_str() {
            tracking::date_minus(as_of_date, grace_days)?
        } else {
            String::new()
        };
        let dcut = tracking::date_minus(&directive_deadline, grace_days)?;
        let cut = Cut {
            bound: &bound,
            late: &late,
            dcut: &dcut,
        };
        let current = self.states_are_current(&bound).await?;
        let rows = if current && SEGMENTED_HOST_PAGES {
            self.segmented_hosts_page(&directive, &cut, want, page)
                .await?
        } else {
            self.ranked_hosts_page(&directive, &cut, want, page, current)
                .await?
        };
        let mut hosts = Vec::with_capacity(rows.len());
        for r in &rows {
            let counts = tracking::Counts {
                open: count(r, "open_n")?,
                waived: count(r, "waived_n")?,
                resolved: count(r, "resolved_n")?,
            };
            let first_seen: String = r.try_get("first_seen")?;
            let first_report: Option<String> = r.try_get("first_report_at")?;
            let scanned = first_report.is_some_and(|t| t <= bound);
            let day = first_seen.get(..10).unwrap_or(&first_seen);
            let deadline = tracking::host_deadline(&directive_deadline, day, grace_days)?;
            let status = tracking::host_status(scanned, counts, as_of_date, &deadline);
            let (id, name) = (r.try_get("id")?, r.try_get("name")?);
            hosts.push(host_compliance(id, name, first_seen, deadline, status, counts));
        }
        Ok(hosts)
    }

    /// [`Self::do_compliance_hosts`] from the current findings, without
    /// ranking every host (PostgreSQL; see `SEGMENTED_HOST_PAGES`): each
    /// status (worst first) is split at `dcut` into hosts sharing the
    /// directive's deadline (in id order, the primary key) and later ones
    /// (in first-seen day and id order, `hosts_day_id` from migration 5).
    /// Each of those segments is read in its order up to offset + limit
    /// rows, testing findings per host through `findings(host_id, state)`,
    /// so a page near the front reads a few hundred hosts, not 100k; the
    /// page is cut from their union in the same (worst, deadline, id)
    /// order, and only its rows' counts are read.
    async fn segmented_hosts_page(
        &self,
        directive: &Directive,
        cut: &Cut<'_>,
        want: Option<u8>,
        page: crate::Page,
    ) -> Result<Vec<DbRow>> {
        let n = 2 + directive.vendors.len();
        let (late_p, dcut_p, top_p, lim_p, off_p) = (n, n + 1, n + 2, n + 3, n + 4);
        let vendors = if directive.vendors.is_empty() {
            "1 = 0".to_owned()
        } else {
            format!("f.{}", vendor_in(&directive.vendors, 2))
        };
        // Host `host`'s in-scope findings in `states`.
        let of = |host: &str, states: &str| {
            format!(
                "FROM findings f WHERE f.host_id = {host}.id AND f.first_seen <= $1 \
                 AND {vendors} AND f.state IN ({states})"
            )
        };
        let any = |states: &str| format!("EXISTS (SELECT 1 {})", of("h", states));
        let open = any("'open', 'reopened'");
        let waived = any("'waived'");
        let any_live = any("'open', 'reopened', 'waived'");
        const SCANNED: &str = "h.first_report_at <= $1";
        const DAY: &str = "SUBSTR(h.first_seen, 1, 10)";
        // The same partition as `tracking::host_status`, by rank.
        let rank_sql = |rank: u8| match rank {
            0 => format!("{SCANNED} AND {DAY} < ${late_p} AND {open}"),
            1 => format!("{SCANNED} AND {DAY} >= ${late_p} AND {open}"),
            2 => "(h.first_report_at IS NULL OR h.first_report_at > $1)".to_owned(),
            3 => format!("{SCANNED} AND NOT {open} AND {waived}"),
            _ => format!("{SCANNED} AND NOT {any_live}"),
        };
        let ranks: Vec<u8> = match want {
            Some(r) => vec![r],
            None => vec![0, 1, 2, 3],
        };
        let mut segments = Vec::with_capacity(ranks.len() * 2);
        for rank in ranks {
            let cond = rank_sql(rank);
            let parts = [
                (format!("{DAY} <= ${dcut_p}"), "''".to_owned(), "h.id".to_owned()),
                (format!("{DAY} > ${dcut_p}"), DAY.to_owned(), format!("{DAY}, h.id")),
            ];
            for (part, dkey, order) in parts {
                segments.push(format!(
                    "SELECT * FROM (SELECT h.id, h.name, h.first_seen, h.first_report_at, \
                       {rank} AS worst, {dkey} AS dkey FROM hosts h \
                       WHERE h.first_seen <= $1 AND {part} AND {cond} \
                       ORDER BY {order} LIMIT ${top_p}) s{}",
                    segments.len()
                ));
            }
        }
        let count_of = |states: &str| format!("(SELECT COUNT(*) {})", of("p", states));
        let sql = format!(
            "WITH pick AS ({}), \
             page AS (SELECT * FROM pick ORDER BY worst, dkey, id LIMIT ${lim_p} OFFSET ${off_p}) \
             SELECT p.id, p.name, p.first_seen, p.first_report_at, {} AS open_n, {} AS waived_n, \
               {} AS resolved_n FROM page p ORDER BY p.worst, p.dkey, p.id",
            segments.join(" UNION ALL "),
            count_of("'open', 'reopened'"),
            count_of("'waived'"),
            count_of("'resolved'"),
        );
        let (limit, offset) = page_binds(page);
        let top = offset.saturating_add(limit);
        self.cut_rows(sql, directive, cut, &[top, limit, offset])
            .await
    }

    /// Runs a host page's `sql`, whose binds are the as-of bound, the
    /// directive's vendors, `late`, `dcut` and then `tail`.
    async fn cut_rows(
        &self,
        sql: String,
        directive: &Directive,
        cut: &Cut<'_>,
        tail: &[i64],
    ) -> Result<Vec<DbRow>> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(cut.bound.to_owned());
        for v in &directive.vendors {
            q = q.bind(v.clone());
        }
        q = q.bind(cut.late.to_owned()).bind(cut.dcut.to_owned());
        for &n in tail {
            q = q.bind(n);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// [`Self::do_compliance_hosts`] by ranking every in-scope host in SQL
    /// and cutting the page from that: the finding states are `current`
    /// ones or replayed from the history.
    async fn ranked_hosts_page(
        &self,
        directive: &Directive,
        cut: &Cut<'_>,
        want: Option<u8>,
        page: crate::Page,
        current: bool,
    ) -> Result<Vec<DbRow>> {
        let states = Self::states_sql(directive, current);
        let n = 2 + directive.vendors.len();
        let (late_p, dcut_p, lim_p, off_p) = (n, n + 1, n + 2, n + 3);
        const COLS: &str = "h.id, h.name, h.first_seen, h.first_report_at";
        const FROM_C: &str = "FROM c JOIN hosts h ON h.id = c.host_id WHERE h.first_seen <= $1";
        // Candidates: hosts with in-scope findings, plus (for statuses that
        // hosts without any have) the others; never a join of every host
        // unless clean or not-scanned hosts are asked for.
        let candidates = match want {
            Some(2 | 4) => format!(
                "SELECT {COLS}, COALESCE(c.open_n, 0) AS open_n, COALESCE(c.waived_n, 0) AS waived_n, \
                 COALESCE(c.resolved_n, 0) AS resolved_n FROM hosts h LEFT JOIN c ON c.host_id = h.id \
                 WHERE h.first_seen <= $1"
            ),
            Some(_) => format!("SELECT {COLS}, c.open_n, c.waived_n, c.resolved_n {FROM_C}"),
            None => format!(
                "SELECT {COLS}, c.open_n, c.waived_n, c.resolved_n {FROM_C} UNION ALL \
                 SELECT {COLS}, CAST(0 AS BIGINT), CAST(0 AS BIGINT), CAST(0 AS BIGINT) FROM hosts h \
                 WHERE h.first_seen <= $1 AND (h.first_report_at IS NULL OR h.first_report_at > $1) \
                 AND NOT EXISTS (SELECT 1 FROM c WHERE c.host_id = h.id)"
            ),
        };
        let filter = match want {
            None => "worst < 4".to_string(),
            Some(r) => format!("worst = {r}"),
        };
        let sql = format!(
            "WITH c AS (SELECT host_id, \
               CAST(SUM(CASE WHEN state IN ('open', 'reopened') THEN 1 ELSE 0 END) AS BIGINT) AS open_n, \
               CAST(SUM(CASE WHEN state = 'waived' THEN 1 ELSE 0 END) AS BIGINT) AS waived_n, \
               CAST(SUM(CASE WHEN state = 'resolved' THEN 1 ELSE 0 END) AS BIGINT) AS resolved_n \
               FROM ({states}) st GROUP BY host_id), \
             x AS ({candidates}), \
             y AS (SELECT x.*, CASE WHEN x.first_report_at IS NULL OR x.first_report_at > $1 THEN 2 \
               WHEN x.open_n > 0 AND SUBSTR(x.first_seen, 1, 10) < ${late_p} THEN 0 \
               WHEN x.open_n > 0 THEN 1 WHEN x.waived_n > 0 THEN 3 ELSE 4 END AS worst, \
               CASE WHEN SUBSTR(x.first_seen, 1, 10) > ${dcut_p} THEN SUBSTR(x.first_seen, 1, 10) \
               ELSE '' END AS dkey FROM x) \
             SELECT id, name, first_seen, first_report_at, open_n, waived_n, resolved_n FROM y \
             WHERE {filter} ORDER BY worst, dkey, id LIMIT ${lim_p} OFFSET ${off_p}"
        );
        let (limit, offset) = page_binds(page);
        self.cut_rows(sql, directive, cut, &[limit, offset]).await
    }

    async fn do_compliance(
        &self,
        name: &str,
        as_of: &str,
        grace_days: u32,
    ) -> Result<crate::Compliance> {
        let directive = self.directive_named(name).await?;
        let bound = tracking::as_of_bound(as_of)?;
        let as_of_date = bound[..10].to_owned();
        let directive_deadline = tracking::directive_deadline(&directive)?;
        let states = Self::states_sql(&directive, self.states_are_current(&bound).await?);
        // Two plain queries merged here: SQLite joins a grouped CTE to 100k
        // hosts several times slower than it runs them apart.
        let sql = format!(
            "SELECT host_id, \
               SUM(CASE WHEN state IN ('open', 'reopened') THEN 1 ELSE 0 END) AS open_n, \
               SUM(CASE WHEN state = 'waived' THEN 1 ELSE 0 END) AS waived_n, \
               SUM(CASE WHEN state = 'resolved' THEN 1 ELSE 0 END) AS resolved_n \
             FROM ({states}) st GROUP BY host_id"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(bound.clone());
        for v in &directive.vendors {
            q = q.bind(v.clone());
        }
        let mut by_host = HashMap::new();
        for r in q.fetch_all(&self.pool).await? {
            let counts = tracking::Counts {
                open: count(&r, "open_n")?,
                waived: count(&r, "waived_n")?,
                resolved: count(&r, "resolved_n")?,
            };
            by_host.insert(r.try_get::<i64, _>("host_id")?, counts);
        }
        let rows = sqlx::query(
            "SELECT id, name, first_seen, first_report_at FROM hosts WHERE first_seen <= $1 ORDER BY id",
        )
        .bind(bound.clone())
        .fetch_all(&self.pool)
        .await?;
        // A row per host (100k): decoded on a blocking thread, so a full
        // compliance read does not hold up the async workers (dashboard
        // pages, ingest) meanwhile.
        let (deadline, at) = (directive_deadline.clone(), bound.clone());
        let (totals, hosts) = tokio::task::spawn_blocking(move || {
            compliance_rows(&rows, &by_host, &at, &deadline, grace_days)
        })
        .await
        .map_err(|e| Error::with(ErrorKind::Database, "compliance worker failed", e))??;
        Ok(crate::Compliance {
            schema: "uproot.compliance/1".into(),
            milestones: tracking::milestones(&directive, &as_of_date)?,
            directive,
            as_of: as_of.to_owned(),
            grace_days,
            totals,
            hosts,
        })
    }

    async fn do_burndown(
        &self,
        directive: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<crate::BurndownPoint>> {
        let days = tracking::dates(from, to)?;
        let vendors = match directive {
            Some(name) => Some(self.directive_named(name).await?.vendors),
            None => None,
        };
        let cond = match &vendors {
            Some(v) => vendor_in(v, 2),
            None => "1 = 1".into(),
        };
        // Each event is a transition from the finding's previous state: summed
        // per day they give the change in each count.
        let sql = format!(
            "SELECT SUBSTR(at, 1, 10) AS d, state, prev_state AS prev, COUNT(*) AS n \
             FROM finding_events WHERE at <= $1 AND {cond} \
             GROUP BY SUBSTR(at, 1, 10), state, prev_state ORDER BY d"
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(format!("{to}T23:59:59Z"));
        for v in vendors.iter().flatten() {
            q = q.bind(v.clone());
        }
        let rows = q.fetch_all(&self.pool).await?;
        let mut counts = std::collections::BTreeMap::new();
        let mut points = Vec::with_capacity(days.len());
        let mut next = 0;
        for day in days {
            while let Some(r) = rows.get(next) {
                let d: String = r.try_get("d")?;
                if d > day {
                    break;
                }
                let to_state: String = r.try_get("state")?;
                let prev: Option<String> = r.try_get("prev")?;
                let n: i64 = r.try_get("n")?;
                tracking::apply_transition(&mut counts, prev.as_deref(), &to_state, n);
                next += 1;
            }
            points.push(tracking::burndown_point(day, &counts));
        }
        Ok(points)
    }

    /// Up to `limit` hosts with ids above `after`, each with its newest
    /// report (by generation time), if any: one page of a keyset walk.
    async fn latest_reports_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT h.id, (SELECT r.report_id FROM reports r WHERE r.host_id = h.id \
               ORDER BY r.generated_at DESC, r.id DESC LIMIT 1) AS latest \
             FROM hosts h WHERE h.id > $1 ORDER BY h.id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get::<Option<String>, _>(1)?)))
            .collect()
    }

    async fn do_rematch(
        &self,
        catalog: &uproot_catalog::CompiledCatalog,
        version: &str,
        actor: &str,
    ) -> Result<crate::Rematch> {
        if version.is_empty() || actor.is_empty() {
            return Err(Error::new(
                ErrorKind::Invalid,
                "a re-match needs a catalog version and an actor",
            ));
        }
        let mut total = crate::Rematch {
            catalog_version: version.to_owned(),
            ..Default::default()
        };
        // Hosts are walked in chunks, so only one chunk of bodies is in
        // memory; decoding and matching (CPU work) run off the async
        // workers and outside any transaction, and each chunk is one small
        // transaction, so ingest keeps flowing between chunks.
        let mut after = 0;
        loop {
            let hosts = self.latest_reports_after(after, REMATCH_CHUNK).await?;
            let Some(&(last, _)) = hosts.last() else {
                break;
            };
            after = last;
            let mut bodies = Vec::with_capacity(hosts.len());
            for (host_id, rid) in hosts {
                let Some(rid) = rid else { continue };
                if let Some(body) = self.do_report_body(&rid).await? {
                    bodies.push((host_id, rid, body));
                }
            }
            let inventories = tokio::task::spawn_blocking(move || stored_inventories(bodies))
                .await
                .map_err(|e| Error::with(ErrorKind::Database, "re-match worker failed", e))??;
            let matched = off_the_workers(|| {
                inventories
                    .into_iter()
                    .map(|(host_id, rid, inv)| {
                        (host_id, rid, uproot_matcher::match_inventory(catalog, &inv))
                    })
                    .collect::<Vec<_>>()
            });
            self.apply_rematch(&matched, version, actor, &mut total)
                .await?;
        }
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        let detail = serde_json::to_value(&total).unwrap_or_default();
        audit_row(&mut tx, &now, actor, "catalog.rematch", &format!("catalog:{version}"), detail)
            .await?;
        tx.commit().await?;
        Ok(total)
    }

    async fn apply_rematch(
        &self,
        matched: &[(i64, String, Vec<uproot_matcher::Finding>)],
        version: &str,
        actor: &str,
        total: &mut crate::Rematch,
    ) -> Result<()> {
        let now = uproot_report::rfc3339_now();
        let mut tx = self.begin().await?;
        let ids: Vec<i64> = matched.iter().map(|m| m.0).collect();
        lock_hosts(&mut tx, &ids).await?;
        let waivers = active_waivers(&mut tx, &now).await?;
        for (host_id, rid, findings) in matched {
            // A report that arrived since the match is newer than this
            // inventory: it decides the host's findings, not the re-match.
            let still: Option<String> = sqlx::query(
                "SELECT report_id FROM reports WHERE host_id = $1 \
                 ORDER BY generated_at DESC, id DESC LIMIT 1",
            )
            .bind(*host_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
            if still.as_deref() != Some(rid.as_str()) {
                continue;
            }
            let report_id = format!("rematch:{version}:{rid}");
            let ctx = Apply {
                host_id: *host_id,
                report_id: &report_id,
                now: &now,
                actor,
                waivers: &waivers,
            };
            let mut out = Ingest::default();
            apply_findings(&mut tx, &ctx, findings, &mut out).await?;
            total.hosts += 1;
            total.opened += out.opened;
            total.resolved += out.resolved;
            total.reopened += out.reopened;
        }
        tx.commit().await?;
        Ok(())
    }
}
