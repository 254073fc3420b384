//! Property lists (XML, binary `bplist00`, OpenStep text): `macos::plist::parse`.
//!
//! Checks the documented bounds on what comes back (depth, values) and on the
//! heap used to build it, and that the value is freed without a stack
//! overflow (`plist::Value`'s `Drop` recurses).
#![no_main]

#[path = "../common/peak.rs"]
mod peak;

use libfuzzer_sys::fuzz_target;
use plist::Value;
use uproot_collect::macos::plist::{
    boolean, parse, string, MAX_DEPTH, MAX_EXPANDED_BYTES, MAX_NODES,
};

#[global_allocator]
static ALLOC: peak::Peak = peak::Peak;

/// Strings and data up to MAX_EXPANDED_BYTES, up to MAX_NODES values (each a
/// `Value` in a `Vec` or a dictionary entry with its key, counting growth and
/// reallocation), and the parser's own buffers.
fn heap_bound(len: usize) -> usize {
    2 * MAX_EXPANDED_BYTES + 256 * MAX_NODES + 64 * len
}

/// Container levels (a leaf is 0) and values, without recursion.
fn shape(v: &Value) -> (usize, usize) {
    let (mut deepest, mut nodes) = (0, 0);
    let mut stack = vec![(v, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        nodes += 1;
        match v {
            Value::Array(a) => {
                deepest = deepest.max(depth + 1);
                stack.extend(a.iter().map(|c| (c, depth + 1)));
            }
            Value::Dictionary(d) => {
                deepest = deepest.max(depth + 1);
                nodes += d.len(); // keys are charged as values too
                stack.extend(d.values().map(|c| (c, depth + 1)));
            }
            _ => {}
        }
    }
    (deepest, nodes)
}

fuzz_target!(|data: &[u8]| {
    let (result, peak) = peak::measure(|| parse(data));
    peak::report("plist::parse", data.len(), peak);
    assert!(
        peak <= heap_bound(data.len()),
        "parse allocated {peak} bytes at once for {} input bytes",
        data.len()
    );
    let value = match result {
        Ok(v) => v,
        Err(e) => {
            if peak::verbose() {
                eprintln!("  {e}");
            }
            return;
        }
    };
    let (depth, nodes) = shape(&value);
    if peak::verbose() {
        eprintln!("  {depth} levels, {nodes} values");
    }
    assert!(depth <= MAX_DEPTH, "{depth} levels of nesting");
    assert!(nodes <= MAX_NODES, "{nodes} values");
    // What the collectors do with a top-level dictionary.
    if let Value::Dictionary(d) = &value {
        for k in d.keys().take(64) {
            let _ = string(d, k);
            let _ = boolean(d, k);
        }
    }
    drop(value);
});
