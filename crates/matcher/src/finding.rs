//! The finding: what was found, where, under which rule and authority, and
//! what must be done. Field names are part of the `uproot.report/1` contract.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One covered-vendor finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Finding {
    /// Stable id (indicator + evidence source + key).
    pub id: String,
    /// Vendor id: `kaspersky`, `huawei`, …
    pub vendor: String,
    /// Vendor legal name.
    pub vendor_name: String,
    /// Product id.
    pub product: String,
    /// Product name.
    pub product_name: String,
    /// Evidence kind: `package`, `service`, `kernel-module`, `certificate`, …
    pub kind: String,
    /// Catalog indicator id that matched.
    pub indicator: String,
    /// The indicator's confidence label.
    pub confidence: String,
    /// Where the indicator's value was seen (the catalog's citation).
    pub indicator_source: String,
    /// One line a person can read.
    pub summary: String,
    /// Where it was found.
    pub evidence: Evidence,
    /// True when only leftovers of the product were found.
    pub remnant: bool,
    /// When covered code sits inside another vendor's product (a white-label
    /// engine), the enclosing product directory. NDAA §1634 and the BIS
    /// determination cover such components "in whole or in part".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_in: Option<String>,
    /// `critical`, `high`, `medium` or `low`.
    pub severity: String,
    /// Authorities that cover the vendor.
    pub authorities: Vec<AuthorityRef>,
    /// A condition on coverage, when the authority has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// What must be done.
    pub action: String,
    /// Other indicators that matched the same evidence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_matched: Vec<String>,
    /// For a container image scan: the layer that put the evidence there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<ImageLayer>,
}

/// A container image layer, as cited by a finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageLayer {
    /// Position in the image, 0 for the base layer.
    pub index: usize,
    /// Layer digest (`sha256:…` of the blob as stored in the image).
    pub digest: String,
    /// The config history's `created_by` for this layer (the Dockerfile step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// Where a finding's evidence came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Evidence {
    /// The file, database or pseudo-file it was read from.
    pub source: String,
    /// What identifies it there: package name, unit name, thumbprint, path.
    pub key: String,
    /// Further facts (version, state, subject, …).
    pub detail: BTreeMap<String, String>,
}

/// An authority as cited by a finding.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuthorityRef {
    /// Authority id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Citation.
    pub citation: String,
    /// Date it applied to this vendor.
    pub since: String,
}
