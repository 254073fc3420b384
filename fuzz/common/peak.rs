//! A counting global allocator, to bound what one call allocates.
//!
//! `#[global_allocator] static A: peak::Peak = peak::Peak;` in a target, then
//! [`measure`] around the call. Only Rust allocations are counted (libFuzzer's
//! and the sanitizer's own memory are not), which is what the bounds in the
//! parsers' documentation talk about.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Wraps the system allocator, tracking live bytes and their peak.
pub struct Peak;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

fn shrank(n: usize) {
    LIVE.fetch_sub(n, Relaxed);
}

unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                shrank(layout.size() - new_size);
            }
        }
        p
    }
}

/// Runs `f` and returns its result with the peak of live heap bytes during
/// the call, above what was live when it started.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let out = f();
    (out, PEAK.load(Relaxed).saturating_sub(base))
}

/// True when `UPROOT_FUZZ_VERBOSE` is set: targets then print what they
/// parsed, to check by hand that the seeds reach the interesting paths
/// (`fuzz/target/<triple>/release/<target> -runs=0 fuzz/corpus/<target>`).
#[allow(dead_code)]
pub fn verbose() -> bool {
    std::env::var_os("UPROOT_FUZZ_VERBOSE").is_some()
}

/// Prints `what`, the input size and the peak when `UPROOT_FUZZ_VERBOSE` is
/// set (to calibrate a bound on real files: run the target binary on them).
#[allow(dead_code)]
pub fn report(what: &str, len: usize, peak: usize) {
    if verbose() {
        eprintln!(
            "{what}: {len} input bytes, peak {peak} heap bytes ({:.1}x)",
            peak as f64 / len.max(1) as f64
        );
    }
}
