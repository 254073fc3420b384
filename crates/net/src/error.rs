//! One located error type: every failure names the input and, when it has
//! one, the line (or netlink message) it came from.

use serde::Serialize;
use std::fmt;

/// A failure tied to the input that caused it. The scan keeps going: the
/// other inputs still produce devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct NetError {
    /// The file (or `netlink:RTM_GETNEIGH`, `/proc/net/arp`, …).
    pub file: String,
    /// 1-based line, when the input has lines.
    pub line: Option<usize>,
    /// What was wrong, in words.
    pub message: String,
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl NetError {
    /// An error at a line of a file.
    pub fn at(file: impl Into<String>, line: usize, message: impl Into<String>) -> Self {
        NetError {
            file: file.into(),
            line: Some(line),
            message: message.into(),
        }
    }

    /// An error about a whole file.
    pub fn file(file: impl Into<String>, message: impl Into<String>) -> Self {
        NetError {
            file: file.into(),
            line: None,
            message: message.into(),
        }
    }
}

/// Inputs bigger than this are refused rather than read: the largest real
/// ones (an IEEE oui.txt, a /16 nmap scan) are a few MiB.
pub const MAX_INPUT_BYTES: u64 = 256 << 20;

/// Read a whole input file as UTF-8 (lossily: asset exports are often
/// Latin-1), with the size cap.
pub fn read_text(path: &std::path::Path) -> Result<String, NetError> {
    use std::io::Read;
    let name = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| NetError::file(&name, e.to_string()))?;
    let mut buf = Vec::new();
    f.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| NetError::file(&name, e.to_string()))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(NetError::file(
            &name,
            format!("larger than the {MAX_INPUT_BYTES}-byte limit"),
        ));
    }
    Ok(match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}
