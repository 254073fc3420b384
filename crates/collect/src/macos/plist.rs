//! Bounded reading of property lists (XML, binary `bplist00`, and OpenStep
//! text) from a scanned root.
//!
//! Every macOS source is a plist, and a plist from a disk image is hostile
//! input. The `plist` crate parses all three encodings into a flat event
//! stream without recursion, and refuses binary object tables that point past
//! the trailer; three dangers remain, and this module closes them:
//!
//! * **size**: a file over [`MAX_PLIST_BYTES`] is refused before it is read;
//! * **depth**: `plist::Value` is a tree whose `Drop` recurses, so a file of
//!   a million nested `<array>`s would overflow the stack when freed. We
//!   build the tree ourselves and stop at [`MAX_DEPTH`];
//! * **expansion**: a binary plist is a graph, and one object may be
//!   referenced many times, so a few KiB can expand to billions of nodes. We
//!   stop at [`MAX_NODES`] nodes or [`MAX_EXPANDED_BYTES`] of strings and data.
//!
//! Dates arrive as their XML text (`2013-11-12T02:59:35Z`) in a
//! `Value::String`, and UIDs as integers: collectors only display them.

use std::cell::Cell;
use std::fmt;

use plist::{Dictionary, Value};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::{root_message, Output, Root, RootError};

/// Largest plist file read (real Info.plists are a few KiB, db.plist a few hundred).
pub const MAX_PLIST_BYTES: u64 = 8 << 20;
/// Deepest nesting of arrays and dictionaries accepted.
pub const MAX_DEPTH: usize = 64;
/// Most values (of any kind) one plist may expand to.
pub const MAX_NODES: usize = 1 << 20;
/// Most bytes of strings, keys and data one plist may expand to.
pub const MAX_EXPANDED_BYTES: usize = 64 << 20;

/// Why a plist could not be read from the root.
#[derive(Debug, thiserror::Error)]
pub enum PlistError {
    /// The file could not be read (missing, too large, a fifo, …).
    #[error(transparent)]
    Read(#[from] RootError),
    /// The file was read but is not a valid, bounded plist.
    #[error("{path}: {reason}")]
    Parse {
        /// Path inside the root.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl PlistError {
    /// The in-root file the error is about.
    pub fn path(&self) -> &str {
        match self {
            PlistError::Read(e) => e.path(),
            PlistError::Parse { path, .. } => path,
        }
    }

    /// The error without the path, for a `SourceError` message.
    pub fn message(&self) -> String {
        match self {
            PlistError::Read(e) => root_message(e),
            PlistError::Parse { reason, .. } => format!("invalid plist: {reason}"),
        }
    }

    /// True when the file simply does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, PlistError::Read(e) if e.is_not_found())
    }

    /// Records the error in `out`, unless it only says "not there".
    pub fn record(self, out: &mut Output) {
        if !self.is_not_found() {
            out.error(self.path(), self.message());
        }
    }
}

/// Reads and parses the plist at `path` inside `root`.
pub fn read(root: &Root, path: &str) -> Result<Value, PlistError> {
    let bytes = root.read_limited(path, MAX_PLIST_BYTES)?;
    parse(&bytes).map_err(|reason| PlistError::Parse {
        path: path.to_owned(),
        reason,
    })
}

/// Reads a plist whose top level must be a dictionary.
pub fn read_dict(root: &Root, path: &str) -> Result<Dictionary, PlistError> {
    match read(root, path)? {
        Value::Dictionary(d) => Ok(d),
        other => Err(PlistError::Parse {
            path: path.to_owned(),
            reason: format!("top level is {}, not a dictionary", kind(&other)),
        }),
    }
}

/// Parses plist bytes in any of the three encodings, within the bounds above.
/// This is the pure entry point that tests and fuzz targets call.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("empty file".into());
    }
    if bytes.len() as u64 > MAX_PLIST_BYTES {
        return Err(format!(
            "{} bytes, over the {MAX_PLIST_BYTES}-byte limit",
            bytes.len()
        ));
    }
    plist::from_bytes::<Bounded>(bytes)
        .map(|b| b.0)
        .map_err(|e| tidy(&e.to_string()))
}

/// `plist::Error` shows its own and our messages as `Serde("…")`; keep the text.
fn tidy(msg: &str) -> String {
    msg.strip_prefix("Serde(\"")
        .and_then(|m| m.strip_suffix("\")"))
        .unwrap_or(msg)
        .to_owned()
}

/// A string value of `dict[key]`, trimmed, if present and non-empty.
pub fn string(dict: &Dictionary, key: &str) -> Option<String> {
    dict.get(key)
        .and_then(Value::as_string)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A boolean value of `dict[key]`; launchd also accepts the strings `true`/`false`
/// and integers in hand-edited files.
pub fn boolean(dict: &Dictionary, key: &str) -> Option<bool> {
    match dict.get(key)? {
        Value::Boolean(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") || s == "1" => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") || s == "0" => Some(false),
        Value::Integer(i) => i.as_signed().map(|n| n != 0),
        _ => None,
    }
}

/// The kind of a value, for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "an array",
        Value::Dictionary(_) => "a dictionary",
        Value::Boolean(_) => "a boolean",
        Value::Data(_) => "data",
        Value::Date(_) => "a date",
        Value::Real(_) => "a real",
        Value::Integer(_) => "an integer",
        Value::String(_) => "a string",
        Value::Uid(_) => "a uid",
        _ => "an unknown value",
    }
}

/// A `plist::Value` built under the depth and expansion bounds.
struct Bounded(Value);

impl<'de> de::Deserialize<'de> for Bounded {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let budget = Budget {
            nodes: Cell::new(0),
            bytes: Cell::new(0),
        };
        Seed {
            depth: 0,
            budget: &budget,
        }
        .deserialize(d)
        .map(Bounded)
    }
}

/// What one plist has used so far.
struct Budget {
    nodes: Cell<usize>,
    bytes: Cell<usize>,
}

impl Budget {
    fn charge<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let nodes = self.nodes.get() + 1;
        let total = self.bytes.get().saturating_add(bytes);
        if nodes > MAX_NODES {
            return Err(E::custom(format!("more than {MAX_NODES} values")));
        }
        if total > MAX_EXPANDED_BYTES {
            return Err(E::custom(format!(
                "expands to more than {MAX_EXPANDED_BYTES} bytes of strings and data"
            )));
        }
        self.nodes.set(nodes);
        self.bytes.set(total);
        Ok(())
    }
}

/// Builds one value at `depth`, charging `budget`.
#[derive(Clone, Copy)]
struct Seed<'b> {
    depth: usize,
    budget: &'b Budget,
}

impl Seed<'_> {
    fn child<E: de::Error>(self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(Seed {
            depth: self.depth + 1,
            budget: self.budget,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a plist value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.budget.charge(0)?;
        Ok(Value::Boolean(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.budget.charge(0)?;
        Ok(Value::Integer(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.budget.charge(0)?;
        Ok(Value::Integer(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.budget.charge(0)?;
        Ok(Value::Real(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.budget.charge(v.len())?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.budget.charge(v.len())?;
        Ok(Value::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        self.budget.charge(v.len())?;
        Ok(Value::Data(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value, E> {
        self.budget.charge(v.len())?;
        Ok(Value::Data(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let child = self.child()?;
        self.budget.charge(0)?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(child)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let child = self.child()?;
        self.budget.charge(0)?;
        let mut dict = Dictionary::new();
        while let Some(key) = map.next_key::<String>()? {
            self.budget.charge(key.len())?;
            let value = map.next_value_seed(child)?;
            dict.insert(key, value);
        }
        Ok(Value::Dictionary(dict))
    }
}
