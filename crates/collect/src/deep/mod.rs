//! The deep sweep: walk a tree and report who signed the code in it.
//!
//! `uproot scan --deep [--path DIR]...` walks every regular file under the
//! given in-root directories and sniffs its first 4 KiB. A PE image gets its
//! Authenticode signer read ([`pe`]), a Mach-O its code-signing identifier and
//! Team ID; each signature becomes a [`CodeSigner`] with the product
//! directory the file sits in ([`enclosing_product`]), so the matcher can tell
//! a vendor's own product from its engine embedded in someone else's. Files
//! whose *name* matches one of [`DeepOptions::name_globs`] are reported as
//! [`FileEntry`]s, wherever they are.
//!
//! Containment: each start directory is resolved once through
//! [`Root::resolve`] (so `--path` may itself be an in-root symlink); below it
//! the walk never follows a symlink at all. Entry types come from the
//! directory listing (`d_type`), symlinks are neither descended nor opened,
//! files are opened with `O_NOFOLLOW | O_NONBLOCK`, and devices, fifos and
//! sockets are never opened. On a live root `/proc`, `/sys`, `/dev` and every
//! mount of a pseudo filesystem (from `/proc/self/mounts`) are skipped.
//! Directories are deduplicated by `(dev, inode)`, so bind mounts cannot make
//! the walk loop; depth and entries per directory are bounded.
//!
//! Limit: without `openat` (the crate forbids `unsafe`, and std has no
//! safe `openat`), files are opened by host path. `O_NOFOLLOW` covers the
//! last component only, so on a tree that is being changed *while* it is
//! swept, a directory swapped for a symlink between listing and open could
//! be followed once. On a live root that is the host anyway; an image is
//! normally not changing under the scan.
//!
//! Cost: one `open` + `read(4096)` + `close` per regular file, plus the
//! certificate table of signed PE images. Nothing else of a file is read.
//! The walk runs on the calling thread and, once the tree proves big, on
//! helper threads sharing a queue of directories and runs of files; the
//! output is sorted, so it is deterministic.

pub mod pe;

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{Read, Seek};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use uproot_inventory::{CodeSigner, FileEntry};

use crate::macos::macho::AppleSignature as AppleSig;
use crate::{root_message, Output, Root};

/// What to sweep and how far.
#[derive(Debug, Clone)]
pub struct DeepOptions {
    /// In-root directories (or files) to sweep. Empty means `["/"]`.
    pub paths: Vec<String>,
    /// PE and Mach-O files larger than this are not parsed past their first
    /// 4 KiB (counted as skipped); a name match is still reported.
    pub max_file_bytes: u64,
    /// Largest Authenticode certificate table read from one file.
    pub max_signature_bytes: u64,
    /// File-name globs (`klif.sys`, `kl*.sys`, `avp.exe`): `*` and `?`, ASCII
    /// case-insensitive. A glob without `/` is tested against the file name,
    /// one with `/` against the whole in-root path. Matching entries become
    /// `inventory.files`.
    pub name_globs: Vec<String>,
    /// Deepest directory level descended below a start path.
    pub max_depth: usize,
    /// Most entries read from one directory; the rest are skipped with an error.
    pub max_dir_entries: usize,
    /// Call the progress callback every this many files.
    pub progress_every: u64,
    /// Worker threads; 0 means one per CPU.
    pub threads: usize,
}

impl Default for DeepOptions {
    fn default() -> Self {
        DeepOptions {
            paths: vec!["/".into()],
            max_file_bytes: 4 << 30,
            max_signature_bytes: pe::DEFAULT_MAX_SIGNATURE_BYTES,
            name_globs: Vec::new(),
            max_depth: 64,
            max_dir_entries: 200_000,
            progress_every: 4096,
            threads: 0,
        }
    }
}

/// Counters of one sweep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepStats {
    /// Regular files seen.
    pub files: u64,
    /// Directories read.
    pub dirs: u64,
    /// Files that are PE images.
    pub pe: u64,
    /// Files that are Mach-O images.
    pub macho: u64,
    /// Signatures reported (one file can carry several).
    pub signatures: u64,
    /// Symlinks seen (never followed).
    pub symlinks: u64,
    /// Entries not sniffed: devices, fifos and sockets (never opened), and
    /// PE or Mach-O files over [`DeepOptions::max_file_bytes`].
    pub skipped: u64,
}

#[derive(Default)]
struct Counters {
    files: AtomicU64,
    dirs: AtomicU64,
    pe: AtomicU64,
    macho: AtomicU64,
    signatures: AtomicU64,
    symlinks: AtomicU64,
    skipped: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> SweepStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SweepStats {
            files: g(&self.files),
            dirs: g(&self.dirs),
            pe: g(&self.pe),
            macho: g(&self.macho),
            signatures: g(&self.signatures),
            symlinks: g(&self.symlinks),
            skipped: g(&self.skipped),
        }
    }
}

struct Ctx<'a> {
    opts: &'a DeepOptions,
    base: PathBuf,
    globs: Globs,
    skip_dirs: HashSet<PathBuf>,
    seen_dirs: Mutex<HashSet<(u64, u64)>>,
    counters: Counters,
    progress: &'a (dyn Fn(u64) + Sync),
}

/// Sweeps `opts.paths` under `root`; see the module documentation.
/// `progress` is called with the number of files seen so far, every
/// `opts.progress_every` files and once at the end.
pub fn sweep(root: &Root, opts: &DeepOptions, progress: &(dyn Fn(u64) + Sync)) -> Output {
    sweep_with_stats(root, opts, progress).0
}

/// Files seen on the calling thread before helper threads are started: a
/// small tree is done before a helper would even be scheduled.
const SPAWN_AFTER_FILES: u64 = 256;
/// Files per job, so one huge directory is shared between threads.
const FILES_PER_JOB: usize = 128;

/// [`sweep`], also returning counters.
pub fn sweep_with_stats(
    root: &Root,
    opts: &DeepOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> (Output, SweepStats) {
    let Some(base) = root.host_base() else {
        return sweep_virtual(root, opts, progress);
    };
    let skip_dirs = if root.is_live() {
        pseudo_mounts(root)
    } else {
        HashSet::new()
    };
    let ctx = Ctx::new(opts, base.to_path_buf(), skip_dirs, progress);
    let mut out = Output::default();
    let mut starts: Vec<(PathBuf, String)> = Vec::new();
    for p in &start_paths(opts) {
        match root.resolve(p) {
            Ok(host) => {
                let inroot = in_root_path(&ctx.base, &host);
                starts.push((host, inroot));
            }
            // The user named this path: say so when it is not there.
            Err(e) => out.error(e.path(), root_message(&e)),
        }
    }
    // A start inside another is swept as part of it, so overlapping paths
    // give one deterministic result.
    starts.sort();
    let mut jobs: Vec<Job> = Vec::new();
    for (host, inroot) in starts {
        if jobs
            .iter()
            .any(|j| matches!(j, Job::Start { host: h, .. } if host.starts_with(h)))
        {
            continue;
        }
        jobs.push(Job::Start { host, inroot });
    }
    jobs.reverse(); // popped from the back: sweep in path order
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    out.extend(run_pool(&ctx, jobs, threads));
    finish(out, &ctx)
}

/// The sweep over a virtual root (a container image): one thread, through
/// [`Root`] only, since there are no host paths; the same per-file sniffing.
fn sweep_virtual(
    root: &Root,
    opts: &DeepOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> (Output, SweepStats) {
    let ctx = Ctx::new(opts, PathBuf::new(), HashSet::new(), progress);
    let mut out = Output::default();
    let mut starts: Vec<String> = Vec::new();
    for p in &start_paths(opts) {
        match root.canonical(p) {
            Ok(real) => starts.push(real),
            Err(e) => out.error(e.path(), root_message(&e)),
        }
    }
    starts.sort();
    starts.dedup();
    let mut stack: Vec<(String, usize)> = Vec::new();
    for s in starts.iter().rev() {
        let inside_other = starts
            .iter()
            .any(|o| o != s && (o == "/" || s.starts_with(&format!("{o}/"))));
        if !inside_other {
            stack.push((s.clone(), 0));
        }
    }
    while let Some((path, depth)) = stack.pop() {
        let meta = match root.symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                out.error_unless_missing(e);
                continue;
            }
        };
        if meta.is_file() {
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
            visit_virtual(
                &ctx,
                root,
                (if dir.is_empty() { "/" } else { dir }, name),
                meta,
                &mut out,
            );
            continue;
        }
        if !meta.is_dir() {
            continue;
        }
        ctx.counters.dirs.fetch_add(1, Ordering::Relaxed);
        if depth > opts.max_depth {
            out.error(
                &path,
                format!("deeper than {} levels; not swept", opts.max_depth),
            );
            continue;
        }
        let entries = match root.read_dir(&path) {
            Ok(e) => e,
            Err(e) => {
                out.error(&path, root_message(&e));
                continue;
            }
        };
        for e in entries.into_iter().rev() {
            let child = join(&path, &e.name);
            match e.file_type {
                crate::root::EntryType::Symlink => {
                    ctx.counters.symlinks.fetch_add(1, Ordering::Relaxed);
                }
                crate::root::EntryType::Other => {
                    ctx.counters.skipped.fetch_add(1, Ordering::Relaxed);
                }
                _ => stack.push((child, depth + 1)),
            }
        }
    }
    finish(out, &ctx)
}

fn visit_virtual(
    ctx: &Ctx<'_>,
    root: &Root,
    (dir, name): (&str, &str),
    meta: crate::root::Meta,
    out: &mut Output,
) {
    let n = ctx.counters.files.fetch_add(1, Ordering::Relaxed) + 1;
    if ctx.opts.progress_every > 0 && n % ctx.opts.progress_every == 0 {
        (ctx.progress)(n);
    }
    let globbed = ctx.globs.matches(dir, name);
    let path = join(dir, name);
    let mut file = match root.open(&path) {
        Ok(f) => f,
        Err(e) => {
            if globbed {
                push_file(out, &path, "file", None);
            }
            out.error(&path, format!("cannot open: {}", root_message(&e)));
            return;
        }
    };
    sniff(
        ctx,
        &mut file,
        |_| Ok((true, meta.len())),
        (dir, name, globbed),
        out,
    );
}

impl<'a> Ctx<'a> {
    fn new(
        opts: &'a DeepOptions,
        base: PathBuf,
        skip_dirs: HashSet<PathBuf>,
        progress: &'a (dyn Fn(u64) + Sync),
    ) -> Ctx<'a> {
        Ctx {
            opts,
            base,
            globs: Globs::new(&opts.name_globs),
            skip_dirs,
            seen_dirs: Mutex::new(HashSet::new()),
            counters: Counters::default(),
            progress,
        }
    }
}

/// The in-root directories to sweep: the ones asked for, or `/`.
fn start_paths(opts: &DeepOptions) -> Vec<String> {
    if opts.paths.is_empty() {
        vec!["/".to_string()]
    } else {
        opts.paths.clone()
    }
}

/// Sorts the output (helper threads finish in any order) and reports the
/// final count.
fn finish(mut out: Output, ctx: &Ctx<'_>) -> (Output, SweepStats) {
    out.inventory.signers.sort_by(|a, b| a.path.cmp(&b.path));
    out.inventory.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.inventory.files.dedup_by(|a, b| a.path == b.path);
    out.errors.sort_by(|a, b| a.source.cmp(&b.source));
    let stats = ctx.counters.snapshot();
    (ctx.progress)(stats.files);
    (out, stats)
}

fn in_root_path(base: &Path, host: &Path) -> String {
    match host.strip_prefix(base) {
        Ok(rel) if rel.as_os_str().is_empty() => "/".into(),
        Ok(rel) => format!("/{}", rel.to_string_lossy()),
        Err(_) => host.to_string_lossy().into_owned(),
    }
}

/// One unit of work: a start path, a directory to list, or a run of files
/// from one directory.
enum Job {
    Start {
        host: PathBuf,
        inroot: String,
    },
    Dir {
        host: PathBuf,
        inroot: String,
        depth: usize,
    },
    Files {
        dir_host: PathBuf,
        dir_inroot: String,
        /// As on disk: a name that is not UTF-8 must still open.
        names: Vec<OsString>,
    },
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Job>,
    active: usize,
}

/// A small work-sharing pool in which the calling thread is a worker too.
/// Helpers are only started once the tree proves big, because on a busy
/// machine every hand-off to another thread waits for the scheduler; rayon
/// would hand the very first job over.
struct Pool {
    q: Mutex<Queue>,
    cv: Condvar,
}

impl Pool {
    /// The next job, or `None` when nothing is queued or running.
    fn next(&self) -> Option<Job> {
        let mut q = self.q.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(j) = q.jobs.pop() {
                q.active += 1;
                return Some(j);
            }
            if q.active == 0 {
                self.cv.notify_all();
                return None;
            }
            q = self.cv.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Marks a job done and queues what it found; returns the queue length.
    fn done(&self, new: Vec<Job>) -> usize {
        let mut q = self.q.lock().unwrap_or_else(|e| e.into_inner());
        q.active -= 1;
        let woke = !new.is_empty() || (q.active == 0 && q.jobs.is_empty());
        q.jobs.extend(new);
        if woke {
            self.cv.notify_all();
        }
        q.jobs.len()
    }

    fn work(&self, ctx: &Ctx<'_>, out: &mut Output) {
        while let Some(job) = self.next() {
            let new = run_job(ctx, job, out);
            self.done(new);
        }
    }
}

fn run_pool(ctx: &Ctx<'_>, jobs: Vec<Job>, threads: usize) -> Output {
    let pool = Pool {
        q: Mutex::new(Queue { jobs, active: 0 }),
        cv: Condvar::new(),
    };
    let mut out = Output::default();
    std::thread::scope(|s| {
        let mut helpers = Vec::new();
        while let Some(job) = pool.next() {
            let new = run_job(ctx, job, &mut out);
            let queued = pool.done(new);
            if queued > 0
                && helpers.len() + 1 < threads
                && ctx.counters.files.load(Ordering::Relaxed) >= SPAWN_AFTER_FILES
            {
                let pool = &pool;
                helpers.push(s.spawn(move || {
                    let mut o = Output::default();
                    pool.work(ctx, &mut o);
                    o
                }));
            }
        }
        for h in helpers {
            match h.join() {
                Ok(o) => out.extend(o),
                Err(_) => out.error(
                    "uproot",
                    "a deep-sweep thread panicked; part of the tree is missing",
                ),
            }
        }
    });
    out
}

fn run_job(ctx: &Ctx<'_>, job: Job, out: &mut Output) -> Vec<Job> {
    match job {
        Job::Start { host, inroot } => match std::fs::symlink_metadata(&host) {
            Ok(m) if m.is_dir() => list_dir(ctx, host, inroot, 0, out),
            Ok(m) if m.is_file() => {
                let (dir, name) = inroot.rsplit_once('/').unwrap_or(("", &inroot));
                visit_file(
                    ctx,
                    &host,
                    if dir.is_empty() { "/" } else { dir },
                    name,
                    out,
                );
                Vec::new()
            }
            Ok(_) => Vec::new(),
            Err(e) => {
                out.error(&inroot, e.to_string());
                Vec::new()
            }
        },
        Job::Dir {
            host,
            inroot,
            depth,
        } => list_dir(ctx, host, inroot, depth, out),
        Job::Files {
            dir_host,
            dir_inroot,
            names,
        } => {
            let mut host = dir_host;
            for name in names {
                host.push(&name);
                visit_file(ctx, &host, &dir_inroot, &name.to_string_lossy(), out);
                host.pop();
            }
            Vec::new()
        }
    }
}

/// Lists one directory: symlinks and special files are dealt with here,
/// subdirectories and runs of files become jobs. The first run of files is
/// swept at once.
fn list_dir(
    ctx: &Ctx<'_>,
    host: PathBuf,
    inroot: String,
    depth: usize,
    out: &mut Output,
) -> Vec<Job> {
    let mut jobs = Vec::new();
    if ctx.skip_dirs.contains(&host) {
        return jobs;
    }
    match std::fs::symlink_metadata(&host) {
        Ok(m) => {
            let first = ctx
                .seen_dirs
                .lock()
                .map(|mut s| s.insert((m.dev(), m.ino())))
                .unwrap_or(true);
            if !first {
                return jobs; // reached twice (bind mount)
            }
        }
        Err(e) => {
            out.error(&inroot, e.to_string());
            return jobs;
        }
    }
    let rd = match std::fs::read_dir(&host) {
        Ok(rd) => rd,
        Err(e) => {
            out.error(&inroot, format!("cannot list directory: {e}"));
            return jobs;
        }
    };
    ctx.counters.dirs.fetch_add(1, Ordering::Relaxed);
    let mut files: Vec<OsString> = Vec::new();
    for (listed, e) in rd.enumerate() {
        let e = match e {
            Ok(e) => e,
            Err(err) => {
                out.error(&inroot, format!("cannot list directory: {err}"));
                break;
            }
        };
        if listed >= ctx.opts.max_dir_entries {
            out.error(
                &inroot,
                format!(
                    "directory has more than {} entries; the rest were not swept",
                    ctx.opts.max_dir_entries
                ),
            );
            break;
        }
        let raw = e.file_name();
        let name = raw.to_string_lossy();
        let ft = match e.file_type() {
            Ok(t) => t,
            Err(err) => {
                out.error(join(&inroot, &name), err.to_string());
                continue;
            }
        };
        if ft.is_file() {
            files.push(raw);
        } else if ft.is_dir() {
            let child = join(&inroot, &name);
            ctx.globs.record(&inroot, &name, "dir", out);
            if depth + 1 > ctx.opts.max_depth {
                out.error(
                    &child,
                    format!("deeper than {} levels; not swept", ctx.opts.max_depth),
                );
            } else {
                jobs.push(Job::Dir {
                    host: host.join(&raw),
                    inroot: child,
                    depth: depth + 1,
                });
            }
        } else if ft.is_symlink() {
            ctx.counters.symlinks.fetch_add(1, Ordering::Relaxed);
            ctx.globs.record(&inroot, &name, "symlink", out);
        } else {
            ctx.counters.skipped.fetch_add(1, Ordering::Relaxed);
        }
    }
    if files.len() > FILES_PER_JOB {
        let rest = files.split_off(FILES_PER_JOB);
        for chunk in rest.chunks(FILES_PER_JOB) {
            jobs.push(Job::Files {
                dir_host: host.clone(),
                dir_inroot: inroot.clone(),
                names: chunk.to_vec(),
            });
        }
    }
    let mut file_host = host;
    for name in files {
        file_host.push(&name);
        visit_file(ctx, &file_host, &inroot, &name.to_string_lossy(), out);
        file_host.pop();
    }
    jobs
}

fn join(dir: &str, name: &str) -> String {
    crate::root::join(dir, name)
}

/// Sniffs one regular file: `host` is its host path, `dir` and `name` its
/// in-root directory and name (joined only when something is reported).
fn visit_file(ctx: &Ctx<'_>, host: &Path, dir: &str, name: &str, out: &mut Output) {
    let path = || join(dir, name);
    let n = ctx.counters.files.fetch_add(1, Ordering::Relaxed) + 1;
    if ctx.opts.progress_every > 0 && n % ctx.opts.progress_every == 0 {
        (ctx.progress)(n);
    }
    let globbed = ctx.globs.matches(dir, name);
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(host)
    {
        Ok(f) => f,
        Err(e) => {
            if globbed {
                push_file(out, &path(), "file", None);
            }
            // A file that vanished mid-walk is not an error worth reporting.
            if e.kind() != std::io::ErrorKind::NotFound {
                out.error(path(), format!("cannot open: {e}"));
            }
            return;
        }
    };
    sniff(
        ctx,
        &mut file,
        |f| f.metadata().map(|m| (m.is_file(), m.len())),
        (dir, name, globbed),
        out,
    );
}

/// Reads the head of an open file and, for PE and Mach-O images, the code
/// signature. `stat` gives (is a regular file, length) of the open file, and
/// is only called once a signature makes the size matter.
fn sniff<F: Read + Seek>(
    ctx: &Ctx<'_>,
    file: &mut F,
    stat: impl FnOnce(&mut F) -> std::io::Result<(bool, u64)>,
    (dir, name, globbed): (&str, &str, bool),
    out: &mut Output,
) {
    let path = || join(dir, name);
    // One read: on a regular file a short read means end of file, and the PE
    // reader fetches anything it still needs (headers past 4 KiB) itself.
    let mut head = [0u8; pe::HEAD_BYTES];
    let n = loop {
        match file.read(&mut head) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                if globbed {
                    push_file(out, &path(), "file", None);
                }
                out.error(path(), format!("cannot read: {e}"));
                return;
            }
        }
    };
    let head = &head[..n];
    let is_pe = head.starts_with(b"MZ");
    let is_macho = !is_pe && macho::is_macho(head);
    if !globbed && !is_pe && !is_macho {
        return;
    }
    if is_pe && !globbed {
        // Most PE files are unsigned: tell from the headers alone, without the
        // `fstat` the size check needs. A short read means the file ended.
        let len_hint = if n < pe::HEAD_BYTES {
            n as u64
        } else {
            u64::MAX
        };
        if let Ok(None) = pe::security_directory(file, head, len_hint) {
            if looks_like_pe(head) {
                ctx.counters.pe.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
    }
    // Only now is the size needed; also re-check the type after open, against
    // a file swapped for something else since the listing.
    let (is_file, len) = match stat(file) {
        Ok(m) => m,
        Err(e) => {
            out.error(path(), format!("cannot stat: {e}"));
            return;
        }
    };
    if !is_file {
        ctx.counters.skipped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if globbed {
        push_file(out, &path(), "file", Some(len));
    }
    if len > ctx.opts.max_file_bytes {
        ctx.counters.skipped.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if is_pe {
        match pe::read_pe_signature_with_head(file, head, len, ctx.opts.max_signature_bytes) {
            Ok(None) => {
                // "MZ" also starts DOS programs and plain data; count PE images only.
                if looks_like_pe(head) {
                    ctx.counters.pe.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok(Some(sig)) => {
                ctx.counters.pe.fetch_add(1, Ordering::Relaxed);
                let path = path();
                let enclosing = enclosing_product(&path);
                for s in sig.flatten() {
                    ctx.counters.signatures.fetch_add(1, Ordering::Relaxed);
                    out.inventory.signers.push(CodeSigner {
                        path: path.clone(),
                        format: "authenticode".into(),
                        subject: Some(s.signer_subject.clone()),
                        chain: s.chain.clone(),
                        team_id: None,
                        enclosing: enclosing.clone(),
                    });
                }
            }
            Err(e) => {
                ctx.counters.pe.fetch_add(1, Ordering::Relaxed);
                out.error(path(), format!("Authenticode signature: {e}"));
            }
        }
    } else if is_macho {
        ctx.counters.macho.fetch_add(1, Ordering::Relaxed);
        match macho::signature(file) {
            Ok(Some(AppleSig {
                identifier,
                team_id,
            })) => {
                ctx.counters.signatures.fetch_add(1, Ordering::Relaxed);
                let path = path();
                out.inventory.signers.push(CodeSigner {
                    enclosing: enclosing_product(&path),
                    path,
                    format: "apple".into(),
                    subject: identifier,
                    chain: Vec::new(),
                    team_id,
                });
            }
            Ok(None) => {}
            Err(e) => out.error(path(), format!("Mach-O code signature: {e}")),
        }
    }
}

fn looks_like_pe(head: &[u8]) -> bool {
    let Some(off) = head.get(0x3c..0x40) else {
        return false;
    };
    let off = u32::from_le_bytes([off[0], off[1], off[2], off[3]]) as usize;
    head.get(off..off.saturating_add(4)) == Some(b"PE\0\0")
}

fn push_file(out: &mut Output, path: &str, file_type: &str, size: Option<u64>) {
    out.inventory.files.push(FileEntry {
        path: path.to_owned(),
        file_type: file_type.into(),
        size,
    });
}

/// The Mach-O branch: the parser lives in `crate::macos::macho`.
mod macho {
    use crate::macos::macho::AppleSignature;
    use std::io::{Read, Seek};

    /// True when `head` starts a Mach-O image (thin or universal).
    pub(super) fn is_macho(head: &[u8]) -> bool {
        crate::macos::macho::is_macho(head)
    }

    /// The embedded code signature's identifier and Team ID, if any.
    pub(super) fn signature<R: Read + Seek>(
        file: &mut R,
    ) -> Result<Option<AppleSignature>, String> {
        crate::macos::macho::read_signature(file).map_err(|e| e.to_string())
    }
}

/// The product directory a file sits in, for telling a vendor's own product
/// from its code embedded in another product (the matcher calls a covered
/// signer *embedded* when this directory does not name the vendor).
/// Components are matched ignoring case.
///
/// * Windows: the directory right under `Program Files`, `Program Files (x86)`,
///   `ProgramData`, or a user's `AppData/Local/Programs`, `AppData/Local` or
///   `AppData/Roaming`:
///   `/Program Files/OtherVendor/engine/kavbase.dll` → `/Program Files/OtherVendor`.
/// * Bundles: the outermost `.app`, for code inside it other than its own
///   executables: `/Applications/Foo.app/Contents/Frameworks/x.dylib` →
///   `/Applications/Foo.app`, while `Foo.app/Contents/MacOS/foo` is the
///   product itself (`None`: whoever signed it owns it, whatever its name).
/// * `Library/Application Support/<X>` (system or per user) and `/opt/<X>`.
/// * `None` in directories every vendor installs into, where the directory
///   says nothing about a product: a file loose in one of the containers
///   above, and the OS trees `/Windows`, `/System`, `/usr`, `/lib*`, `/bin`,
///   `/sbin`, `/etc`, `/boot`, `/private`, `/Library/Extensions`,
///   `/Library/SystemExtensions`, `/Library/Launch*` (a Kaspersky driver in
///   `System32/drivers` or a `klif.kext` is Kaspersky's own product).
/// * Otherwise the directory holding the file.
pub fn enclosing_product(path: &str) -> Option<String> {
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let n = comps.len();
    let prefix = |k: usize| format!("/{}", comps[..k].join("/"));
    let is = |i: usize, name: &str| comps.get(i).is_some_and(|c| c.eq_ignore_ascii_case(name));
    for (i, &c) in comps.iter().enumerate().take(n.saturating_sub(1)) {
        let container = ["Program Files", "Program Files (x86)", "ProgramData"]
            .iter()
            .any(|k| c.eq_ignore_ascii_case(k))
            || (i >= 1
                && is(i - 1, "AppData")
                && (is(i, "Roaming") || (is(i, "Local") && !is(i + 1, "Programs"))))
            || (i >= 2 && is(i - 2, "AppData") && is(i - 1, "Local") && is(i, "Programs"))
            || (i >= 1 && is(i - 1, "Library") && is(i, "Application Support"))
            || (i == 0 && is(0, "opt"));
        if container {
            // The product directory must be a directory above the file.
            return (i + 2 < n).then(|| prefix(i + 2));
        }
        if c.len() > 4 && c[c.len() - 4..].eq_ignore_ascii_case(".app") {
            let own_executable = n == i + 4 && is(i + 1, "Contents") && is(i + 2, "MacOS");
            return (!own_executable).then(|| prefix(i + 1));
        }
    }
    let shared_os_tree = n >= 2
        && ([
            "Windows", "System", "usr", "bin", "sbin", "etc", "boot", "private",
        ]
        .iter()
        .any(|k| is(0, k))
            || comps[0].to_ascii_lowercase().starts_with("lib") && !is(0, "Library")
            || (is(0, "Library")
                && [
                    "Extensions",
                    "SystemExtensions",
                    "LaunchDaemons",
                    "LaunchAgents",
                ]
                .iter()
                .any(|k| is(1, k))));
    if shared_os_tree || n <= 1 {
        return None;
    }
    Some(prefix(n - 1))
}

/// Name globs, split into exact names (hashed) and patterns.
struct Globs {
    names: HashSet<String>,
    name_patterns: Vec<Vec<u8>>,
    path_patterns: Vec<Vec<u8>>,
}

impl Globs {
    fn new(globs: &[String]) -> Globs {
        let mut g = Globs {
            names: HashSet::new(),
            name_patterns: Vec::new(),
            path_patterns: Vec::new(),
        };
        for glob in globs {
            let lc = glob.to_ascii_lowercase();
            if lc.contains('/') {
                g.path_patterns.push(lc.into_bytes());
            } else if lc.contains(['*', '?']) {
                g.name_patterns.push(lc.into_bytes());
            } else if !lc.is_empty() {
                g.names.insert(lc);
            }
        }
        g
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty() && self.name_patterns.is_empty() && self.path_patterns.is_empty()
    }

    /// True when `name` (in in-root directory `dir`) matches a glob.
    fn matches(&self, dir: &str, name: &str) -> bool {
        if self.is_empty() {
            return false;
        }
        // Lower-case into a stack buffer: this runs for every file.
        let mut buf = [0u8; 256];
        let lc: Option<&str> = (name.len() <= buf.len()).then(|| {
            let b = &mut buf[..name.len()];
            b.copy_from_slice(name.as_bytes());
            b.make_ascii_lowercase();
            std::str::from_utf8(b).unwrap_or_default()
        });
        let owned;
        let lc = match lc {
            Some(l) => l,
            None => {
                owned = name.to_ascii_lowercase();
                &owned
            }
        };
        self.names.contains(lc)
            || self
                .name_patterns
                .iter()
                .any(|p| glob_match(p, lc.as_bytes()))
            || (!self.path_patterns.is_empty() && {
                let lp = join(dir, name).to_ascii_lowercase();
                self.path_patterns
                    .iter()
                    .any(|p| glob_match(p, lp.as_bytes()))
            })
    }

    fn record(&self, dir: &str, name: &str, file_type: &str, out: &mut Output) {
        if self.matches(dir, name) {
            push_file(out, &join(dir, name), file_type, None);
        }
    }
}

/// `*` (any run, including `/` for path globs) and `?` (one byte); iterative,
/// linear in practice, no backtracking blow-up.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && (pat[p] == b'?' || pat[p] == s[i]) {
            p += 1;
            i += 1;
        } else if p < pat.len() && pat[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Host directories to skip on a live root: the usual pseudo-filesystem
/// mount points, plus every pseudo-filesystem mount in `/proc/self/mounts`.
fn pseudo_mounts(root: &Root) -> HashSet<PathBuf> {
    const PSEUDO: &[&str] = &[
        "proc",
        "sysfs",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "debugfs",
        "tracefs",
        "securityfs",
        "pstore",
        "bpf",
        "configfs",
        "fusectl",
        "mqueue",
        "hugetlbfs",
        "autofs",
        "binfmt_misc",
        "efivarfs",
        "selinuxfs",
        "nsfs",
        "rpc_pipefs",
        "nfsd",
        "ramfs",
    ];
    // Only called for live roots, which are host roots.
    let base = root.host_base().unwrap_or(Path::new("/"));
    let mut skip: HashSet<PathBuf> = ["/proc", "/sys", "/dev"]
        .iter()
        .map(|p| base.join(p.trim_start_matches('/')))
        .collect();
    if let Ok(text) = root.read_to_string("/proc/self/mounts") {
        for line in text.lines() {
            let mut f = line.split(' ');
            let (Some(_src), Some(dir), Some(fstype)) = (f.next(), f.next(), f.next()) else {
                continue;
            };
            if PSEUDO.contains(&fstype) {
                let dir = unescape_mount(dir);
                skip.insert(base.join(dir.trim_start_matches('/')));
            }
        }
    }
    skip
}

/// `/proc/self/mounts` writes space, tab, newline and backslash as `\ooo`.
fn unescape_mount(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enclosing_product_directories() {
        for (path, want) in [
            (
                "/Program Files/OtherVendor/engine/kavbase.dll",
                Some("/Program Files/OtherVendor"),
            ),
            (
                "/Program Files/OtherVendor/app.exe",
                Some("/Program Files/OtherVendor"),
            ),
            (
                "/program files (x86)/Kaspersky Lab/KES/avp.exe",
                Some("/program files (x86)/Kaspersky Lab"),
            ),
            (
                "/ProgramData/Kaspersky Lab/AVP21.3/Bases/klids.sys",
                Some("/ProgramData/Kaspersky Lab"),
            ),
            ("/Program Files/loose.dll", None),
            (
                "/Users/al/AppData/Local/Programs/Foo/bin/x.dll",
                Some("/Users/al/AppData/Local/Programs/Foo"),
            ),
            (
                "/Users/al/AppData/Local/Bar/x.dll",
                Some("/Users/al/AppData/Local/Bar"),
            ),
            (
                "/Users/al/AppData/Roaming/Bar/x.dll",
                Some("/Users/al/AppData/Roaming/Bar"),
            ),
            ("/Users/al/AppData/Local/Programs/x.dll", None),
            ("/Windows/System32/drivers/klif.sys", None),
            ("/windows/system32/kl1.dll", None),
            (
                "/Applications/Foo.app/Contents/Frameworks/k.dylib",
                Some("/Applications/Foo.app"),
            ),
            ("/Applications/Foo.app/Contents/MacOS/foo", None),
            (
                "/Applications/Foo.app/Contents/Library/LoginItems/H.app/Contents/MacOS/h",
                Some("/Applications/Foo.app"),
            ),
            (
                "/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav",
                Some("/Library/Application Support/Kaspersky Lab"),
            ),
            ("/Library/Extensions/klif.kext/Contents/MacOS/klif", None),
            (
                "/Library/SystemExtensions/UUID/x.systemextension/Contents/MacOS/x",
                None,
            ),
            ("/opt/kaspersky/kesl/bin/x", Some("/opt/kaspersky")),
            (
                "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/wmi.dll",
                None,
            ),
            ("/lib64/x.so", None),
            ("/Tools/OtherVendor/kavbase.dll", Some("/Tools/OtherVendor")),
            ("/x.exe", None),
        ] {
            assert_eq!(enclosing_product(path).as_deref(), want, "{path}");
        }
    }

    #[test]
    fn globs() {
        let g = Globs::new(&[
            "klif.sys".into(),
            "kl*.sys".into(),
            "AVP.EXE".into(),
            "/opt/*/kesl".into(),
        ]);
        assert!(g.matches("/Windows/System32/drivers", "KLIF.SYS"));
        assert!(g.matches("/a", "klupd_x.sys"));
        assert!(g.matches("/a", "avp.exe"));
        assert!(g.matches("/opt/kaspersky", "kesl"));
        assert!(!g.matches("/opt", "kesl"));
        assert!(!g.matches("/a", "avp.exe.bak"));
        assert!(!g.matches("/a", "kl.sysx"));
        let long = format!("{}KLIF.SYS", "x".repeat(300));
        assert!(g.matches("/", &long[300..]) && !g.matches("/", &long));
        assert!(Globs::new(&["*.sys".into()]).matches("/", &long));
        assert!(glob_match(b"*a*b*c", b"xxaxxbxxc"));
        assert!(!glob_match(b"*a*b*c", b"xxaxxbxx"));
        assert!(glob_match(b"", b""));
    }

    #[test]
    fn mount_paths_are_unescaped() {
        assert_eq!(unescape_mount("/mnt/a\\040b"), "/mnt/a b");
        assert_eq!(unescape_mount("/x\\"), "/x\\");
    }
}
