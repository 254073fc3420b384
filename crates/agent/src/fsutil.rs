//! Durable file writes: temp file, fsync, rename, fsync the directory.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` so that a crash leaves either the old file or the
/// whole new one, never a torn one. The file is created 0600 on Unix; with
/// `mtime`, the file carries that modification time (the spool orders by it).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mtime: Option<SystemTime>) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = write_tmp(&tmp, bytes, mtime).and_then(|()| {
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))?;
        sync_dir(dir)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_tmp(tmp: &Path, bytes: &[u8], mtime: Option<SystemTime>) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Created 0600 from the start: never a moment with a wider mode.
        opts.mode(0o600);
    }
    let mut f = opts.open(tmp).map_err(|e| Error::io(tmp, e))?;
    f.write_all(bytes).map_err(|e| Error::io(tmp, e))?;
    if let Some(t) = mtime {
        f.set_modified(t).map_err(|e| Error::io(tmp, e))?;
    }
    f.sync_all().map_err(|e| Error::io(tmp, e))
}

/// Makes a rename or unlink in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(dir, e))
    }
    // Windows cannot open a directory for syncing; NTFS journals the rename.
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Creates `dir` (and parents) private to the owner on Unix.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| Error::io(dir, e))
}
