//! `Root::resolve` / `resolve_nofollow` on arbitrary in-root paths, over a
//! fixed tree with hostile symlinks (absolute, `..` escapes, loops) and names
//! that differ only in case or are not UTF-8, with case-sensitive and
//! case-insensitive lookup. Whatever the path, the result must stay inside the root.
#![no_main]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use uproot_collect::Root;

struct Env {
    _dir: tempfile::TempDir,
    roots: [Root; 2],
    base: PathBuf,
}

fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("uproot-fuzz-root")
            .tempdir()
            .expect("temp dir");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "x").unwrap();
        let base = dir.path().join("root");
        let mk = |p: &str| std::fs::create_dir_all(base.join(p)).unwrap();
        let ln = |target: &str, link: &str| symlink(target, base.join(link)).unwrap();
        mk("etc");
        mk("deep/a/b/c");
        mk("usr/lib/sysimage/rpm");
        mk("var/lib");
        std::fs::write(base.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
        ln("/etc", "abs");
        ln("../../..", "up");
        ln("../outside", "sibling");
        ln(outside.to_str().unwrap(), "hostabs");
        ln("loop2", "loop1");
        ln("loop1", "loop2");
        ln(".", "self");
        ln("../../../..", "deep/a/b/c/back");
        ln("../../../../../../../../outside/secret", "deep/a/b/c/far");
        ln("../../usr/lib/sysimage/rpm", "var/lib/rpm");
        ln("/deep/a/b/c/back/up/outside", "var/lib/chain");
        // Case-insensitive lookup: real mixed-case names, names equal but for
        // case (ambiguous), non-UTF-8 names, and a mixed-case escaping link.
        mk("Windows/System32/config");
        std::fs::write(base.join("Windows/System32/config/SOFTWARE"), "hive").unwrap();
        mk("dup");
        mk("DUP");
        ln("../../../../..", "Windows/System32/UpUp");
        ln("/WINDOWS/system32", "Windows/Sys");
        for raw in [&b"\xff\xfe"[..], b"\xfe", b"\xff", b"\xc3\x84"] {
            mk("nonutf8");
            std::fs::write(base.join("nonutf8").join(OsStr::from_bytes(raw)), "x").unwrap();
        }
        let root = Root::new(&base, false).expect("root");
        let base = root.host_base().expect("a host root").to_path_buf();
        let roots = [root.clone(), root.with_case_insensitive(true)];
        Env { _dir: dir, roots, base }
    })
}

fn check(env: &Env, path: &str, got: Result<PathBuf, uproot_collect::RootError>, follow: bool) {
    let Ok(p) = got else { return };
    assert!(p.starts_with(&env.base), "{path:?} resolved to {} outside the root", p.display());
    // Whatever exists there must really be inside the root once the host follows links.
    if follow {
        if let Ok(real) = std::fs::canonicalize(&p) {
            assert!(
                real.starts_with(&env.base),
                "{path:?} resolved to {}, which is really {}",
                p.display(),
                real.display()
            );
        }
    } else if let Some(parent) = p.parent().filter(|_| p != env.base) {
        if let Ok(real) = std::fs::canonicalize(parent) {
            assert!(
                real.starts_with(&env.base),
                "{path:?} (nofollow) parent {} is really {}",
                parent.display(),
                real.display()
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let env = env();
    let text = String::from_utf8_lossy(data);
    for path in std::iter::once(text.as_ref()).chain(text.lines().take(16)) {
        for root in &env.roots {
            check(env, path, root.resolve(path), true);
            check(env, path, root.resolve_nofollow(path), false);
        }
    }
});
