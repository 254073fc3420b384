//! The one error type of the crate. Every variant names the file, and the
//! line or pointer where one is known, so a scan report can point at it.

use std::path::PathBuf;

/// Why an SBOM could not be read at all. Problems that leave the document
/// readable are [`crate::Violation`]s instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// The file could not be opened or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is larger than [`crate::Limits::max_bytes`]; nothing past the
    /// limit was read.
    #[error("{}: {size} bytes is over the SBOM size limit of {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, or the limit plus one when the size grew while reading.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The content is neither CycloneDX nor SPDX in a supported syntax.
    #[error("{location}: not a recognised SBOM: {detail}")]
    UnknownFormat {
        /// The SBOM file.
        location: String,
        /// What was seen instead.
        detail: String,
    },
    /// A recognised SBOM family in a version or syntax this crate does not read.
    #[error("{location}: {detail}")]
    Unsupported {
        /// The SBOM file.
        location: String,
        /// What is not supported.
        detail: String,
    },
    /// The JSON is malformed (truncated, wrong types where a structure is
    /// required, nested deeper than serde_json's recursion limit of 128).
    #[error("{location}: line {line}, column {column}: invalid JSON: {message}")]
    Json {
        /// The SBOM file.
        location: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's description.
        message: String,
    },
    /// The XML is malformed.
    #[error("{location}: line {line}, column {column}: invalid XML: {message}")]
    Xml {
        /// The SBOM file.
        location: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// SPDX tag-value that cannot be read on (for example an unclosed `<text>`).
    #[error("{location}: line {line}: {message}")]
    TagValue {
        /// The SBOM file.
        location: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Nesting deeper than [`crate::Limits::max_depth`].
    #[error("{location}: {pointer}: nested deeper than the limit of {limit} levels")]
    TooDeep {
        /// The SBOM file.
        location: String,
        /// Where the limit was crossed.
        pointer: String,
        /// The limit in force.
        limit: usize,
    },
    /// More components than [`crate::Limits::max_components`].
    #[error("{location}: {pointer}: more than the limit of {limit} components")]
    TooManyComponents {
        /// The SBOM file.
        location: String,
        /// The component that crossed the limit.
        pointer: String,
        /// The limit in force.
        limit: usize,
    },
}

/// 1-based line and column of a byte offset, for error messages only.
pub(crate) fn line_col(bytes: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, offset - line_start + 1)
}
