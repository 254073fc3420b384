//! Opening SQLite files found on a scanned system without changing them.

use rusqlite::{Connection, OpenFlags};

use crate::Root;

/// Opens an in-root SQLite database read-only and `immutable`, so SQLite
/// creates no `-wal`/`-shm`/journal file beside it and takes no locks: the
/// scanned system must be left byte-for-byte as it was.
pub fn open_readonly(root: &Root, path: &str) -> Result<Connection, String> {
    let host = root.resolve(path).map_err(|e| crate::root_message(&e))?;
    let mut uri = String::from("file:");
    for b in host.as_os_str().as_encoded_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => uri.push(*b as char),
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(&uri, flags).map_err(|e| e.to_string())
}
