//! SBOM readers: CycloneDX 1.1–1.7 (JSON and XML) and SPDX 2.2/2.3 (JSON and
//! tag-value), detected from the content, read into one model: a
//! [`Document`] with its subject (CycloneDX `metadata.component`, or the SPDX
//! package the document describes), every other component as an
//! [`uproot_inventory::SbomComponent`] with the path from the subject down to
//! it, and the [`Violation`]s of the specification found on the way.
//!
//! A malformed or hostile file is an [`SbomError`] naming the file and the
//! place; a readable file that breaks a rule of its specification is read
//! anyway, with one [`Violation`] per broken rule (JSON pointer, XML element
//! path or tag-value line, and what is wrong), so a scanner still sees the
//! components of a sloppy SBOM. Input is bounded by [`Limits`]: size is checked
//! before reading, nesting and component counts while parsing, and serde_json's
//! recursion limit of 128 stays on.
//!
//! The readers are our own: a serde visitor for CycloneDX JSON (a typed,
//! borrowing fast path for the common members, `serde_json::Value` only where
//! a member breaks a rule and needs a located message), a bounded quick-xml
//! walker for CycloneDX XML, and small SPDX readers. `cyclonedx-bom` 0.8 and
//! `spdx-rs` 0.5 are dev-dependencies, run as oracles in `tests/oracle.rs`,
//! not runtime readers:
//! - `cyclonedx-bom` has parsers for 1.3–1.5 only: of the 371 valid corpus
//!   files it cannot read 232 (1.1, 1.2, 1.6, 1.7); on the other 139 it lists
//!   exactly our components. It stops at the first bad value where a scanner
//!   wants the rest of the file, reads through a `Value` of the whole document
//!   (on the generated 100k-component SBOM, `examples/sbom_bench.rs`: 2.5×
//!   this reader's time and 4× its peak memory), and is the heaviest build
//!   here: 56 crates and about 84 s of CPU from clean, against 20 crates and
//!   24 s for this crate (serde, serde_json, quick-xml and thiserror, all
//!   already in the workspace).
//! - `spdx-rs` reads all 33 SPDX corpus files with our package lists, but it
//!   takes a file of garbage for an empty tag-value document and a `<text>`
//!   that is never closed without a word, and refuses a whole JSON document
//!   over one missing `downloadLocation`: it can neither report bad input nor
//!   read past it. It also adds 43 crates (chrono, nom, tracing…).
//!
//! ```no_run
//! use uproot_sbom::{read_file, Limits};
//! let doc = read_file("bom.json".as_ref(), &Limits::default())?;
//! for c in &doc.components {
//!     println!("{} via {}", c.label(), c.path.join(" > "));
//! }
//! # Ok::<(), uproot_sbom::SbomError>(())
//! ```

#![deny(missing_docs)]

mod cdx;
mod detect;
mod error;
mod graph;
mod purl;
mod rules;
mod spdx;
mod spdx_ids;

use std::io::Read;
use std::path::Path;

pub use error::SbomError;
pub use purl::{parse_purl, Purl};
use uproot_inventory::SbomComponent;

/// The SBOM family and syntax, as detected from the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// CycloneDX JSON (`"bomFormat": "CycloneDX"`).
    CycloneDxJson,
    /// CycloneDX XML (`<bom xmlns="http://cyclonedx.org/schema/bom/1.x">`).
    CycloneDxXml,
    /// SPDX 2.x JSON (`"spdxVersion"`).
    SpdxJson,
    /// SPDX 2.x tag-value (`SPDXVersion:`).
    SpdxTagValue,
}

impl Format {
    /// Stable kebab-case name, as shown in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::CycloneDxJson => "cyclonedx-json",
            Format::CycloneDxXml => "cyclonedx-xml",
            Format::SpdxJson => "spdx-json",
            Format::SpdxTagValue => "spdx-tag-value",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One SBOM, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Family and syntax.
    pub format: Format,
    /// `specVersion` (CycloneDX, from the XML namespace for XML) or
    /// `spdxVersion` as written (`SPDX-2.3`); empty when the document has none.
    pub spec_version: String,
    /// What the SBOM describes: CycloneDX `metadata.component` (with
    /// `metadata.supplier` and `metadata.manufacturer`/`manufacture` as its
    /// organisations where it names none itself), or the one package an SPDX
    /// document describes.
    pub subject: Option<SbomComponent>,
    /// Every other component, nested ones included, in document order.
    pub components: Vec<SbomComponent>,
    /// CycloneDX components named only in a component's `pedigree`
    /// (ancestors, descendants, variants): not part of the inventory, but the
    /// code a component was derived from, so still worth matching. Their path
    /// runs through the component whose pedigree names them.
    pub pedigree: Vec<SbomComponent>,
    /// Relationship records read: CycloneDX `ref → dependsOn` pairs, SPDX
    /// relationship entries (JSON `relationships`, tag-value `Relationship:` lines).
    pub dependencies: usize,
    /// Broken rules of the specification, in document order.
    pub violations: Vec<Violation>,
}

/// A rule of the specification the document breaks, where and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer (`/components/0/hashes/1`), XML element path
    /// (`/bom/components/component[1]/hashes/hash[2]`) or tag-value line (`line 12`).
    pub pointer: String,
    /// What is wrong, with the offending value.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

/// Bounds on what one SBOM may cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, checked before reading (default 256 MiB).
    pub max_bytes: u64,
    /// Most components (subject included) in one document (default 2,000,000).
    pub max_components: usize,
    /// Deepest XML element nesting and deepest component nesting (default
    /// 128). JSON nesting is also bounded by serde_json's recursion limit of 128.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 256 * 1024 * 1024,
            max_components: 2_000_000,
            max_depth: 128,
        }
    }
}

/// Reads and parses one SBOM file. The size is checked against
/// [`Limits::max_bytes`] before anything is read, and reading stops at the
/// limit if the file grows meanwhile.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Document, SbomError> {
    let io = |source| SbomError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limits.max_bytes {
        return Err(SbomError::TooLarge {
            path: path.to_path_buf(),
            size,
            limit: limits.max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limits.max_bytes {
        return Err(SbomError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    parse(&bytes, &path.display().to_string(), limits)
}

/// Parses SBOM bytes; `location` names the file in errors and in each
/// component's `location`.
pub fn parse(bytes: &[u8], location: &str, limits: &Limits) -> Result<Document, SbomError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(SbomError::TooLarge {
            path: location.into(),
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    let bytes = detect::strip_utf8_bom(bytes);
    match detect::detect(bytes, location)? {
        detect::Detected::CycloneDxJson { spec_version } => {
            cdx::json::parse(bytes, location, limits, spec_version)
        }
        detect::Detected::CycloneDxXml => cdx::xml::parse(bytes, location, limits),
        detect::Detected::SpdxJson => spdx::json::parse(bytes, location, limits),
        detect::Detected::SpdxTagValue => spdx::tagvalue::parse(bytes, location, limits),
    }
}
