//! Verification after removal, and the signed evidence an auditor checks.
//!
//! `uproot verify` rescans a host after removal and hands the before and
//! after [`Report`](uproot_report::Report)s to this crate:
//!
//! 1. [`compare`] gives each before-finding a [`Verdict`] — `removed`,
//!    `still-present`, `remnant` or `unverified` — and lists what is `new`;
//! 2. [`replacement`] checks that another endpoint protection product is
//!    present and active (Defender or Security Center on Windows, XProtect on
//!    macOS, ClamAV or a known EDR service on Linux), because the directive
//!    says remove *and replace*;
//! 3. [`Payload::build`] assembles the `uproot.evidence/1` record with the
//!    report and action-log digests, and [`sign`] signs it with the host's
//!    ed25519 key ([`keys`]);
//! 4. [`check`] verifies a record: canonical form, digest, signature, the
//!    expected signer, and that its summary follows from its verdicts.
//!
//! ```
//! use uproot_evidence::{compare, replacement, Verdict};
//! # use uproot_report::{Report, CatalogInfo};
//! # let empty = Report::new(Default::default(), CatalogInfo::default(), Default::default(),
//! #                         vec![], vec![], "2026-11-28T00:00:00Z".into());
//! let v = compare(&empty, &empty);
//! assert!(v.all_removed());
//! assert!(!replacement(&empty).protected);
//! ```
#![deny(missing_docs)]

pub mod canonical;
mod compare;
pub mod keys;
mod record;
mod replacement;

pub use compare::{
    compare, is_leftover, Counts, FindingRef, VendorSummary, Verdict, VerdictEntry, Verification,
};
pub use keys::{ExpectedSigner, HostKey, KeyError};
pub use record::{
    check, comparison_warnings, host_findings, host_mismatch, sign, signed_message, Artifact,
    CatalogVersions, CheckError, CheckedRecord, HostFinding, HostStatus, Inputs, Payload,
    RecordSummary, SignatureBlock, Signer, Snapshot, ToolInfo, SCHEMA, SIGNING_CONTEXT,
};
pub use replacement::{
    is_covered_name, replacement, replacement_with, KnownProduct, ProtectionCandidate, Replacement,
    ReplacementOptions, COVERED_TERMS, LINUX_PRODUCTS, XPROTECT_PATHS,
};
