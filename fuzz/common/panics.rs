//! Panics the library catches on purpose must not end a run; panics that
//! escape the function under test must.
//!
//! `windows::hive` runs notatin under `catch_unwind` and turns a panic into
//! `HiveError::Panicked` (the hive is reported unreadable). libfuzzer-sys
//! installs a panic hook that aborts on *every* panic, caught or not, so the
//! first notatin panic would stop the fuzzer there. [`install`] (run it from
//! `fuzz_target!(init: ...)`) replaces that hook with one that only remembers
//! the message, and [`run`] aborts, printing the message the way the default
//! hook does (`scripts/fuzz` greps `panicked at`), when a panic escapes.
//! [`note_caught`] logs each distinct caught panic once per process, so a
//! run's log still shows them.
//!
//! `UPROOT_FUZZ_STRICT_PANICS=1` keeps libfuzzer-sys's aborting hook: every
//! panic, caught or not, is then a crash (to collect notatin's panics).

use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

thread_local! {
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn strict() -> bool {
    std::env::var_os("UPROOT_FUZZ_STRICT_PANICS").is_some_and(|v| v != "0" && !v.is_empty())
}

/// Replaces libFuzzer's abort-on-any-panic hook (unless strict).
pub fn install() {
    if strict() {
        return;
    }
    drop(panic::take_hook());
    panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "Box<dyn Any>".to_owned());
        let loc = info.location().map(ToString::to_string).unwrap_or_default();
        LAST.with(|l| *l.borrow_mut() = Some(format!("{loc}:\n{msg}")));
    }));
}

fn take_last() -> String {
    LAST.with(|l| l.borrow_mut().take())
        .unwrap_or_else(|| "<unknown location>:\n<no message recorded>".to_owned())
}

/// Runs `f`; a panic that escapes it is printed and aborts the process.
pub fn run<T>(f: impl FnOnce() -> T) -> T {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => v,
        Err(_) => {
            let name = std::thread::current()
                .name()
                .unwrap_or("<unnamed>")
                .to_owned();
            eprintln!("thread '{name}' panicked at {}", take_last());
            eprintln!("(the panic escaped the function under test)");
            std::process::abort();
        }
    }
}

/// Logs the panic the library just caught, once per distinct location.
pub fn note_caught(what: &str) {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let last = take_last();
    let (loc, msg) = last.split_once('\n').unwrap_or((&last, ""));
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen.get_or_insert_with(HashSet::new).insert(loc.to_owned()) {
        eprintln!("note: {what} caught a panic from {loc} {msg}");
    }
}
