// Compliance, burndown and re-matching. Included by common.rs.

/// `vendor IN ($start, …)` for the directive's vendors (never true for none).
fn vendor_in(vendors: &[String], start: usize) -> String {
    if vendors.is_empty() {
        "1 = 0".into()
    } else {
        format!("vendor IN ({})", placeholders(start, vendors.len()))
    }
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
    /// SQL for `(host_id, state)` of every in-scope finding at `bound`, with
    /// `bound` as `$1` and the directive's vendors from `$2`.
    async fn states_sql(&self, directive: &Directive, bound: &str) -> Result<String> {
        // When nothing happened after `as_of`, the current states are the
        // states at `as_of`: read them from `findings` instead of replaying
        // the history (the dashboard's common case).
        let latest: Option<String> = sqlx::query("SELECT MAX(at) FROM finding_events")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        let current = latest.as_deref().is_none_or(|l| l <= bound);
        let vendors = vendor_in(&directive.vendors, 2);
        Ok(if current {
            format!("SELECT host_id, state FROM findings WHERE first_seen <= $1 AND {vendors}")
        } else {
            format!(
                "SELECT host_id, state FROM (SELECT host_id, state, ROW_NUMBER() OVER \
                   (PARTITION BY host_id, finding_id ORDER BY at DESC, id DESC) AS rn \
                   FROM finding_events WHERE at <= $1 AND {vendors}) last WHERE rn = 1"
            )
        })
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
        let states = self.states_sql(&directive, &bound).await?;
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
        let mut groups: HashMap<(String, bool), u64> = HashMap::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(all_sql))
            .bind(bound.clone())
            .fetch_all(&self.pool)
            .await?
        {
            let day: String = r.try_get("day")?;
            let (scanned, n) = (count(&r, "scanned")?, count(&r, "n")?);
            groups.insert((day.clone(), true), scanned);
            groups.insert((day, false), n.saturating_sub(scanned));
        }
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
        for r in q.fetch_all(&self.pool).await? {
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
        let states = self.states_sql(&directive, &bound).await?;
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
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(bound.clone());
        for v in &directive.vendors {
            q = q.bind(v.clone());
        }
        let rows = q
            .bind(late)
            .bind(dcut)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
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
            hosts.push(crate::HostCompliance {
                host_id: r.try_get("id")?,
                name: r.try_get("name")?,
                first_seen,
                deadline,
                status: status.to_owned(),
                open: counts.open,
                waived: counts.waived,
                resolved: counts.resolved,
            });
        }
        Ok(hosts)
    }

    async fn do_compliance(
        &self,
        name: &str,
        as_of: &str,
        grace_days: u32,
    ) -> Result<crate::Compliance> {
        let directive = self.directive_named(name).await?;
        let bound = tracking::as_of_bound(as_of)?;
        let as_of_date = &bound[..10];
        let directive_deadline = tracking::directive_deadline(&directive)?;
        let states = self.states_sql(&directive, &bound).await?;
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
        let mut totals = crate::ComplianceTotals::default();
        let mut hosts = Vec::with_capacity(rows.len());
        // Hosts enrolled on the same day share a deadline.
        let mut deadlines: HashMap<String, String> = HashMap::new();
        for r in &rows {
            let id: i64 = r.try_get(0)?;
            let counts = by_host.get(&id).copied().unwrap_or_default();
            let first_seen: String = r.try_get(2)?;
            let first_report: Option<String> = r.try_get(3)?;
            let scanned = first_report.is_some_and(|t| t <= bound);
            let day = first_seen.get(..10).unwrap_or(&first_seen).to_owned();
            let deadline = match deadlines.get(&day) {
                Some(d) => d.clone(),
                None => {
                    let d = tracking::host_deadline(&directive_deadline, &day, grace_days)?;
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
            hosts.push(crate::HostCompliance {
                host_id: id,
                name: r.try_get(1)?,
                first_seen,
                deadline,
                status: status.to_owned(),
                open: counts.open,
                waived: counts.waived,
                resolved: counts.resolved,
            });
        }
        Ok(crate::Compliance {
            schema: "uproot.compliance/1".into(),
            milestones: tracking::milestones(&directive, as_of_date)?,
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
