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

/// A waiver to add.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewWaiver {
    /// `finding`, `host`, `product` or `vendor`.
    pub scope_kind: String,
    /// Finding id, host id (decimal), product id or vendor id.
    pub scope_value: String,
    /// Written justification.
    pub justification: String,
    /// Who approved it.
    pub approver: String,
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
    /// When `expire_waivers` expired it.
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
