//! Every collector gives the same answer over a virtual root as over the
//! host directory it mirrors: the fixture roots are loaded into an in-memory
//! [`Vfs`] (contents, symlink texts, modes) and scanned both ways. This is
//! what lets a container image be scanned by the host collectors unchanged.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use uproot_collect::root::{DirEntry, EntryType};
use uproot_collect::{
    collect_with, collectors_for, deep, detect_platform, CollectOptions, ReadSeek, Root, Vfs,
    VfsMeta,
};

#[derive(Debug)]
enum Node {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
}

/// A host tree copied into memory.
#[derive(Debug, Default)]
struct MemFs {
    nodes: BTreeMap<String, (Node, u32, u64)>,
}

impl MemFs {
    fn mirror(dir: &Path) -> MemFs {
        let mut fs = MemFs::default();
        fs.nodes.insert("/".into(), (Node::Dir, 0o755, 1));
        fs.walk(dir, "");
        fs
    }

    fn walk(&mut self, host: &Path, inroot: &str) {
        for e in std::fs::read_dir(host).unwrap() {
            let e = e.unwrap();
            let path = format!("{inroot}/{}", e.file_name().to_string_lossy());
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let id = self.nodes.len() as u64 + 1;
            let node = if m.file_type().is_symlink() {
                Node::Link(std::fs::read_link(e.path()).unwrap())
            } else if m.is_dir() {
                self.nodes
                    .insert(path.clone(), (Node::Dir, m.mode() & 0o7777, id));
                self.walk(&e.path(), &path);
                continue;
            } else if m.is_file() {
                Node::File(std::fs::read(e.path()).unwrap())
            } else {
                continue;
            };
            self.nodes.insert(path, (node, m.mode() & 0o7777, id));
        }
    }

    fn get(&self, path: &str) -> std::io::Result<&(Node, u32, u64)> {
        self.nodes
            .get(path)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}

fn kind(n: &Node) -> EntryType {
    match n {
        Node::Dir => EntryType::Dir,
        Node::File(_) => EntryType::File,
        Node::Link(_) => EntryType::Symlink,
    }
}

impl Vfs for MemFs {
    fn lstat(&self, path: &str) -> std::io::Result<VfsMeta> {
        let (n, mode, id) = self.get(path)?;
        Ok(VfsMeta {
            file_type: kind(n),
            len: match n {
                Node::File(b) => b.len() as u64,
                _ => 0,
            },
            mode: *mode,
            mtime: 0,
            id: *id,
        })
    }

    fn read_dir(&self, path: &str) -> std::io::Result<Vec<DirEntry>> {
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        Ok(self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| k.len() > prefix.len() && !k[prefix.len()..].contains('/'))
            .map(|(k, (n, _, _))| DirEntry {
                name: k[prefix.len()..].to_string(),
                file_type: kind(n),
            })
            .collect())
    }

    fn read_link(&self, path: &str) -> std::io::Result<PathBuf> {
        match self.get(path)? {
            (Node::Link(t), _, _) => Ok(t.clone()),
            _ => Err(std::io::Error::from(std::io::ErrorKind::InvalidInput)),
        }
    }

    fn open(&self, path: &str) -> std::io::Result<Box<dyn ReadSeek>> {
        match self.get(path)? {
            (Node::File(b), _, _) => Ok(Box::new(Cursor::new(b.clone()))),
            _ => Err(std::io::Error::from(std::io::ErrorKind::InvalidInput)),
        }
    }

    fn describe(&self) -> String {
        "in-memory mirror".into()
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/roots")
        .join(name)
}

fn opts() -> CollectOptions {
    CollectOptions {
        probe_paths: vec![
            "/opt/kaspersky".into(),
            "/var/opt/kaspersky".into(),
            "/etc/opt/kaspersky".into(),
        ],
        setting_files: vec!["/var/opt/kaspersky/kesl/common/kesl.ini".into()],
        ..Default::default()
    }
}

fn both(name: &str) -> (Root, Root) {
    let host = Root::new(fixture(name), false).unwrap();
    let virt = Root::from_vfs(Arc::new(MemFs::mirror(&fixture(name))));
    (host, virt)
}

#[test]
fn every_fixture_root_scans_the_same_virtually() {
    let mut compared = 0;
    for e in std::fs::read_dir(fixture("")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let (host, virt) = both(&name);
        let platform = detect_platform(&host);
        assert_eq!(platform, detect_platform(&virt), "{name}");
        let a = collect_with(&host, &opts(), &collectors_for(platform), &|_| {});
        let b = collect_with(&virt, &opts(), &collectors_for(platform), &|_| {});
        assert_eq!(a.inventory, b.inventory, "{name}: inventories differ");
        let sources = |o: &uproot_collect::Output| {
            o.errors
                .iter()
                .map(|e| e.source.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(sources(&a), sources(&b), "{name}: error sources differ");
        compared += a.inventory.len();
    }
    // The fixtures hold kesl, klnagent, CA, NSS, macOS and Windows evidence.
    assert!(compared > 50, "only {compared} records compared");
}

#[test]
fn rpm_sqlite_and_nss_databases_are_read_from_a_private_copy() {
    for name in ["rpm-klnagent", "nss-kaspersky"] {
        let (host, virt) = both(name);
        let platform = detect_platform(&host);
        let b = collect_with(&virt, &opts(), &collectors_for(platform), &|_| {});
        assert!(
            !b.inventory.packages.is_empty() || !b.inventory.certificates.is_empty(),
            "{name}: nothing read over the virtual root: {:?}",
            b.errors
        );
    }
}

#[test]
fn deep_sweep_is_the_same_virtually() {
    let (host, virt) = both("deep-embedded");
    let o = deep::DeepOptions {
        name_globs: vec!["*avp*".into(), "*kav*".into()],
        ..Default::default()
    };
    let a = deep::sweep(&host, &o, &|_| {});
    let b = deep::sweep(&virt, &o, &|_| {});
    assert!(!a.inventory.signers.is_empty(), "fixture has signed files");
    assert_eq!(a.inventory.signers, b.inventory.signers);
    assert_eq!(a.inventory.files, b.inventory.files);
}

#[test]
fn virtual_symlinks_are_contained_like_host_ones() {
    let mut fs = MemFs::default();
    fs.nodes.insert("/".into(), (Node::Dir, 0o755, 1));
    fs.nodes.insert("/etc".into(), (Node::Dir, 0o755, 2));
    fs.nodes.insert(
        "/etc/passwd".into(),
        (
            Node::File(b"root:x:0:0::/root:/bin/sh\n".to_vec()),
            0o644,
            3,
        ),
    );
    fs.nodes.insert(
        "/etc/abs".into(),
        (Node::Link("/etc/passwd".into()), 0o777, 4),
    );
    fs.nodes.insert(
        "/etc/up".into(),
        (Node::Link("../../../../../etc/passwd".into()), 0o777, 5),
    );
    fs.nodes
        .insert("/etc/a".into(), (Node::Link("/etc/b".into()), 0o777, 6));
    fs.nodes
        .insert("/etc/b".into(), (Node::Link("/etc/a".into()), 0o777, 7));
    let r = Root::from_vfs(Arc::new(fs));
    assert!(r.host_base().is_none());
    assert!(r.resolve("/etc/passwd").is_err(), "no host path exists");
    // Absolute and climbing targets land on the image's own /etc/passwd.
    assert_eq!(
        r.read_to_string("/etc/abs").unwrap(),
        r.read_to_string("/etc/passwd").unwrap()
    );
    assert_eq!(r.canonical("/etc/up").unwrap(), "/etc/passwd");
    assert!(matches!(
        r.read("/etc/a"),
        Err(uproot_collect::RootError::SymlinkLoop { .. })
    ));
    assert!(r.read("/etc").is_err(), "a directory is not read as a file");
    assert!(r.read("/nope").unwrap_err().is_not_found());
}
