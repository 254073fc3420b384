// The `Store` trait, delegating to the methods above. Included by common.rs.

impl crate::Store for StoreTy {
    fn notices(&self) -> Vec<String> {
        self.backend_notices()
    }
    fn enroll_host<'a>(
        &'a self,
        facts: &'a HostFacts,
        token_hash: &'a str,
    ) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.do_enroll(facts, token_hash))
    }
    fn host_by_token_hash<'a>(&'a self, token_hash: &'a str) -> BoxFuture<'a, Result<Option<i64>>> {
        Box::pin(self.do_host_by_token(token_hash))
    }
    fn ingest_report<'a>(
        &'a self,
        host_id: i64,
        report: &'a uproot_report::Report,
    ) -> BoxFuture<'a, Result<Ingest>> {
        Box::pin(self.do_ingest(host_id, report))
    }
    fn findings<'a>(
        &'a self,
        filter: &'a FindingFilter,
    ) -> BoxFuture<'a, Result<Vec<TrackedFinding>>> {
        Box::pin(self.do_findings(filter))
    }
    fn hosts(&self) -> BoxFuture<'_, Result<Vec<HostRow>>> {
        Box::pin(self.do_hosts())
    }
    fn add_waiver<'a>(&'a self, waiver: &'a NewWaiver) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.do_add_waiver(waiver))
    }
    fn approve_waiver<'a>(
        &'a self,
        id: i64,
        approver: &'a str,
        at: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.do_approve(id, approver, at))
    }
    fn expire_waiver<'a>(
        &'a self,
        id: i64,
        actor: &'a str,
        at: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.do_expire_one(id, actor, at))
    }
    fn waivers(&self) -> BoxFuture<'_, Result<Vec<Waiver>>> {
        Box::pin(self.do_waivers())
    }
    fn expire_waivers<'a>(&'a self, now: &'a str) -> BoxFuture<'a, Result<u64>> {
        Box::pin(self.do_expire(now))
    }
    fn directives(&self) -> BoxFuture<'_, Result<Vec<Directive>>> {
        Box::pin(self.do_directives())
    }
    fn add_directive<'a>(
        &'a self,
        directive: &'a Directive,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.do_add_directive(directive, actor))
    }
    fn audit<'a>(&'a self, since: &'a str) -> BoxFuture<'a, Result<Vec<AuditRow>>> {
        Box::pin(self.do_audit(since))
    }
    fn ingest_batch<'a>(
        &'a self,
        batch: &'a [Submission],
    ) -> BoxFuture<'a, Result<Vec<Result<Ingest>>>> {
        Box::pin(self.do_ingest_batch(batch))
    }
    fn host(&self, id: i64) -> BoxFuture<'_, Result<Option<HostRow>>> {
        Box::pin(self.do_host(id))
    }
    fn host_summaries<'a>(
        &'a self,
        filter: &'a crate::HostFilter,
        page: crate::Page,
    ) -> BoxFuture<'a, Result<(Vec<crate::HostSummary>, u64)>> {
        Box::pin(self.do_host_summaries(filter, page))
    }
    fn findings_page<'a>(
        &'a self,
        filter: &'a FindingFilter,
        page: crate::Page,
    ) -> BoxFuture<'a, Result<(Vec<TrackedFinding>, u64)>> {
        Box::pin(self.do_findings_page(filter, page))
    }
    fn reports_for_host(
        &self,
        host_id: i64,
        page: crate::Page,
    ) -> BoxFuture<'_, Result<Vec<crate::ReportMeta>>> {
        Box::pin(self.do_reports_for_host(host_id, page))
    }
    fn report_body<'a>(&'a self, report_id: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>>> {
        Box::pin(self.do_report_body(report_id))
    }
    fn compliance<'a>(
        &'a self,
        directive: &'a str,
        as_of: &'a str,
        grace_days: u32,
    ) -> BoxFuture<'a, Result<crate::Compliance>> {
        Box::pin(self.do_compliance(directive, as_of, grace_days))
    }
    fn compliance_summary<'a>(
        &'a self,
        directive: &'a str,
        as_of: &'a str,
        grace_days: u32,
    ) -> BoxFuture<'a, Result<crate::Compliance>> {
        Box::pin(self.do_compliance_summary(directive, as_of, grace_days))
    }
    fn compliance_hosts<'a>(
        &'a self,
        directive: &'a str,
        as_of: &'a str,
        grace_days: u32,
        status: Option<&'a str>,
        page: crate::Page,
    ) -> BoxFuture<'a, Result<Vec<crate::HostCompliance>>> {
        Box::pin(self.do_compliance_hosts(directive, as_of, grace_days, status, page))
    }
    fn burndown<'a>(
        &'a self,
        directive: Option<&'a str>,
        from: &'a str,
        to: &'a str,
    ) -> BoxFuture<'a, Result<Vec<crate::BurndownPoint>>> {
        Box::pin(self.do_burndown(directive, from, to))
    }
    fn rematch<'a>(
        &'a self,
        catalog: &'a uproot_catalog::CompiledCatalog,
        catalog_version: &'a str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<crate::Rematch>> {
        Box::pin(self.do_rematch(catalog, catalog_version, actor))
    }
    fn create_api_token<'a>(
        &'a self,
        role: crate::Role,
        token_hash: &'a str,
        label: &'a str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<i64>> {
        Box::pin(self.do_create_api_token(role, token_hash, label, actor))
    }
    fn api_token_role<'a>(&'a self, token_hash: &'a str) -> BoxFuture<'a, Result<Option<crate::Role>>> {
        Box::pin(self.do_api_token_role(token_hash))
    }
    fn put_user<'a>(&'a self, user: &'a crate::User, actor: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.do_put_user(user, actor))
    }
    fn user<'a>(&'a self, username: &'a str) -> BoxFuture<'a, Result<Option<crate::User>>> {
        Box::pin(self.do_user(username))
    }
    fn create_session<'a>(
        &'a self,
        session_hash: &'a str,
        session: &'a crate::Session,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.do_create_session(session_hash, session))
    }
    fn session<'a>(
        &'a self,
        session_hash: &'a str,
        now: &'a str,
    ) -> BoxFuture<'a, Result<Option<crate::Session>>> {
        Box::pin(self.do_session(session_hash, now))
    }
    fn delete_session<'a>(&'a self, session_hash: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.do_delete_session(session_hash))
    }
    fn setting<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<String>>> {
        Box::pin(self.do_setting(key))
    }
    fn set_setting<'a>(
        &'a self,
        key: &'a str,
        value: &'a str,
        actor: &'a str,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.do_set_setting(key, value, actor))
    }
    fn record<'a>(
        &'a self,
        actor: &'a str,
        action: &'a str,
        subject: &'a str,
        detail: serde_json::Value,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.do_record(actor, action, subject, detail))
    }
}
