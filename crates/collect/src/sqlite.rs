//! Opening SQLite files found on a scanned system without changing them.

use rusqlite::Connection;

use crate::Root;

/// Opens an in-root SQLite database read-only, `immutable` (no `-wal`/`-shm`
/// or journal is created, no lock taken) and with an untrusted schema, so a
/// hostile database cannot run view or trigger code on us. The rpm reader's
/// opener does exactly this; NSS databases share it.
pub fn open_readonly(root: &Root, path: &str) -> Result<Connection, String> {
    let host = root.resolve(path).map_err(|e| crate::root_message(&e))?;
    crate::rpm::sqlite::open(&host).map_err(|e| e.to_string())
}
