//! sqlite `rpmdb.sqlite`: rpm's database since 4.16 (Fedora 33+, RHEL 9,
//! CBL-Mariner/Azure Linux, Rocky/Alma 9).
//!
//! rpm's schema is `Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB
//! NOT NULL)`; the other tables are indexes we do not need.
//!
//! The file belongs to the scanned system, so it is opened the one way SQLite
//! promises never to write or lock: a `file:` URI with `immutable=1`, read-only,
//! refusing symlinks. Plain read-only mode is not enough: on a WAL database
//! SQLite would still create `-wal` and `-shm` files beside it, which would
//! change the evidence (and fail on a read-only image). The price is that
//! changes still in an un-checkpointed `-wal` file are not seen, which the
//! collector reports. The schema comes from the scanned file too, so
//! `Packages` must be a plain table whose `blob` is a stored column: a view or
//! a generated column could make a query run forever or allocate gigabytes.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::header::MAX_BLOB_BYTES;
use super::{Blob, RpmError, MAX_ERRORS};

/// The first 16 bytes of every SQLite 3 database.
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Reads every package blob of the database at `host_path` (a path on the
/// scanning host, already resolved inside the root), without writing anything.
pub fn for_each_blob(host_path: &Path, visit: &mut dyn FnMut(Blob)) -> Vec<RpmError> {
    let mut errors = Vec::new();
    let result = measure(host_path, &mut errors)
        .and_then(|len| open(host_path).and_then(|conn| rows(&conn, len, visit, &mut errors)));
    if let Err(e) = result {
        errors.push(e);
    }
    errors
}

/// The file's length. SQLite reads a cut-off file without complaint when the
/// lost pages are free ones, so a page count (in the file header) beyond the
/// length is reported here.
fn measure(host_path: &Path, errors: &mut Vec<RpmError>) -> Result<u64, RpmError> {
    let io = |source| RpmError::Io {
        context: "sqlite reading the file header".into(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(host_path)
        .map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 100];
    if file.read_exact(&mut head).is_err() {
        errors.push(RpmError::Sqlite(format!(
            "file is {len} bytes, shorter than the 100-byte header"
        )));
        return Ok(len);
    }
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65536,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([head[28], head[29], head[30], head[31]]));
    // The page count is only valid when the change counter matches "version-valid-for".
    if head[24..28] == head[92..96] && pages * page_size > len {
        errors.push(RpmError::Sqlite(format!(
            "file is {len} bytes but its header counts {pages} pages of {page_size} bytes (truncated?)"
        )));
    }
    Ok(len)
}

/// Opens the database immutable and read-only: no locks, no journal, no `-wal`/`-shm`.
pub fn open(host_path: &Path) -> Result<Connection, RpmError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let conn = Connection::open_with_flags(immutable_uri(host_path), flags).map_err(sql)?;
    conn.execute_batch("PRAGMA trusted_schema = OFF; PRAGMA query_only = ON;")
        .map_err(sql)?;
    Ok(conn)
}

/// `file:<percent-encoded path>?immutable=1`.
pub fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Lists the rows with their blob lengths, then fetches the blobs one by one,
/// so an over-large blob is never loaded and the total is held to the file's
/// length (a corrupt file whose rows share overflow pages cannot multiply work).
fn rows(
    conn: &Connection,
    file_len: u64,
    visit: &mut dyn FnMut(Blob),
    errors: &mut Vec<RpmError>,
) -> Result<(), RpmError> {
    check_schema(conn)?;
    let (index, more) = list(conn)?;
    if more {
        errors.push(RpmError::Sqlite(format!(
            "Packages has more than {MAX_ROWS} rows; only the first were read"
        )));
    }
    let mut fetch = conn
        .prepare("SELECT blob FROM Packages WHERE rowid = ?1")
        .map_err(sql)?;
    let mut budget = file_len;
    for row in index {
        budget = budget.checked_sub(row.loaded_len()).ok_or_else(|| {
            let hnum = row.hnum;
            RpmError::Sqlite(format!("rows up to package {hnum} hold more bytes than the file: rows share pages (corrupt)"))
        })?;
        match fetch_blob(&mut fetch, &row) {
            Ok(b) => visit(b),
            Err(e) => errors.push(e),
        }
        if errors.len() >= MAX_ERRORS {
            return Err(RpmError::Sqlite(format!(
                "giving up after {MAX_ERRORS} errors"
            )));
        }
    }
    Ok(())
}

/// Rows beyond this are not read; no system has that many packages.
const MAX_ROWS: usize = 1_000_000;

/// One row of `Packages`, without its blob.
struct Row {
    rowid: i64,
    hnum: i64,
    len: Option<i64>,
}

impl Row {
    /// Bytes that fetching this row's blob will load.
    fn loaded_len(&self) -> u64 {
        match self.len {
            Some(n) if n >= 0 && n as u64 <= MAX_BLOB_BYTES => n as u64,
            _ => 0,
        }
    }
}

/// Every row's id and blob length (SQLite reads lengths without loading blobs),
/// and whether rows were left over.
fn list(conn: &Connection) -> Result<(Vec<Row>, bool), RpmError> {
    let mut stmt = conn
        .prepare("SELECT rowid, hnum, length(blob) FROM Packages LIMIT ?1")
        .map_err(sql)?;
    let rows = stmt
        .query_map([MAX_ROWS as i64 + 1], |r| {
            Ok(Row {
                rowid: r.get(0)?,
                hnum: r.get(1)?,
                len: r.get(2)?,
            })
        })
        .map_err(sql)?;
    let mut index = rows.collect::<Result<Vec<_>, _>>().map_err(sql)?;
    let more = index.len() > MAX_ROWS;
    index.truncate(MAX_ROWS);
    Ok((index, more))
}

/// Fetches one blob, unless it is NULL or over the size limit.
fn fetch_blob(fetch: &mut rusqlite::Statement<'_>, row: &Row) -> Result<Blob, RpmError> {
    let hnum = row.hnum;
    match row.len {
        None => return Err(RpmError::Sqlite(format!("package {hnum} blob is NULL"))),
        Some(n) if n as u64 > MAX_BLOB_BYTES => {
            return Err(RpmError::Sqlite(format!(
                "package {hnum} blob is {n} bytes, over the {MAX_BLOB_BYTES}-byte limit"
            )))
        }
        Some(_) => {}
    }
    let data = fetch
        .query_row([row.rowid], |r| match r.get_ref(0)? {
            ValueRef::Blob(b) | ValueRef::Text(b) => Ok(Some(b.to_vec())),
            _ => Ok(None),
        })
        .map_err(sql)?
        .ok_or_else(|| RpmError::Sqlite(format!("package {hnum} blob is not a blob")))?;
    let instance = u32::try_from(hnum).unwrap_or(u32::MAX);
    Ok(Blob { instance, data })
}

/// `Packages` must be an ordinary table with an ordinary `blob` column.
fn check_schema(conn: &Connection) -> Result<(), RpmError> {
    let sql_text: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'Packages' AND type = 'table'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => {
                RpmError::Sqlite("database has no Packages table".into())
            }
            e => sql(e),
        })?;
    if sql_text
        .unwrap_or_default()
        .trim_start()
        .to_ascii_uppercase()
        .starts_with("CREATE VIRTUAL")
    {
        return Err(RpmError::Sqlite(
            "Packages is a virtual table, not rpm's".into(),
        ));
    }
    let hidden: Option<i64> = conn
        .query_row(
            "SELECT hidden FROM pragma_table_xinfo('Packages') WHERE name = 'blob'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => {
                RpmError::Sqlite("Packages table has no blob column".into())
            }
            e => sql(e),
        })?;
    if hidden != Some(0) {
        return Err(RpmError::Sqlite(
            "Packages.blob is a generated column, not rpm's".into(),
        ));
    }
    Ok(())
}

fn sql(e: rusqlite::Error) -> RpmError {
    RpmError::Sqlite(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(schema: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(schema).unwrap();
        drop(conn);
        (dir, path)
    }

    fn errors_of(path: &Path) -> Vec<String> {
        for_each_blob(path, &mut |_| {})
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn uri_encodes_awkward_paths() {
        assert_eq!(
            immutable_uri(Path::new("/a b/c?d#e%f")),
            "file:/a%20b/c%3Fd%23e%25f?immutable=1"
        );
    }

    #[test]
    fn awkward_path_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("we?ird #dir%20");
        std::fs::create_dir(&sub).unwrap();
        let path = sub.join("rpmdb.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
        )
        .unwrap();
        drop(conn);
        assert!(errors_of(&path).is_empty());
    }

    #[test]
    fn a_view_named_packages_is_refused() {
        let (_d, path) = db_with(
            "CREATE VIEW Packages AS WITH RECURSIVE c(hnum) AS (SELECT 1 UNION ALL SELECT hnum + 1 FROM c) \
             SELECT hnum, x'00' AS blob FROM c;",
        );
        assert_eq!(errors_of(&path), ["sqlite: database has no Packages table"]);
    }

    #[test]
    fn a_generated_blob_is_refused() {
        let (_d, path) = db_with(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob AS (zeroblob(900000000)));",
        );
        assert_eq!(
            errors_of(&path),
            ["sqlite: Packages.blob is a generated column, not rpm's"]
        );
    }

    #[test]
    fn null_blob_is_an_error_for_that_row_only() {
        let (_d, path) = db_with(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB);\
             INSERT INTO Packages (blob) VALUES (NULL), (x'0102');",
        );
        let mut n = 0;
        let errors = for_each_blob(&path, &mut |_| n += 1);
        assert_eq!(n, 1);
        assert_eq!(errors[0].to_string(), "sqlite: package 1 blob is NULL");
    }

    #[test]
    fn blobs_adding_up_past_the_file_stop_the_read() {
        let (_d, path) = db_with(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);\
             INSERT INTO Packages (blob) VALUES (zeroblob(6)), (zeroblob(6)), (zeroblob(6));",
        );
        let conn = open(&path).unwrap();
        let (mut n, mut errors) = (0, Vec::new());
        let err = rows(&conn, 13, &mut |_| n += 1, &mut errors).unwrap_err();
        assert_eq!(n, 2);
        assert_eq!(err.to_string(), "sqlite: rows up to package 3 hold more bytes than the file: rows share pages (corrupt)");
    }

    #[test]
    fn over_large_blob_is_skipped_with_an_error() {
        let (_d, path) = db_with(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);\
             INSERT INTO Packages (blob) VALUES (zeroblob(67108865)), (x'00');",
        );
        let mut n = 0;
        let errors: Vec<_> = for_each_blob(&path, &mut |_| n += 1)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(n, 1);
        assert_eq!(
            errors,
            ["sqlite: package 1 blob is 67108865 bytes, over the 67108864-byte limit"]
        );
    }

    #[test]
    fn not_a_database_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        std::fs::write(
            &path,
            b"SQLite format 3\0 and then garbage, lots of garbage",
        )
        .unwrap();
        let errors = errors_of(&path);
        assert_eq!(
            errors[0],
            "sqlite: file is 50 bytes, shorter than the 100-byte header"
        );
        assert!(
            errors.len() == 2 && errors[1].starts_with("sqlite: "),
            "{errors:?}"
        );
    }
}
