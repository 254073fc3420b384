//! Plain data types the store reads and writes.

use serde::{Deserialize, Serialize};

/// What an agent tells the server about its host when it enrolls.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct HostFacts {
    /// Host name.
    pub name: String,
    /// `/etc/machine-id` or the platform equivalent; re-enrollment with the
    /// same machine id keeps the host's id and history.
    pub machine_id: Option<String>,
    /// OS family.
    pub os: String,
}

/// A stored host.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostRow {
    /// Host id.
    pub id: i64,
    /// Host name.
    pub name: String,
    /// Machine id.
    pub machine_id: Option<String>,
    /// OS family.
    pub os: String,
    /// Enrollment time.
    pub first_seen: String,
    /// Last enrollment or report.
    pub last_seen: String,
}

/// What one ingest changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Ingest {
    /// The report id was already stored; nothing changed.
    pub duplicate: bool,
    /// Findings seen for the first time.
    pub opened: u64,
    /// Findings absent from this report that were open.
    pub resolved: u64,
    /// Resolved findings seen again.
    pub reopened: u64,
}

/// The state of a tracked finding.
pub mod state {
    /// Seen, not yet removed.
    pub const OPEN: &str = "open";
    /// Absent from a later report of the same host.
    pub const RESOLVED: &str = "resolved";
    /// Resolved, then seen again.
    pub const REOPENED: &str = "reopened";
    /// Covered by an unexpired waiver.
    pub const WAIVED: &str = "waived";
}

/// A finding tracked across reports.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrackedFinding {
    /// Host id.
    pub host_id: i64,
    /// The report's stable finding id.
    pub finding_id: String,
    /// Vendor id.
    pub vendor: String,
    /// Product id.
    pub product: String,
    /// Evidence kind.
    pub kind: String,
    /// Indicator id.
    pub indicator: String,
    /// Evidence source.
    pub evidence_source: String,
    /// Evidence key.
    pub evidence_key: String,
    /// Severity.
    pub severity: String,
    /// `open`, `resolved`, `reopened` or `waived` (see [`state`]).
    pub state: String,
    /// First report time.
    pub first_seen: String,
    /// Last report that contained it.
    pub last_seen: String,
    /// When it was resolved.
    pub resolved_at: Option<String>,
    /// The report that verified its absence.
    pub resolved_by_report: Option<String>,
    /// The waiver covering it.
    pub waiver_id: Option<i64>,
}

/// Which findings to list; `None` matches everything.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct FindingFilter {
    /// State.
    pub status: Option<String>,
    /// Vendor id.
    pub vendor: Option<String>,
    /// Host id.
    pub host: Option<i64>,
}

/// A waiver to add. It starts `pending` and waives nothing until
/// [`crate::Store::approve_waiver`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewWaiver {
    /// `finding`, `host`, `product` or `vendor`.
    pub scope_kind: String,
    /// Finding id, host id (decimal), product id or vendor id.
    pub scope_value: String,
    /// Written justification (the directive's written-response path).
    pub justification: String,
    /// Compensating controls in place while the waiver lasts.
    #[serde(default)]
    pub mitigations: String,
    /// The directive the waiver answers, if any.
    #[serde(default)]
    pub directive: Option<String>,
    /// Who asked for it.
    pub requested_by: String,
    /// Creation time.
    pub created_at: String,
    /// Expiry time.
    pub expires_at: String,
}

/// A stored waiver.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Waiver {
    /// Waiver id.
    pub id: i64,
    /// The waiver as added.
    #[serde(flatten)]
    pub waiver: NewWaiver,
    /// `pending`, `approved` or `expired` (see [`waiver_status`]).
    pub status: String,
    /// Who approved it.
    pub approver: Option<String>,
    /// When it was approved.
    pub approved_at: Option<String>,
    /// When it expired (or was expired by an admin).
    pub expired_at: Option<String>,
}

/// A directive milestone.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Milestone {
    /// Name.
    pub name: String,
    /// Days after `issued`.
    pub day: u32,
}

/// A directive: vendors in scope and milestones.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Directive {
    /// Short name (`bod-17-01`).
    pub name: String,
    /// Title.
    pub title: String,
    /// Issue date (`YYYY-MM-DD`).
    pub issued: String,
    /// Vendor ids in scope.
    pub vendors: Vec<String>,
    /// Milestones.
    pub milestones: Vec<Milestone>,
    /// Built in (seeded by a migration).
    #[serde(default)]
    pub builtin: bool,
}

/// One audit row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRow {
    /// Row id.
    pub id: i64,
    /// Time.
    pub at: String,
    /// Who: `host:ID`, an approver, `system`.
    pub actor: String,
    /// What: `host.enroll`, `report.ingest`, `finding.open`, …
    pub action: String,
    /// The object: `host:ID`, `finding:HOST/ID`, `waiver:ID`, …
    pub subject: String,
    /// Details.
    pub detail: serde_json::Value,
}

pub(crate) const SCOPE_KINDS: &[&str] = &["finding", "host", "product", "vendor"];

// ---------------------------------------------------------------------------
// Server-facing types (issue 5). Plain data; the HTTP layer serialises these
// directly, so field names are part of the `/api/v1` contract.
// ---------------------------------------------------------------------------

/// Who a dashboard login or API token acts as.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, manages waivers, directives, tokens and users.
    Admin,
    /// Reads everything, changes nothing.
    Auditor,
}

impl Role {
    /// `admin` or `auditor`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// Parses `admin` or `auditor`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

/// A stored API token (its hash never leaves the store).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiToken {
    /// Token id.
    pub id: i64,
    /// Role.
    pub role: Role,
    /// Free-text label given at creation.
    pub label: String,
    /// Creation time.
    pub created_at: String,
}

/// A dashboard user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct User {
    /// Login name.
    pub username: String,
    /// Argon2id PHC string (`$argon2id$…`).
    pub password_hash: String,
    /// Role.
    pub role: Role,
}

/// A dashboard session, looked up by the hash of its cookie value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Anti-CSRF token every form of this session must echo.
    pub csrf: String,
    /// Expiry time.
    pub expires_at: String,
}

/// A report as the server hands it to the store: the parts tracking needs,
/// already parsed, and the whole document gzip-compressed for history and
/// re-matching. Parsing only the header keeps ingest cheap; the inventory is
/// not deserialised on the hot path.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// Host the token belongs to.
    pub host_id: i64,
    /// [`crate::report_id_of_bytes`] of the uncompressed document.
    pub report_id: String,
    /// The report's `generated_at`.
    pub generated_at: String,
    /// The report's `catalog.version`.
    pub catalog_version: String,
    /// The report's findings.
    pub findings: Vec<uproot_matcher::Finding>,
    /// The report's summary.
    pub summary: uproot_report::Summary,
    /// The uncompressed document, gzip-compressed.
    pub body_gz: Vec<u8>,
}

/// One page of a listing.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Page {
    /// At most this many rows.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

impl Default for Page {
    fn default() -> Page {
        Page {
            limit: 100,
            offset: 0,
        }
    }
}

/// Which hosts to list; `None` matches everything.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct HostFilter {
    /// Substring of the host name.
    pub name: Option<String>,
    /// `affected` (open or reopened findings), `clean`, `waived` (only waived
    /// findings left).
    pub status: Option<String>,
}

/// A host with its finding counts, for listings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostSummary {
    /// The host.
    #[serde(flatten)]
    pub host: HostRow,
    /// Open or reopened findings.
    pub open: u64,
    /// Waived findings.
    pub waived: u64,
    /// Resolved findings.
    pub resolved: u64,
    /// Time of the newest report, if any.
    pub last_report_at: Option<String>,
}

/// One stored report, without its body.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportMeta {
    /// Report id.
    pub report_id: String,
    /// Host id.
    pub host_id: i64,
    /// When the server stored it.
    pub received_at: String,
    /// When the agent generated it.
    pub generated_at: String,
    /// Catalog version the agent matched with.
    pub catalog_version: String,
    /// Findings it carried.
    pub findings: u64,
}

/// Lifecycle of a waiver.
pub mod waiver_status {
    /// Requested, not yet approved: waives nothing.
    pub const PENDING: &str = "pending";
    /// Approved and unexpired: waives the findings in scope.
    pub const APPROVED: &str = "approved";
    /// Past its expiry or expired by an admin: its findings are reopened.
    pub const EXPIRED: &str = "expired";
}

/// Compliance of the fleet with one directive at one moment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Compliance {
    /// `uproot.compliance/1`.
    pub schema: String,
    /// The directive.
    pub directive: Directive,
    /// The moment the figures describe (RFC 3339).
    pub as_of: String,
    /// Grace period, in days, for hosts first seen after the deadline.
    pub grace_days: u32,
    /// Each milestone with its due date and whether it has passed at `as_of`.
    pub milestones: Vec<MilestoneStatus>,
    /// Fleet totals.
    pub totals: ComplianceTotals,
    /// One row per host that existed at `as_of`, ordered by host id.
    pub hosts: Vec<HostCompliance>,
}

/// A milestone's due date.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MilestoneStatus {
    /// Name.
    pub name: String,
    /// Days after the directive's issue date.
    pub day: u32,
    /// Due date (`YYYY-MM-DD`).
    pub due: String,
    /// `as_of` is after the due date.
    pub passed: bool,
}

/// Fleet totals for one directive.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ComplianceTotals {
    /// Hosts known at `as_of`.
    pub hosts: u64,
    /// Hosts that had reported at `as_of`.
    pub scanned: u64,
    /// Hosts with no open in-scope finding and none waived.
    pub clean: u64,
    /// Hosts with open (or reopened) in-scope findings.
    pub affected: u64,
    /// Hosts whose only in-scope findings are waived.
    pub waived: u64,
    /// Hosts with at least one overdue finding.
    pub overdue: u64,
    /// In-scope findings by state.
    pub findings_open: u64,
    /// Waived in-scope findings.
    pub findings_waived: u64,
    /// Resolved in-scope findings.
    pub findings_resolved: u64,
}

/// One host's compliance with one directive.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostCompliance {
    /// Host id.
    pub host_id: i64,
    /// Host name.
    pub name: String,
    /// First seen.
    pub first_seen: String,
    /// The host's removal deadline (`YYYY-MM-DD`): the directive's last
    /// milestone, or first-seen plus the grace period when that is later.
    pub deadline: String,
    /// `clean`, `affected`, `waived`, `overdue` or `not-scanned`.
    pub status: String,
    /// Open or reopened in-scope findings.
    pub open: u64,
    /// Waived in-scope findings.
    pub waived: u64,
    /// Resolved in-scope findings.
    pub resolved: u64,
}

/// Fleet finding counts on one day, for the burndown chart.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BurndownPoint {
    /// Day (`YYYY-MM-DD`), counts as of its end.
    pub date: String,
    /// Open or reopened.
    pub open: u64,
    /// Waived.
    pub waived: u64,
    /// Resolved.
    pub resolved: u64,
}

/// What re-matching stored inventories against a new catalog changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Rematch {
    /// Catalog version matched with.
    pub catalog_version: String,
    /// Hosts whose latest report was re-matched.
    pub hosts: u64,
    /// Findings seen for the first time.
    pub opened: u64,
    /// Findings the new catalog no longer produces.
    pub resolved: u64,
    /// Resolved findings produced again.
    pub reopened: u64,
}
