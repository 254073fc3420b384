//! The `uproot.evidence/1` record: what was verified, signed by the host.
//!
//! ```text
//! {
//!   "payload":   { … everything below, signed … },
//!   "schema":    "uproot.evidence/1",
//!   "signature": { "algorithm": "ed25519", "fingerprint": "sha256:…",
//!                  "payload_sha256": "…", "public_key": "<hex>", "value": "<hex>" }
//! }
//! ```
//!
//! The signature is ed25519 over `uproot.evidence/1\n` followed by the
//! compact [canonical](crate::canonical) JSON of `payload`; `payload_sha256`
//! is the SHA-256 of that canonical JSON (without the prefix). The file is the
//! pretty canonical JSON of the whole record, and [`check`] requires the file
//! to be exactly that, so any changed byte fails the check: inside the payload
//! the signature breaks, outside it the canonical form does.
//!
//! The payload embeds the signer's public key too (`payload.signer`), so the
//! key is covered by its own signature and cannot be swapped for another
//! without re-signing; whether the signer is the *expected* host is what
//! `uproot evidence check --pubkey` answers.

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::{Signature as EdSignature, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uproot_inventory::{Host, SourceError};
use uproot_report::Report;

use crate::canonical::{self, hex, sha256_hex, unhex};
use crate::compare::{Counts, FindingRef, VendorSummary, Verdict, VerdictEntry, Verification};
use crate::keys::{fingerprint, ExpectedSigner, HostKey};
use crate::replacement::Replacement;

/// The schema identifier of evidence records.
pub const SCHEMA: &str = "uproot.evidence/1";

/// Prepended to the canonical payload before signing, so a signature over an
/// evidence record can never be replayed as a signature over anything else.
pub const SIGNING_CONTEXT: &[u8] = b"uproot.evidence/1\n";

/// The host's overall state after verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostStatus {
    /// Everything removed, nothing new, and replacement protection is active.
    Clean,
    /// A covered component is still present (or a new one appeared).
    Affected,
    /// Only leftovers remain.
    RemnantsOnly,
    /// Nothing remains that could be seen, but a source could not be read.
    Incomplete,
    /// Everything removed, but no replacement protection is active.
    UnprotectedAfterRemoval,
}

impl HostStatus {
    /// The stable name used in the record.
    pub fn as_str(self) -> &'static str {
        match self {
            HostStatus::Clean => "clean",
            HostStatus::Affected => "affected",
            HostStatus::RemnantsOnly => "remnants-only",
            HostStatus::Incomplete => "incomplete",
            HostStatus::UnprotectedAfterRemoval => "unprotected-after-removal",
        }
    }

    /// Derives the status. Precedence: affected, remnants-only, incomplete,
    /// unprotected-after-removal, clean.
    pub fn derive(counts: &Counts, new_active: bool, protected: bool) -> HostStatus {
        if counts.still_present > 0 || new_active {
            HostStatus::Affected
        } else if counts.remnant > 0 || counts.new > 0 {
            HostStatus::RemnantsOnly
        } else if counts.unverified > 0 {
            HostStatus::Incomplete
        } else if !protected {
            HostStatus::UnprotectedAfterRemoval
        } else {
            HostStatus::Clean
        }
    }
}

/// A finding about the host itself rather than a covered product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostFinding {
    /// Stable id (kind + host).
    pub id: String,
    /// `unprotected-after-removal` when everything covered is gone and nothing
    /// replaced it; `no-replacement-protection` while removal is unfinished.
    pub kind: String,
    /// `high` or `medium`.
    pub severity: String,
    /// One line a person can read.
    pub summary: String,
    /// What must be done.
    pub action: String,
    /// The replacement check's reason.
    pub reason: String,
}

/// The host findings that follow from a verification and a replacement check.
pub fn host_findings(
    status: HostStatus,
    replacement: &Replacement,
    host: &Host,
) -> Vec<HostFinding> {
    if replacement.protected {
        return Vec::new();
    }
    let (kind, severity, summary) = if status == HostStatus::UnprotectedAfterRemoval {
        (
            "unprotected-after-removal",
            "high",
            "covered software was removed but no replacement endpoint protection is active",
        )
    } else {
        (
            "no-replacement-protection",
            "medium",
            "no replacement endpoint protection is active yet; finishing the removal will leave the host unprotected",
        )
    };
    let id_input = format!(
        "{kind}\0{}\0{}\0{}",
        host.hostname,
        host.machine_id.as_deref().unwrap_or(""),
        host.root
    );
    vec![HostFinding {
        id: sha256_hex(id_input.as_bytes())[..16].to_owned(),
        kind: kind.into(),
        severity: severity.into(),
        summary: summary.into(),
        action: "Install and enable endpoint protection that is not from a covered vendor (the directive requires removal and replacement), then run `uproot verify` again.".into(),
        reason: replacement.reason.clone(),
    }]
}

/// A file the record vouches for by digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Path as given on the command line, when there was a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
    /// Non-empty lines (JSON-lines action logs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<u64>,
}

impl Artifact {
    /// Digest of `bytes`, read from `path`.
    pub fn of(path: Option<&Path>, bytes: &[u8]) -> Artifact {
        Artifact {
            path: path.map(|p| p.display().to_string()),
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
            lines: None,
        }
    }

    /// Digest of a JSON-lines log, with its entry count.
    pub fn of_log(path: Option<&Path>, bytes: &[u8]) -> Artifact {
        let lines = bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .count() as u64;
        Artifact {
            lines: Some(lines),
            ..Artifact::of(path, bytes)
        }
    }
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The report's digest.
    pub report: Artifact,
    /// `saved-report` (a file given) or `rescan` (scanned by `uproot verify`).
    pub method: String,
    /// When the report was made.
    pub generated_at: String,
    /// Version of the uproot that made it.
    pub tool_version: String,
    /// Catalog version it was matched with.
    pub catalog_version: String,
    /// Host name it describes.
    pub hostname: String,
    /// Root it scanned.
    pub root: String,
    /// True for a scan of the running system.
    pub live: bool,
    /// Sources that scan could not read.
    pub errors: Vec<SourceError>,
    /// Its findings.
    pub findings: Vec<FindingRef>,
}

impl Snapshot {
    /// The snapshot of `report`, whose bytes digest to `artifact`.
    pub fn of(report: &Report, artifact: Artifact, method: &str) -> Snapshot {
        Snapshot {
            report: artifact,
            method: method.into(),
            generated_at: report.generated_at.clone(),
            tool_version: report.tool.version.clone(),
            catalog_version: report.catalog.version.clone(),
            hostname: report.host.hostname.clone(),
            root: report.host.root.clone(),
            live: report.host.live,
            errors: report.errors.clone(),
            findings: report.findings.iter().map(FindingRef::from).collect(),
        }
    }
}

/// The tool that wrote the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Always `uproot`.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// Who signed the record (also inside the signed payload).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    /// Always `ed25519`.
    pub algorithm: String,
    /// Public key, 64 hex digits.
    pub public_key: String,
    /// `sha256:` + hex SHA-256 of the raw public key.
    pub fingerprint: String,
}

/// Catalog versions on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogVersions {
    /// Before.
    pub before: String,
    /// After.
    pub after: String,
}

/// The outcome in numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordSummary {
    /// Overall host status.
    pub status: HostStatus,
    /// True only when the status is `clean`.
    pub passed: bool,
    /// Whether replacement protection is active.
    pub protected: bool,
    /// Verdict counts.
    #[serde(flatten)]
    pub counts: Counts,
    /// Per vendor.
    pub by_vendor: BTreeMap<String, VendorSummary>,
}

/// Everything the signature covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// When the record was made (RFC 3339, UTC).
    pub created_at: String,
    /// Writer.
    pub tool: ToolInfo,
    /// The host, as the after scan saw it.
    pub host: Host,
    /// The signing key.
    pub signer: Signer,
    /// Catalog versions.
    pub catalog: CatalogVersions,
    /// Before removal.
    pub before: Snapshot,
    /// After removal.
    pub after: Snapshot,
    /// The `uproot remove` action log, when one was given.
    pub action_log: Option<Artifact>,
    /// One verdict per before-finding, then the new ones.
    pub verdicts: Vec<VerdictEntry>,
    /// The replacement check.
    pub replacement: Replacement,
    /// Findings about the host itself (no replacement protection).
    pub host_findings: Vec<HostFinding>,
    /// Status and counts.
    pub summary: RecordSummary,
    /// What an auditor should know about how the comparison was made.
    pub warnings: Vec<String>,
}

/// What [`Payload::build`] needs.
#[derive(Debug)]
pub struct Inputs<'a> {
    /// The before report and its bytes' digest.
    pub before: (&'a Report, Artifact),
    /// The after report, its digest, and `rescan` or `saved-report`.
    pub after: (&'a Report, Artifact, &'a str),
    /// The action log's digest.
    pub action_log: Option<Artifact>,
    /// The comparison.
    pub verification: &'a Verification,
    /// The replacement check.
    pub replacement: &'a Replacement,
    /// Warnings to record.
    pub warnings: Vec<String>,
    /// Time stamp.
    pub created_at: String,
}

impl Payload {
    /// Assembles the payload; `key` is the key that will sign it.
    pub fn build(inputs: Inputs<'_>, key: &HostKey) -> Payload {
        let (before, before_digest) = inputs.before;
        let (after, after_digest, method) = inputs.after;
        let v = inputs.verification;
        let status = HostStatus::derive(&v.counts, v.new_active, inputs.replacement.protected);
        Payload {
            schema: SCHEMA.into(),
            created_at: inputs.created_at,
            tool: ToolInfo {
                name: "uproot".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            host: after.host.clone(),
            signer: Signer {
                algorithm: "ed25519".into(),
                public_key: key.public_hex(),
                fingerprint: key.fingerprint(),
            },
            catalog: CatalogVersions {
                before: before.catalog.version.clone(),
                after: after.catalog.version.clone(),
            },
            before: Snapshot::of(before, before_digest, "saved-report"),
            after: Snapshot::of(after, after_digest, method),
            action_log: inputs.action_log,
            verdicts: v.verdicts.clone(),
            replacement: inputs.replacement.clone(),
            host_findings: host_findings(status, inputs.replacement, &after.host),
            summary: RecordSummary {
                status,
                passed: status == HostStatus::Clean,
                protected: inputs.replacement.protected,
                counts: v.counts.clone(),
                by_vendor: v.by_vendor.clone(),
            },
            warnings: inputs.warnings,
        }
    }
}

/// Things about two reports that make their comparison weaker; recorded as
/// warnings. (A different host is worse: see [`host_mismatch`].)
pub fn comparison_warnings(before: &Report, after: &Report) -> Vec<String> {
    let mut w = Vec::new();
    if before.catalog.version != after.catalog.version {
        w.push(format!(
            "catalog version changed from {} to {}: findings from rules that changed may show as removed or new",
            before.catalog.version, after.catalog.version
        ));
    }
    if !before.inventory.signers.is_empty() && after.inventory.signers.is_empty() {
        w.push("the before report has deep-sweep evidence (code signers) but the after scan has none: run verify with --deep, or deep-sweep findings count as removed".into());
    }
    if !after.errors.is_empty() {
        w.push(format!(
            "the after scan could not read {} source(s); findings from those sources are `unverified`",
            after.errors.len()
        ));
    }
    if before.host.live != after.host.live {
        w.push(format!(
            "the before scan was {} and the after scan {}",
            if before.host.live {
                "live"
            } else {
                "of an image"
            },
            if after.host.live {
                "live"
            } else {
                "of an image"
            }
        ));
    }
    w
}

/// `Some(reason)` when the two reports are visibly of different hosts:
/// different machine ids, or (without ids) different host names or OS.
pub fn host_mismatch(before: &Report, after: &Report) -> Option<String> {
    let (b, a) = (&before.host, &after.host);
    if let (Some(bid), Some(aid)) = (&b.machine_id, &a.machine_id) {
        if bid != aid {
            return Some(format!("machine-id {bid} before, {aid} after"));
        }
        return None;
    }
    if b.hostname != a.hostname {
        return Some(format!(
            "host name {} before, {} after",
            b.hostname, a.hostname
        ));
    }
    if b.os != a.os {
        return Some(format!("OS {} before, {} after", b.os, a.os));
    }
    None
}

/// The signature block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureBlock {
    /// Always `ed25519`.
    pub algorithm: String,
    /// Public key, 64 hex digits.
    pub public_key: String,
    /// `sha256:` fingerprint of the public key.
    pub fingerprint: String,
    /// SHA-256 of the compact canonical payload.
    pub payload_sha256: String,
    /// The signature, 128 hex digits.
    pub value: String,
}

/// The exact bytes that are signed for `payload`.
pub fn signed_message(payload: &Value) -> Vec<u8> {
    let mut m = SIGNING_CONTEXT.to_vec();
    m.extend_from_slice(canonical::compact(payload).as_bytes());
    m
}

/// Signs `payload` and returns the record file's text.
pub fn sign(payload: &Payload, key: &HostKey) -> String {
    let value = serde_json::to_value(payload).expect("evidence types always serialise");
    let sig = key.sign(&signed_message(&value));
    let block = SignatureBlock {
        algorithm: "ed25519".into(),
        public_key: key.public_hex(),
        fingerprint: key.fingerprint(),
        payload_sha256: sha256_hex(canonical::compact(&value).as_bytes()),
        value: hex(&sig.to_bytes()),
    };
    let mut record = serde_json::Map::new();
    record.insert("schema".into(), Value::String(SCHEMA.into()));
    record.insert("payload".into(), value);
    record.insert(
        "signature".into(),
        serde_json::to_value(&block).expect("signature block always serialises"),
    );
    canonical::pretty(&Value::Object(record))
}

/// Why a record failed its check.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckError {
    /// Not JSON, or not shaped like a record.
    #[error("not a valid uproot.evidence/1 record: {0}")]
    Malformed(String),
    /// Another schema.
    #[error("schema is {0:?}, expected {SCHEMA}")]
    Schema(String),
    /// The recorded payload digest is not the payload's.
    #[error("payload digest mismatch: recorded {recorded}, computed {computed} (the payload was changed)")]
    Digest {
        /// In the record.
        recorded: String,
        /// Computed now.
        computed: String,
    },
    /// The signature does not verify.
    #[error("signature does not verify: the record was changed after it was signed, or was not signed by the key it names")]
    Signature,
    /// The payload's signer is not the signature's key.
    #[error("the payload names signer {payload} but the signature is by {signature}")]
    Signer {
        /// In the payload.
        payload: String,
        /// In the signature block.
        signature: String,
    },
    /// Signed, but by another key than the expected one.
    #[error("signed by {actual}, not by the expected key {expected}")]
    WrongKey {
        /// Expected.
        expected: String,
        /// Found.
        actual: String,
    },
    /// The bytes are not the record's canonical form.
    #[error("the file is not in canonical form (reformatted, or edited outside the signed payload): first difference at byte {0}")]
    NotCanonical(usize),
    /// Signed, but the summary does not follow from the verdicts.
    #[error("inconsistent record: {0}")]
    Inconsistent(String),
}

/// A record that passed [`check`].
#[derive(Debug, Clone)]
pub struct CheckedRecord {
    /// The signed payload.
    pub payload: Payload,
    /// The signer's fingerprint.
    pub fingerprint: String,
    /// SHA-256 of the canonical payload.
    pub payload_sha256: String,
}

/// Verifies a record's text: shape, canonical form, payload digest, signature,
/// signer, the expected key when given, and the summary's consistency.
pub fn check(text: &str, expected: Option<&ExpectedSigner>) -> Result<CheckedRecord, CheckError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| CheckError::Malformed(e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or_else(|| CheckError::Malformed("not a JSON object".into()))?;
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if keys != ["payload", "schema", "signature"] {
        return Err(CheckError::Malformed(format!(
            "expected exactly the members payload, schema, signature; found {}",
            keys.join(", ")
        )));
    }
    match obj.get("schema") {
        Some(Value::String(s)) if s == SCHEMA => {}
        other => {
            return Err(CheckError::Schema(
                other.map(|v| v.to_string()).unwrap_or_default(),
            ))
        }
    }
    let payload_value = &obj["payload"];
    let block: SignatureBlock = serde_json::from_value(obj["signature"].clone())
        .map_err(|e| CheckError::Malformed(format!("signature: {e}")))?;
    if block.algorithm != "ed25519" {
        return Err(CheckError::Malformed(format!(
            "signature algorithm {:?} is not ed25519",
            block.algorithm
        )));
    }
    let key_bytes: [u8; 32] = unhex(&block.public_key)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CheckError::Malformed("signature.public_key is not 64 hex digits".into()))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| CheckError::Malformed("signature.public_key is not an ed25519 key".into()))?;
    let sig_bytes: [u8; 64] = unhex(&block.value)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| CheckError::Malformed("signature.value is not 128 hex digits".into()))?;
    let computed = sha256_hex(canonical::compact(payload_value).as_bytes());
    if computed != block.payload_sha256 {
        return Err(CheckError::Digest {
            recorded: block.payload_sha256,
            computed,
        });
    }
    key.verify_strict(
        &signed_message(payload_value),
        &EdSignature::from_bytes(&sig_bytes),
    )
    .map_err(|_| CheckError::Signature)?;
    let actual = fingerprint(&key);
    if block.fingerprint != actual {
        return Err(CheckError::Malformed(format!(
            "signature.fingerprint {} is not the key's fingerprint {actual}",
            block.fingerprint
        )));
    }
    // Canonical form last: a changed value is reported as a broken signature,
    // which is the clearer message.
    let canonical = canonical::pretty(&value);
    if canonical != text {
        let at = canonical
            .bytes()
            .zip(text.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(canonical.len().min(text.len()));
        return Err(CheckError::NotCanonical(at));
    }
    let payload: Payload = serde_json::from_value(payload_value.clone())
        .map_err(|e| CheckError::Malformed(format!("payload: {e}")))?;
    if payload.schema != SCHEMA {
        return Err(CheckError::Schema(payload.schema));
    }
    if payload.signer.public_key != block.public_key || payload.signer.fingerprint != actual {
        return Err(CheckError::Signer {
            payload: payload.signer.fingerprint.clone(),
            signature: actual,
        });
    }
    if let Some(exp) = expected {
        if !exp.matches(&key) {
            return Err(CheckError::WrongKey {
                expected: exp.describe(),
                actual,
            });
        }
    }
    consistent(&payload)?;
    Ok(CheckedRecord {
        payload,
        fingerprint: actual,
        payload_sha256: computed,
    })
}

/// The summary must follow from the verdicts and the replacement check.
fn consistent(p: &Payload) -> Result<(), CheckError> {
    let mut counts = Counts {
        before: p.before.findings.len(),
        after: p.after.findings.len(),
        ..Counts::default()
    };
    for v in &p.verdicts {
        match v.verdict {
            Verdict::Removed => counts.removed += 1,
            Verdict::StillPresent => counts.still_present += 1,
            Verdict::Remnant => counts.remnant += 1,
            Verdict::Unverified => counts.unverified += 1,
            Verdict::New => counts.new += 1,
        }
    }
    if counts != p.summary.counts {
        return Err(CheckError::Inconsistent(format!(
            "summary counts {:?} do not follow from the verdicts {:?}",
            p.summary.counts, counts
        )));
    }
    let judged = p
        .verdicts
        .iter()
        .filter(|v| v.verdict != Verdict::New)
        .count();
    if judged != p.before.findings.len() {
        return Err(CheckError::Inconsistent(format!(
            "{judged} verdicts for {} before-findings",
            p.before.findings.len()
        )));
    }
    let new_active = p
        .verdicts
        .iter()
        .filter(|v| v.verdict == Verdict::New)
        .any(|v| {
            p.after
                .findings
                .iter()
                .find(|f| f.id == v.id)
                .is_none_or(|f| !(f.remnant || f.kind == "file" || f.kind == "registry-key"))
        });
    let status = HostStatus::derive(&counts, new_active, p.replacement.protected);
    let protected = p.replacement.protected;
    if status != p.summary.status
        || p.summary.passed != (status == HostStatus::Clean)
        || p.summary.protected != protected
    {
        return Err(CheckError::Inconsistent(format!(
            "summary says {} (passed {}), the verdicts and replacement check give {}",
            p.summary.status.as_str(),
            p.summary.passed,
            status.as_str()
        )));
    }
    Ok(())
}
