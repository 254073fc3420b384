//! A thin, bounded adapter over notatin: open a hive, find keys by path ignoring
//! case, list subkeys, and read values as text, numbers or bytes.
//!
//! Every collector reads the registry through here, offline on every OS (a live
//! Windows scan saves the hives first and then reads the copies the same way),
//! so one reader decides what a hive says.
//!
//! A hive from a scanned disk is hostile input. Three layers keep it bounded:
//! [`guard::sanitize`] cuts the structures notatin would
//! recurse on or amplify, before notatin sees the bytes; every notatin call runs
//! under `catch_unwind`, because notatin indexes and adds without checks in
//! places (an arithmetic overflow panics in a debug build), and a panic poisons
//! only this hive, reported with its name; and lookups here cap path depth,
//! subkey counts and rendered value sizes.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use notatin::cell_key_node::CellKeyNode;
use notatin::cell_value::CellValue;
use notatin::parser::Parser;
use notatin::parser_builder::ParserBuilder;

use super::guard;
use crate::{root_message, Output, Root};

/// Largest hive file read. Real SOFTWARE hives reach a few hundred MiB; a scan
/// that cannot read SOFTWARE misses every installed program, so this is above
/// the root's general per-file limit.
pub const MAX_HIVE_BYTES: u64 = 1 << 30;
/// Deepest key path followed.
pub const MAX_DEPTH: usize = 64;
/// Longest text rendered for one value; longer text is cut.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Most problems kept per hive; the rest are counted.
const MAX_PROBLEMS: usize = 16;

/// Why a hive could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum HiveError {
    /// The file could not be read from the root.
    #[error("{0}")]
    Read(String),
    /// The bytes are not a usable hive.
    #[error("{0}")]
    Format(#[from] guard::GuardError),
    /// notatin refused the hive.
    #[error("registry parser: {0}")]
    Parse(String),
    /// notatin panicked; nothing more is read from this hive.
    #[error("the registry parser panicked on this hive; the rest of it is skipped")]
    Panicked,
}

/// A registry value, decoded by its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegValue {
    /// `REG_SZ`, `REG_EXPAND_SZ` (unexpanded), `REG_LINK`, and `REG_MULTI_SZ`
    /// (its strings joined by `;`).
    Text(String),
    /// `REG_DWORD` (either byte order) and `REG_QWORD`.
    Number(u64),
    /// `REG_BINARY`, `REG_NONE` and every other type, as stored.
    Bytes(Vec<u8>),
    /// No data, or data notatin could not decode.
    Empty,
}

impl RegValue {
    /// Text as a person reads it: strings as they are, numbers in decimal, bytes in
    /// lowercase hex. Cut to [`MAX_TEXT_CHARS`] with a trailing `…`.
    pub fn render(&self) -> String {
        let s = match self {
            RegValue::Text(t) => t.clone(),
            RegValue::Number(n) => n.to_string(),
            RegValue::Bytes(b) => crate::certs::hex(&b[..b.len().min(MAX_TEXT_CHARS / 2)]),
            RegValue::Empty => String::new(),
        };
        truncate(s)
    }

    /// The value as text when it is a string, or a number in decimal.
    pub fn as_text(&self) -> Option<String> {
        match self {
            RegValue::Text(t) => Some(t.clone()),
            RegValue::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// The value as a number: a DWORD/QWORD, or a string of decimal digits
    /// (`Altitude` is a string).
    pub fn as_number(&self) -> Option<u64> {
        match self {
            RegValue::Number(n) => Some(*n),
            RegValue::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }
}

fn truncate(mut s: String) -> String {
    if let Some((cut, _)) = s.char_indices().nth(MAX_TEXT_CHARS) {
        s.truncate(cut);
        s.push('…');
    }
    s
}

fn decode(content: CellValue) -> RegValue {
    match content {
        CellValue::String(s) => RegValue::Text(s.trim_end_matches('\0').to_owned()),
        CellValue::MultiString(v) => RegValue::Text(
            v.iter()
                .map(|s| s.trim_end_matches('\0'))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(";"),
        ),
        CellValue::U32(n) => RegValue::Number(n.into()),
        CellValue::U64(n) => RegValue::Number(n),
        CellValue::I32(n) => RegValue::Text(n.to_string()),
        CellValue::I64(n) => RegValue::Text(n.to_string()),
        CellValue::Binary(b) => RegValue::Bytes(b),
        _ => RegValue::Empty,
    }
}

/// True when two key or value names are equal ignoring case, as Windows compares them.
pub fn name_eq(a: &str, b: &str) -> bool {
    (a.len() == b.len() && a.eq_ignore_ascii_case(b))
        || a.chars()
            .flat_map(char::to_uppercase)
            .eq(b.chars().flat_map(char::to_uppercase))
}

/// One key, with its values already read.
///
/// The path is kept as the parent's path (shared by all siblings) plus the
/// key's own name, so listing many subkeys of a deep key costs one copy of the
/// parent path, not one per child.
#[derive(Clone)]
pub struct Key {
    node: CellKeyNode,
    /// Path of the parent key; `None` for the root key.
    parent: Option<Arc<str>>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").field("path", &self.path()).finish()
    }
}

impl Key {
    /// The key's own name as stored (empty for the root key).
    pub fn name(&self) -> &str {
        match self.parent {
            Some(_) => &self.node.key_name,
            None => "",
        }
    }

    /// Path from the hive root, `\`-separated, in the spelling stored in the hive;
    /// empty for the root key.
    pub fn path(&self) -> String {
        match self.parent.as_deref() {
            None => String::new(),
            Some("") => self.node.key_name.clone(),
            Some(p) => format!("{p}\\{}", self.node.key_name),
        }
    }

    /// The value named `name` (case-insensitive; `""` is the default value).
    pub fn value(&self, name: &str) -> Option<RegValue> {
        let want = if name.eq_ignore_ascii_case("(default)") {
            ""
        } else {
            name
        };
        self.node
            .value_iter()
            .find(|v| name_eq(&v.detail.value_name(), want))
            .map(|v| decode(v.get_content().0))
    }

    /// A value as text (strings, and numbers in decimal); `None` when absent,
    /// binary or empty. Empty strings count as absent.
    pub fn text(&self, name: &str) -> Option<String> {
        self.value(name)
            .and_then(|v| v.as_text())
            .map(|s| truncate(s.trim().to_owned()))
            .filter(|s| !s.is_empty())
    }

    /// A value as a number (see [`RegValue::as_number`]).
    pub fn number(&self, name: &str) -> Option<u64> {
        self.value(name).and_then(|v| v.as_number())
    }

    /// A binary value's bytes.
    pub fn bytes(&self, name: &str) -> Option<Vec<u8>> {
        match self.value(name)? {
            RegValue::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// Every value, by name as stored (`""` for the default value), in hive order.
    pub fn values(&self) -> Vec<(String, RegValue)> {
        self.node
            .value_iter()
            .take(guard::MAX_VALUES_PER_KEY as usize)
            .map(|v| (v.detail.value_name().to_string(), decode(v.get_content().0)))
            .collect()
    }
}

/// An open hive.
pub struct Hive {
    parser: Parser,
    location: String,
    problems: Vec<String>,
    dropped_problems: usize,
    poisoned: bool,
}

impl std::fmt::Debug for Hive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hive")
            .field("location", &self.location)
            .finish()
    }
}

/// Runs a notatin call, turning a panic into [`HiveError::Panicked`].
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, HiveError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| HiveError::Panicked)
}

impl Hive {
    /// Parses hive bytes. `location` names the source in records and errors
    /// (an in-root path, or `HKLM\SOFTWARE` for a live copy).
    pub fn from_bytes(mut bytes: Vec<u8>, location: &str) -> Result<Hive, HiveError> {
        let report = guard::sanitize(&mut bytes)?;
        let parser = guarded(|| ParserBuilder::from_file(Cursor::new(bytes)).build())?
            .map_err(|e| HiveError::Parse(e.to_string()))?;
        let mut hive = Hive {
            parser,
            location: location.to_owned(),
            problems: Vec::new(),
            dropped_problems: 0,
            poisoned: false,
        };
        for m in report.messages() {
            hive.problem(m);
        }
        hive.root()?; // notatin accepts unknown file types but then has no root
        Ok(hive)
    }

    /// Reads and parses the hive at `path` inside `root`.
    pub fn open(root: &Root, path: &str) -> Result<Hive, HiveError> {
        let bytes = root
            .read_limited(path, MAX_HIVE_BYTES.max(root.limits().max_file_bytes))
            .map_err(|e| HiveError::Read(root_message(&e)))?;
        Hive::from_bytes(bytes, path)
    }

    /// Where the hive came from.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Problems met while reading (structure the guard cut, keys notatin could
    /// not parse), for the scan's error list.
    pub fn problems(&self) -> Vec<String> {
        let mut p = self.problems.clone();
        if self.dropped_problems > 0 {
            p.push(format!("… and {} more problem(s)", self.dropped_problems));
        }
        p
    }

    /// Moves this hive's problems into `out`, naming the hive.
    pub fn report(&mut self, out: &mut Output) {
        for p in self.problems() {
            out.error(&self.location, p);
        }
        self.problems.clear();
        self.dropped_problems = 0;
    }

    fn problem(&mut self, p: String) {
        if self.problems.contains(&p) {
            return;
        }
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.dropped_problems += 1;
        }
    }

    fn call<T>(&mut self, f: impl FnOnce(&mut Parser) -> T) -> Result<T, HiveError> {
        if self.poisoned {
            return Err(HiveError::Panicked);
        }
        let parser = &mut self.parser;
        guarded(|| f(parser)).inspect_err(|_| self.poisoned = true)
    }

    /// The root key.
    pub fn root(&mut self) -> Result<Key, HiveError> {
        let node = self
            .call(|p| p.get_root_key())?
            .map_err(|e| HiveError::Parse(e.to_string()))?
            .ok_or_else(|| HiveError::Parse("no root key (unsupported hive file type)".into()))?;
        Ok(Key { node, parent: None })
    }

    /// The subkeys of `key`, in hive order (at most
    /// [`guard::MAX_SUBKEYS_PER_KEY`]).
    pub fn subkeys(&mut self, key: &Key) -> Result<Vec<Key>, HiveError> {
        let mut node = key.node.clone();
        // notatin prefixes every child's path with this one; paths are tracked
        // here instead (see `Key`), so a deep key with many children stays cheap.
        node.path = String::new();
        let children = self.call(|p| node.read_sub_keys(p))?;
        let parent: Arc<str> = Arc::from(key.path());
        if let Some(text) = notatin_problems(&node.logs) {
            self.problem(format!("key `{}`: {text}", display_path(&parent)));
        }
        let mut out = Vec::with_capacity(children.len());
        for child in children.into_iter().take(guard::MAX_SUBKEYS_PER_KEY) {
            if let Some(text) = notatin_problems(&child.logs) {
                let name = &child.key_name;
                self.problem(format!("key `{}\\{name}`: {text}", display_path(&parent)));
            }
            out.push(Key {
                node: child,
                parent: Some(parent.clone()),
            });
        }
        Ok(out)
    }

    /// The subkey of `key` named `name`, ignoring case (an exact match wins).
    pub fn subkey(&mut self, key: &Key, name: &str) -> Result<Option<Key>, HiveError> {
        let children = self.subkeys(key)?;
        let pos = children
            .iter()
            .position(|c| c.name() == name)
            .or_else(|| children.iter().position(|c| name_eq(c.name(), name)));
        Ok(pos.map(|i| children.into_iter().nth(i).expect("index from position")))
    }

    /// The key at `path` (`\`-separated, relative to the hive root, any case).
    pub fn key(&mut self, path: &str) -> Result<Option<Key>, HiveError> {
        let mut key = self.root()?;
        for (depth, part) in path.split('\\').filter(|p| !p.is_empty()).enumerate() {
            if depth >= MAX_DEPTH {
                return Ok(None);
            }
            match self.subkey(&key, part)? {
                Some(k) => key = k,
                None => return Ok(None),
            }
        }
        Ok(Some(key))
    }
}

/// notatin's warnings for a key, without those about references the guard cut
/// (which point at offset 0xFFFFFFFF and are reported by the guard already).
fn notatin_problems(logs: &notatin::log::Logs) -> Option<String> {
    let cut = (guard::CUT as usize + guard::HBIN_START).to_string();
    let text: Vec<String> = logs
        .get()?
        .iter()
        .filter(|l| !l.text.contains(&cut))
        .map(|l| l.text.clone())
        .collect();
    (!text.is_empty()).then(|| text.join("; "))
}

fn display_path(p: &str) -> &str {
    if p.is_empty() {
        "(root)"
    } else {
        p
    }
}

/// What a bounded walk of a whole hive saw; see [`read_hive_bytes`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HiveSummary {
    /// Keys visited.
    pub keys: usize,
    /// Values decoded.
    pub values: usize,
    /// True when the walk stopped at its key budget.
    pub truncated: bool,
    /// Problems met (see [`Hive::problems`]).
    pub problems: Vec<String>,
}

/// Keys a [`read_hive_bytes`] walk visits at most.
pub const SUMMARY_MAX_KEYS: usize = 200_000;

/// Parses arbitrary bytes as a hive and walks every key and value, within
/// [`MAX_DEPTH`] and [`SUMMARY_MAX_KEYS`]. This is the fuzzing entry point:
/// whatever the bytes, it returns, without panicking or allocating more than
/// a small multiple of the input.
pub fn read_hive_bytes(bytes: &[u8]) -> Result<HiveSummary, HiveError> {
    let mut hive = Hive::from_bytes(bytes.to_vec(), "<bytes>")?;
    let mut sum = HiveSummary::default();
    let mut stack = vec![(hive.root()?, 0usize)];
    while let Some((key, depth)) = stack.pop() {
        sum.keys += 1;
        sum.values += key.values().len();
        if sum.keys >= SUMMARY_MAX_KEYS {
            sum.truncated = true;
            break;
        }
        if depth < MAX_DEPTH {
            stack.extend(hive.subkeys(&key)?.into_iter().map(|k| (k, depth + 1)));
        }
    }
    sum.problems = hive.problems();
    Ok(sum)
}
