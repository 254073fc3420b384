//! The registry byte guard alone: `windows::guard::sanitize(&mut [u8])`.
//!
//! Checks that it only accepts a buffer with the `regf` and `hbin` signatures,
//! never writes into the base block or into a buffer it refuses, accepts its
//! own output again, and that its output holds what the module promises
//! notatin: walking the sanitized bytes the way notatin reads them (an
//! independent walk, below), no key, value or list is reached twice and no
//! `ri` item is another `ri`.
//!
//! The output is not required to be a byte-for-byte fixed point of a second
//! pass, nor to pass the guard's own second pass: the guard writes in place,
//! and in a hive whose cells overlap, a later write can land on bytes an
//! earlier step checked (a clamped count on a cut list entry, a `CUT` on a
//! zeroed count). That is harmless unless what notatin would follow in the
//! result reaches a key, value or list twice, which the walk checks (see
//! `regressions/README.md` for both kinds).
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;
use uproot_collect::windows::guard::{sanitize, HBIN_START, MAX_VALUES_PER_KEY};

/// `guard::MIN_NK` (private): notatin reads a key only from a cell this large.
const MIN_NK: usize = 0x50;
/// `CellKeyNode::read_sub_keys` returns no subkeys at all for a key that claims
/// more than this many (so a count the guard overwrote with `CUT` hides the list).
const NOTATIN_MAX_SUBKEYS: u32 = 1 << 20;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn sig(b: &[u8], abs: usize) -> Option<&[u8]> {
    b.get(abs + 4..abs + 6)
}

/// Absolute position of an aligned, in-file cell of at least `min` bytes.
fn cell(b: &[u8], rel: u32, min: usize) -> Option<usize> {
    let abs = rel as usize + HBIN_START;
    (rel % 8 == 0 && abs.checked_add(min)? <= b.len()).then_some(abs)
}

/// Child offsets of an `lf`/`lh`/`li` list, as notatin reads them.
fn leaf(b: &[u8], labs: usize, out: &mut Vec<u32>) {
    let n = u16_at(b, labs + 6).unwrap_or(0) as usize;
    let step = match sig(b, labs) {
        Some(b"lf") | Some(b"lh") => 8,
        Some(b"li") => 4,
        _ => return,
    };
    if labs + 8 + step * n > b.len() {
        return;
    }
    out.extend((0..n).filter_map(|i| u32_at(b, labs + 8 + step * i)));
}

/// Walks what notatin would follow in the sanitized bytes; panics on a key,
/// value or list reached twice, or an `ri` inside an `ri`.
fn check_tree(b: &[u8]) {
    let root = u32_at(b, 0x24).unwrap_or(u32::MAX);
    let (mut keys, mut lists, mut values) = (HashSet::new(), HashSet::new(), HashSet::new());
    let is_key = |rel: u32| cell(b, rel, MIN_NK).filter(|&a| sig(b, a) == Some(b"nk"));
    let mut stack = vec![root];
    keys.insert(root);
    if is_key(0x20).is_some() && keys.insert(0x20) {
        stack.push(0x20);
    }
    while let Some(key) = stack.pop() {
        let Some(nk) = is_key(key) else { continue };
        // Subkeys; notatin reads none from a key claiming more than 2^20.
        let subkeys = u32_at(b, nk + 0x18).unwrap_or(0);
        if subkeys > 0 && subkeys <= NOTATIN_MAX_SUBKEYS {
            let list = u32_at(b, nk + 0x20).unwrap_or(u32::MAX);
            if let Some(labs) = cell(b, list, 8) {
                assert!(
                    lists.insert(list),
                    "list {list:#x} (of key {key:#x}) has two owners"
                );
                let mut children = Vec::new();
                if sig(b, labs) == Some(b"ri") {
                    let n = u16_at(b, labs + 6).unwrap_or(0) as usize;
                    if labs + 8 + 4 * n <= b.len() {
                        for i in 0..n {
                            let sub = u32_at(b, labs + 8 + 4 * i).unwrap_or(u32::MAX);
                            let Some(sabs) = cell(b, sub, 8) else {
                                continue;
                            };
                            assert!(
                                sig(b, sabs) != Some(b"ri"),
                                "ri {list:#x} (key {key:#x}) holds ri {sub:#x}"
                            );
                            assert!(lists.insert(sub), "leaf list {sub:#x} has two owners");
                            leaf(b, sabs, &mut children);
                        }
                    }
                } else {
                    leaf(b, labs, &mut children);
                }
                for child in children {
                    if child as usize + HBIN_START > u32::MAX as usize || is_key(child).is_none() {
                        continue; // notatin cannot read it as a key
                    }
                    assert!(
                        keys.insert(child),
                        "key {child:#x} reached twice (again from key {key:#x})"
                    );
                    stack.push(child);
                }
            }
        }
        // Values, on notatin's own conditions.
        let count = u32_at(b, nk + 0x28).unwrap_or(0);
        let list = u32_at(b, nk + 0x2c).unwrap_or(0) as i32;
        if count == 0 || count > MAX_VALUES_PER_KEY || list <= 0 || list as usize >= b.len() {
            continue;
        }
        let Some(vabs) = cell(b, list as u32, 4) else {
            continue;
        };
        assert!(
            lists.insert(list as u32),
            "value list {list:#x} (of key {key:#x}) has two owners"
        );
        if count as usize > (b.len() - vabs - 4) / 4 {
            continue; // notatin fails to read the list
        }
        for i in 0..count as usize {
            let vk = u32_at(b, vabs + 4 + 4 * i).unwrap_or(u32::MAX);
            let Some(kabs) = cell(b, vk, 24) else { break };
            let size = u32_at(b, kabs).map_or(0, |s| (s as i32).unsigned_abs() as usize);
            if sig(b, kabs) != Some(b"vk") || size < 24 || size > b.len() - kabs {
                break;
            }
            assert!(
                values.insert(vk),
                "value {vk:#x} reached twice (again from key {key:#x})"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut buf = data.to_vec();
    let first = match sanitize(&mut buf) {
        Ok(r) => r,
        // Refused after repair passes failed to converge: the caller drops the
        // buffer unparsed, so what the passes wrote does not matter.
        Err(uproot_collect::windows::guard::GuardError::Unrepairable(_)) => return,
        Err(_) => {
            assert!(buf == data, "a refused buffer was modified");
            return;
        }
    };
    assert_eq!(&buf[..4], b"regf");
    assert_eq!(&buf[HBIN_START..HBIN_START + 4], b"hbin");
    assert!(
        buf[..HBIN_START] == data[..HBIN_START],
        "the base block was modified"
    );
    let mut again = buf.clone();
    let second = sanitize(&mut again).expect("the sanitized buffer is refused");
    assert_eq!(
        (second.truncated, second.dirty),
        (first.truncated, first.dirty)
    );
    check_tree(&buf);
});
