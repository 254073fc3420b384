//! A bounded pre-pass over a hive's cells, run before notatin sees the bytes.
//!
//! notatin parses honest hives well, but it was written for forensics on
//! trusted evidence and trusts the structure of the file:
//!
//! * an `ri` subkey index whose item points at another `ri` makes it recurse
//!   without limit (`SubKeyListRi::parse_offsets` → `parse_sub_key_list`), and
//!   a stack overflow aborts the whole process: `catch_unwind` cannot stop it;
//! * every value of every key it reads is copied eagerly, so a hive whose values
//!   all point at one large data cell (or whose big-data segments all point at one
//!   segment) makes it allocate far more than the file holds;
//! * subkey and value counts go straight into `Vec::with_capacity`;
//! * `lf`/`li` offsets are added without overflow checks (a panic in debug builds).
//!
//! Windows never writes any of that: every key has one parent, every value and
//! list belongs to one key, cells are 8-byte aligned, an `ri` only points at leaf
//! lists, and values do not share data. So this pass walks the tree that is
//! reachable from the root (iteratively, each cell at most once, in time and
//! memory linear in the file) and, in our private copy of the bytes, cuts every
//! reference that breaks those rules. notatin then sees a hive whose parse is
//! bounded by the file size; what was cut is reported as a problem with the hive.

/// Hive bins start 4 KiB into the file; every offset in a cell is relative to here.
pub const HBIN_START: usize = 0x1000;
/// An offset notatin will find outside any hive it is given (and whose `+ 0x1000`
/// does not overflow a `u32`), used to cut a reference.
pub const CUT: u32 = u32::MAX - HBIN_START as u32;
/// Values read per key: notatin's own limit, above anything Windows writes.
pub const MAX_VALUES_PER_KEY: u32 = 1 << 20;
/// Subkeys per key. Real hives have keys with a few hundred thousand
/// (`Installer\UserData\…\Components`); notatin returns none at all past 2^20.
pub const MAX_SUBKEYS_PER_KEY: usize = 1_000_000;
/// notatin reads a key only if its cell is at least this large.
const MIN_NK: usize = 0x50;
/// Past this many value-data bytes (more than the file could hold without
/// sharing), further values are emptied.
const DATA_SLACK: u64 = 1 << 20;

/// Why a buffer is not a hive notatin may be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// Too short to hold a base block and a hive bin.
    #[error("{0} bytes is too short for a registry hive")]
    TooShort(usize),
    /// No `regf` signature.
    #[error("not a registry hive (no `regf` signature)")]
    NoSignature,
    /// No `hbin` at 4 KiB.
    #[error("no hive bin at offset 0x1000 (truncated or not a primary hive file)")]
    NoHiveBin,
    /// The root key offset is outside the file or not a key.
    #[error("root key offset {0:#x} does not point at a key cell")]
    BadRoot(i64),
    /// Cells overlap so that repairing one structure re-breaks another, and
    /// repeated passes do not converge: the hive is refused, not parsed.
    /// (Found by `cargo fuzz`: a clamped count landing on a cut list entry
    /// revived a cycle that made notatin recurse until the stack overflowed.)
    #[error("hive structure cannot be made safe to parse (overlapping cells): {0}")]
    Unrepairable(String),
}

/// Most repair passes before a hive is refused.
const MAX_PASSES: usize = 8;

/// What the pass cut, by kind; each is a count of references.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// References to a key that already has a parent (cycles, shared keys), or
    /// to a value another key already holds.
    pub repeated_cells: u64,
    /// Subkey or value lists already owned by another key.
    pub shared_lists: u64,
    /// `ri` items that point at another `ri`.
    pub nested_ri: u64,
    /// Offsets that are not 8-byte aligned, or that overflow.
    pub bad_offsets: u64,
    /// Values whose data was emptied because the hive's data budget was spent.
    pub emptied_values: u64,
    /// Keys whose subkey or value count was lowered to what the hive can hold.
    pub clamped_counts: u64,
    /// References to cells past the end of the file.
    pub beyond_end: u64,
    /// `(file length, length the base block declares)` when the file is shorter.
    pub truncated: Option<(usize, usize)>,
    /// The base block's two sequence numbers, when they differ: Windows did not
    /// close the hive cleanly, and its latest changes are in the `.LOG1`/`.LOG2`
    /// transaction logs beside it, which are not applied (replaying them would
    /// rewrite the cells after this pass has checked them).
    pub dirty: Option<(u32, u32)>,
}

impl Report {
    /// One human sentence per kind of problem found, empty for a clean hive.
    pub fn messages(&self) -> Vec<String> {
        let mut m = Vec::new();
        if let Some((a, b)) = self.dirty {
            m.push(format!("the hive was not closed cleanly (sequence numbers {a} and {b}); changes still in its .LOG1/.LOG2 transaction logs are not applied, so the most recent ones may be missing"));
        }
        if let Some((len, want)) = self.truncated {
            m.push(format!("the file is {len} bytes but its header declares {want}: truncated; what lies beyond the end is missing"));
        }
        let mut say = |n: u64, what: &str| {
            if n > 0 {
                m.push(format!("hive structure is not what Windows writes: {n} {what}; those parts were skipped"));
            }
        };
        say(
            self.repeated_cells,
            "reference(s) to a key or value that already has an owner (a cycle or a shared cell)",
        );
        say(
            self.shared_lists,
            "subkey or value list(s) shared between keys",
        );
        say(self.nested_ri, "nested `ri` index(es)");
        say(
            self.bad_offsets,
            "misaligned or out-of-range cell offset(s)",
        );
        say(
            self.emptied_values,
            "value(s) whose data exceeds what the file holds (emptied)",
        );
        say(
            self.clamped_counts,
            "key(s) claiming more subkeys or values than they hold (clamped)",
        );
        m
    }

    /// References cut (clamped counts and emptied values aside).
    fn cuts(&self) -> u64 {
        self.repeated_cells
            + self.shared_lists
            + self.nested_ri
            + self.bad_offsets
            + self.beyond_end
    }

    /// True when nothing was cut or found missing (a dirty hive can be clean).
    pub fn is_clean(&self) -> bool {
        Report {
            dirty: None,
            ..self.clone()
        } == Report::default()
    }
}

/// One bit per 8-byte-aligned offset of the file.
struct Seen(Vec<u64>);

impl Seen {
    fn new(len: usize) -> Self {
        Seen(vec![0; len / 8 / 64 + 1])
    }
    /// Marks `rel` (an aligned, in-file relative offset); true if it was new.
    fn insert(&mut self, rel: u32) -> bool {
        let i = rel as usize / 8;
        let (w, b) = (i / 64, i % 64);
        match self.0.get_mut(w) {
            Some(word) if *word & (1 << b) == 0 => {
                *word |= 1 << b;
                true
            }
            _ => false,
        }
    }
}

fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        buf.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}
fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        buf.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}
fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    if let Some(s) = buf.get_mut(at..at + 4) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}
fn put_u16(buf: &mut [u8], at: usize, v: u16) {
    if let Some(s) = buf.get_mut(at..at + 2) {
        s.copy_from_slice(&v.to_le_bytes());
    }
}
fn sig_at(buf: &[u8], abs: usize) -> Option<&[u8]> {
    buf.get(abs.checked_add(4)?..abs.checked_add(6)?)
}

/// Absolute position of a relative offset, if it is aligned and its cell header is in the file.
fn cell(buf: &[u8], rel: u32, min: usize) -> Option<usize> {
    let abs = rel as usize + HBIN_START;
    (rel % 8 == 0 && abs.checked_add(min)? <= buf.len()).then_some(abs)
}

/// Checks the base block and neutralises hostile structure in place.
pub fn sanitize(buf: &mut [u8]) -> Result<Report, GuardError> {
    if buf.len() < HBIN_START + 0x20 + MIN_NK {
        return Err(GuardError::TooShort(buf.len()));
    }
    if &buf[..4] != b"regf" {
        return Err(GuardError::NoSignature);
    }
    if &buf[HBIN_START..HBIN_START + 4] != b"hbin" {
        return Err(GuardError::NoHiveBin);
    }
    let root = i32::from_le_bytes(buf[0x24..0x28].try_into().expect("4 bytes"));
    let root_ok = u32::try_from(root)
        .ok()
        .and_then(|r| cell(buf, r, MIN_NK).map(|a| (r, a)))
        .filter(|&(_, a)| sig_at(buf, a) == Some(b"nk"));
    let Some((root, _)) = root_ok else {
        return Err(GuardError::BadRoot(root.into()));
    };
    let declared = u32::from_le_bytes(buf[0x28..0x2c].try_into().expect("4 bytes")) as usize;
    let mut w = Walk {
        seen_keys: Seen::new(buf.len()),
        seen_lists: Seen::new(buf.len()),
        seen_values: Seen::new(buf.len()),
        budget: buf.len() as u64 + DATA_SLACK,
        report: Report::default(),
    };
    if buf.len() < HBIN_START + declared {
        w.report.truncated = Some((buf.len(), HBIN_START + declared));
    }
    let (seq1, seq2) = (u32_at(buf, 4).unwrap_or(0), u32_at(buf, 8).unwrap_or(0));
    if seq1 != seq2 {
        w.report.dirty = Some((seq1, seq2));
    }
    let mut stack = vec![root];
    w.seen_keys.insert(root);
    // notatin also reads the first cell of the first bin as a key when it opens the hive.
    if sig_at(buf, HBIN_START + 0x20) == Some(b"nk") && w.seen_keys.insert(0x20) {
        stack.push(0x20);
    }
    while let Some(key) = stack.pop() {
        w.key(buf, key, &mut stack);
    }
    // The walk writes in place; where cells overlap, a later write can undo an
    // earlier cut. Re-walk until what notatin would follow is a tree.
    let mut last = String::new();
    for _ in 0..MAX_PASSES {
        match verify(buf) {
            Ok(()) => return Ok(w.report),
            Err(problem) => last = problem,
        }
        let mut again = Walk {
            seen_keys: Seen::new(buf.len()),
            seen_lists: Seen::new(buf.len()),
            seen_values: Seen::new(buf.len()),
            budget: buf.len() as u64 + DATA_SLACK,
            report: Report::default(),
        };
        let mut stack = vec![root];
        again.seen_keys.insert(root);
        if sig_at(buf, HBIN_START + 0x20) == Some(b"nk") && again.seen_keys.insert(0x20) {
            stack.push(0x20);
        }
        while let Some(key) = stack.pop() {
            again.key(buf, key, &mut stack);
        }
    }
    match verify(buf) {
        Ok(()) => Ok(w.report),
        Err(_) => Err(GuardError::Unrepairable(last)),
    }
}

/// notatin reads no subkeys of a key that claims more than this many.
const NOTATIN_MAX_SUBKEYS: u32 = 1 << 20;

/// A read-only walk of what notatin would follow: every key, list and value
/// reached once, and no `ri` inside an `ri`. The guard's promise, checked.
pub fn verify(b: &[u8]) -> Result<(), String> {
    let root = u32_at(b, 0x24).unwrap_or(u32::MAX);
    let (mut keys, mut lists, mut values) =
        (Seen::new(b.len()), Seen::new(b.len()), Seen::new(b.len()));
    let is_key = |rel: u32| cell(b, rel, MIN_NK).filter(|&a| sig_at(b, a) == Some(b"nk"));
    let mut stack = vec![root];
    keys.insert(root);
    if is_key(0x20).is_some() && keys.insert(0x20) {
        stack.push(0x20);
    }
    while let Some(key) = stack.pop() {
        let Some(nk) = is_key(key) else { continue };
        let subkeys = u32_at(b, nk + 0x18).unwrap_or(0);
        if subkeys > 0 && subkeys <= NOTATIN_MAX_SUBKEYS {
            let list = u32_at(b, nk + 0x20).unwrap_or(u32::MAX);
            if let Some(labs) = cell(b, list, 8) {
                if !lists.insert(list) {
                    return Err(format!("list {list:#x} of key {key:#x} has two owners"));
                }
                let mut children = Vec::new();
                if sig_at(b, labs) == Some(b"ri") {
                    let n = u16_at(b, labs + 6).unwrap_or(0) as usize;
                    if labs + 8 + 4 * n <= b.len() {
                        for i in 0..n {
                            let sub = u32_at(b, labs + 8 + 4 * i).unwrap_or(u32::MAX);
                            let Some(sabs) = cell(b, sub, 8) else {
                                continue;
                            };
                            if sig_at(b, sabs) == Some(b"ri") {
                                return Err(format!(
                                    "ri {list:#x} of key {key:#x} holds ri {sub:#x}"
                                ));
                            }
                            if !lists.insert(sub) {
                                return Err(format!("leaf list {sub:#x} has two owners"));
                            }
                            verify_leaf(b, sabs, &mut children);
                        }
                    }
                } else {
                    verify_leaf(b, labs, &mut children);
                }
                for child in children {
                    if child as usize + HBIN_START > u32::MAX as usize || is_key(child).is_none() {
                        continue;
                    }
                    if !keys.insert(child) {
                        return Err(format!(
                            "key {child:#x} reached twice (again from key {key:#x})"
                        ));
                    }
                    stack.push(child);
                }
            }
        }
        let count = u32_at(b, nk + 0x28).unwrap_or(0);
        let list = u32_at(b, nk + 0x2c).unwrap_or(0) as i32;
        if count == 0 || count > MAX_VALUES_PER_KEY || list <= 0 || list as usize >= b.len() {
            continue;
        }
        let Some(vabs) = cell(b, list as u32, 4) else {
            continue;
        };
        if !lists.insert(list as u32) {
            return Err(format!(
                "value list {list:#x} of key {key:#x} has two owners"
            ));
        }
        if count as usize > (b.len() - vabs - 4) / 4 {
            continue;
        }
        for i in 0..count as usize {
            let vk = u32_at(b, vabs + 4 + 4 * i).unwrap_or(u32::MAX);
            let Some(kabs) = cell(b, vk, 24) else { break };
            let size = u32_at(b, kabs).map_or(0, |s| (s as i32).unsigned_abs() as usize);
            if sig_at(b, kabs) != Some(b"vk") || size < 24 || size > b.len() - kabs {
                break;
            }
            if !values.insert(vk) {
                return Err(format!(
                    "value {vk:#x} reached twice (again from key {key:#x})"
                ));
            }
        }
    }
    Ok(())
}

/// Child offsets of an `lf`/`lh`/`li` list, as notatin reads them.
fn verify_leaf(b: &[u8], labs: usize, out: &mut Vec<u32>) {
    let n = u16_at(b, labs + 6).unwrap_or(0) as usize;
    let step = match sig_at(b, labs) {
        Some(b"lf") | Some(b"lh") => 8,
        Some(b"li") => 4,
        _ => return,
    };
    if labs + 8 + step * n > b.len() {
        return;
    }
    out.extend((0..n).filter_map(|i| u32_at(b, labs + 8 + step * i)));
}

struct Walk {
    seen_keys: Seen,
    seen_lists: Seen,
    seen_values: Seen,
    budget: u64,
    report: Report,
}

impl Walk {
    fn key(&mut self, buf: &mut [u8], rel: u32, stack: &mut Vec<u32>) {
        let Some(abs) = cell(buf, rel, MIN_NK) else {
            return;
        };
        if sig_at(buf, abs) != Some(b"nk") {
            return; // notatin fails to read it and says so
        }
        self.subkeys(buf, abs, stack);
        self.values(buf, abs);
    }

    fn subkeys(&mut self, buf: &mut [u8], nk: usize, stack: &mut Vec<u32>) {
        let count = u32_at(buf, nk + 0x18).unwrap_or(0);
        if count == 0 {
            return;
        }
        let list = u32_at(buf, nk + 0x20).unwrap_or(CUT);
        let Some(labs) = cell(buf, list, 8) else {
            self.bad(buf, list);
            // notatin could not read the list anyway; zero spares it the allocation.
            return put_u32(buf, nk + 0x18, 0);
        };
        if !self.seen_lists.insert(list) {
            self.report.shared_lists += 1;
            return put_u32(buf, nk + 0x18, 0);
        }
        let cuts_before = self.report.cuts();
        let mut entries = Vec::new(); // absolute positions of child offsets
        match sig_at(buf, labs) {
            Some(b"ri") => self.ri(buf, labs, &mut entries),
            _ => leaf(buf, labs, &mut entries),
        }
        let mut kept = 0u32;
        for at in entries {
            let child = u32_at(buf, at).unwrap_or(CUT);
            if child as usize + HBIN_START > u32::MAX as usize {
                self.report.bad_offsets += 1; // notatin's `lf`/`li` add would overflow
                put_u32(buf, at, CUT);
            } else if cell(buf, child, MIN_NK).is_none() {
                self.bad(buf, child);
                put_u32(buf, at, CUT);
            } else if !self.seen_keys.insert(child) {
                self.report.repeated_cells += 1;
                put_u32(buf, at, CUT);
            } else {
                kept += 1;
                stack.push(child);
            }
        }
        if count > kept {
            if self.report.cuts() == cuts_before {
                self.clamp(buf, nk + 0x18, kept);
            } else {
                put_u32(buf, nk + 0x18, kept); // already reported as the cut that caused it
            }
        }
    }

    /// An `ri` index: each item must be a leaf list, owned by nothing else.
    fn ri(&mut self, buf: &mut [u8], labs: usize, entries: &mut Vec<usize>) {
        let n = u16_at(buf, labs + 6).unwrap_or(0) as usize;
        if labs + 8 + 4 * n > buf.len() {
            return; // notatin cannot read it either: no children, no recursion
        }
        for i in 0..n {
            let at = labs + 8 + 4 * i;
            let sub = u32_at(buf, at).unwrap_or(CUT);
            let Some(sabs) = cell(buf, sub, 8) else {
                self.bad(buf, sub);
                put_u32(buf, at, CUT);
                continue;
            };
            if sig_at(buf, sabs) == Some(b"ri") {
                self.report.nested_ri += 1;
                put_u32(buf, at, CUT);
            } else if !self.seen_lists.insert(sub) {
                self.report.shared_lists += 1;
                put_u32(buf, at, CUT);
            } else if entries.len() + usize::from(u16_at(buf, sabs + 6).unwrap_or(0))
                > MAX_SUBKEYS_PER_KEY
            {
                // Keep the first `i` leaf lists only.
                self.report.clamped_counts += 1;
                put_u16(buf, labs + 6, i as u16);
                return;
            } else {
                leaf(buf, sabs, entries);
            }
        }
    }

    fn values(&mut self, buf: &mut [u8], nk: usize) {
        let count = u32_at(buf, nk + 0x28).unwrap_or(0);
        let list = i32::from_le_bytes(buf[nk + 0x2c..nk + 0x30].try_into().expect("4 bytes"));
        // notatin's own condition for reading values at all.
        if count == 0 || count > 1024 * 1024 || list <= 0 || list as usize >= buf.len() {
            return;
        }
        let list = list as u32;
        let Some(vabs) = cell(buf, list, 4) else {
            self.bad(buf, list);
            return put_u32(buf, nk + 0x28, 0);
        };
        if !self.seen_lists.insert(list) {
            self.report.shared_lists += 1;
            return put_u32(buf, nk + 0x28, 0);
        }
        let fits = ((buf.len() - vabs - 4) / 4) as u32;
        if count > fits {
            // notatin would fail to read the list, after reserving room for `count`.
            return self.clamp(buf, nk + 0x28, 0);
        }
        let count = count.min(MAX_VALUES_PER_KEY);
        // notatin stops at the first value it cannot read; the count is lowered
        // to the values before it, so it reserves no more than it reads.
        let mut readable = 0u32;
        for i in 0..count as usize {
            let at = vabs + 4 + 4 * i;
            let vk = u32_at(buf, at).unwrap_or(CUT);
            let Some(kabs) = cell(buf, vk, 24) else {
                self.bad(buf, vk);
                break;
            };
            let size = u32_at(buf, kabs).map_or(0, |s| (s as i32).unsigned_abs() as usize);
            if sig_at(buf, kabs) != Some(b"vk") || size < 24 || size > buf.len() - kabs {
                self.report.bad_offsets += 1;
                break;
            }
            if !self.seen_values.insert(vk) {
                self.report.repeated_cells += 1;
                break;
            }
            readable += 1;
            let data = u32_at(buf, kabs + 8).unwrap_or(0);
            if data & 0x8000_0000 == 0 {
                let cost = u64::from(data);
                if cost > self.budget {
                    self.report.emptied_values += 1;
                    put_u32(buf, kabs + 8, 0x8000_0000); // resident, zero bytes
                } else {
                    self.budget -= cost;
                }
            }
        }
        if readable < u32_at(buf, nk + 0x28).unwrap_or(0) {
            put_u32(buf, nk + 0x28, readable);
        }
    }

    /// Counts a reference `cell` refused: past the end, or misaligned.
    fn bad(&mut self, buf: &[u8], rel: u32) {
        if rel as usize + HBIN_START >= buf.len() {
            self.report.beyond_end += 1;
        } else {
            self.report.bad_offsets += 1;
        }
    }

    fn clamp(&mut self, buf: &mut [u8], at: usize, to: u32) {
        self.report.clamped_counts += 1;
        put_u32(buf, at, to);
    }
}

/// Child-offset positions of an `lf`, `lh` or `li` list, as notatin reads them.
fn leaf(buf: &[u8], labs: usize, entries: &mut Vec<usize>) {
    let n = u16_at(buf, labs + 6).unwrap_or(0) as usize;
    let step = match sig_at(buf, labs) {
        Some(b"lf") | Some(b"lh") => 8,
        Some(b"li") => 4,
        _ => return,
    };
    if labs + 8 + step * n > buf.len() {
        return; // notatin's `count` parser fails: no children
    }
    entries.extend((0..n).map(|i| labs + 8 + step * i));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_foreign_buffers_are_refused() {
        assert_eq!(sanitize(&mut [0; 16]), Err(GuardError::TooShort(16)));
        let mut b = vec![0u8; 0x2000];
        assert_eq!(sanitize(&mut b), Err(GuardError::NoSignature));
        b[..4].copy_from_slice(b"regf");
        assert_eq!(sanitize(&mut b), Err(GuardError::NoHiveBin));
        b[0x1000..0x1004].copy_from_slice(b"hbin");
        b[0x24..0x28].copy_from_slice(&(-8i32).to_le_bytes());
        assert_eq!(sanitize(&mut b), Err(GuardError::BadRoot(-8)));
    }
}
