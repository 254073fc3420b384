//! Opening SQLite files found on a scanned system without changing them.

use rusqlite::Connection;

use crate::Root;

/// An open database and, for a virtual root, the temporary copy it reads.
/// Fields drop in order: the connection closes before the copy is deleted.
pub struct Db {
    conn: Connection,
    _local: crate::root::LocalFile,
}

impl std::ops::Deref for Db {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// Opens an in-root SQLite database read-only, `immutable` (no `-wal`/`-shm`
/// or journal is created, no lock taken) and with an untrusted schema, so a
/// hostile database cannot run view or trigger code on us. The rpm reader's
/// opener does exactly this; NSS databases share it.
pub fn open_readonly(root: &Root, path: &str) -> Result<Db, String> {
    let local = root.local_file(path).map_err(|e| crate::root_message(&e))?;
    let conn = crate::rpm::sqlite::open(local.path()).map_err(|e| e.to_string())?;
    Ok(Db {
        conn,
        _local: local,
    })
}
