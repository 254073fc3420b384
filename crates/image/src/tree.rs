//! The merged view of all layers: a compact tree of nodes.
//!
//! Memory is the constraint (an image may hold a million files and the
//! whole scan must stay well under 100 MB), so a node is a fixed 48-byte
//! record, names live in one byte arena, and children are found through one
//! hash table keyed by (parent, name) that stores only a `u32` per entry.
//! Replaced or whited-out nodes are detached (dropped from the table, kept in
//! the arena): memory is bounded by the number of tar entries read, which
//! `ImageOptions::max_entries` caps.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

pub(crate) const NONE: u32 = u32::MAX;
/// Bytes of names and symlink targets kept (a million entries of real
/// images use about 20 MB).
const MAX_ARENA: usize = 64 << 20;
/// `Node::data` of a file whose content cannot be read in place (GNU sparse).
pub(crate) const NO_DATA: u64 = u64::MAX;

/// Node kind. Hard links are not a kind: they share the target's node via `ino`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    File,
    Symlink,
    /// Device, fifo, socket.
    Other,
}

/// 48 bytes: a million entries cost 48 MB here plus names and the table.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub parent: u32,
    name_off: u32,
    first_child: u32,
    next_sibling: u32,
    /// The node that holds metadata and content: itself, or a hard link's target.
    pub ino: u32,
    /// Seconds since the epoch, clamped to `u32` (1970..2106).
    mtime: u32,
    name_len: u16,
    /// Permission bits (12), kind (2) and the detached flag (1).
    bits: u16,
    /// Layer that supplied this entry.
    pub layer: u16,
    /// Newest layer with this entry or anything below it: what "lower layer"
    /// means for whiteouts and opaque directories.
    touched: u16,
    /// File size; for a symlink, the target's length.
    pub size: u64,
    /// File: offset of the content in the layer's tar stream. Symlink: arena
    /// offset of the target.
    pub data: u64,
}

const DETACHED: u16 = 1 << 14;

fn pack(kind: Kind, mode: u32) -> u16 {
    let k = match kind {
        Kind::Dir => 0,
        Kind::File => 1,
        Kind::Symlink => 2,
        Kind::Other => 3,
    };
    (mode & 0o7777) as u16 | (k << 12)
}

fn clamp_mtime(t: i64) -> u32 {
    u32::try_from(t.max(0)).unwrap_or(u32::MAX)
}

impl Node {
    pub fn kind(&self) -> Kind {
        match (self.bits >> 12) & 3 {
            0 => Kind::Dir,
            1 => Kind::File,
            2 => Kind::Symlink,
            _ => Kind::Other,
        }
    }

    pub fn mode(&self) -> u32 {
        u32::from(self.bits & 0o7777)
    }

    pub fn mtime(&self) -> i64 {
        i64::from(self.mtime)
    }

    fn detached(&self) -> bool {
        self.bits & DETACHED != 0
    }

    fn set_attrs(&mut self, mode: u32, mtime: i64) {
        self.bits = pack(self.kind(), mode) | (self.bits & DETACHED);
        self.mtime = clamp_mtime(mtime);
    }
}

/// Metadata for a new entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attrs {
    pub kind: Kind,
    pub mode: u32,
    pub mtime: i64,
    pub size: u64,
    pub data: u64,
}

/// Why a path could not be looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    NotFound,
    NotADirectory,
}

/// The tree is full (more than 4 G nodes or arena bytes).
#[derive(Debug)]
pub(crate) struct Full;

pub(crate) struct Tree {
    nodes: Vec<Node>,
    arena: Vec<u8>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for Tree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tree")
            .field("nodes", &self.nodes.len())
            .field("arena_bytes", &self.arena.len())
            .finish()
    }
}

pub(crate) const ROOT: u32 = 0;

impl Tree {
    pub fn new() -> Tree {
        let root = Node {
            parent: NONE,
            name_off: 0,
            first_child: NONE,
            next_sibling: NONE,
            ino: ROOT,
            mtime: 0,
            name_len: 0,
            bits: pack(Kind::Dir, 0o755),
            layer: 0,
            touched: 0,
            size: 0,
            data: 0,
        };
        Tree {
            nodes: vec![root],
            arena: Vec::new(),
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }

    pub fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    /// Node count, detached ones included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes held by the tree, for the memory figures.
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.arena.capacity()
            + self.table.capacity() * (std::mem::size_of::<u32>() + 1)
    }

    pub fn name(&self, i: u32) -> &[u8] {
        let n = &self.nodes[i as usize];
        &self.arena[n.name_off as usize..n.name_off as usize + n.name_len as usize]
    }

    pub fn link_target(&self, i: u32) -> &[u8] {
        let n = &self.nodes[i as usize];
        let start = n.data as usize;
        &self.arena[start..start + n.size as usize]
    }

    /// Stores bytes in the arena, returning their offset. The arena is
    /// capped: real images need a few MB of names, and a compressed layer of
    /// long unique names would otherwise turn a small file into gigabytes of RAM.
    pub fn intern(&mut self, bytes: &[u8]) -> Result<u32, Full> {
        let off = u32::try_from(self.arena.len()).map_err(|_| Full)?;
        if self.arena.len() + bytes.len() > MAX_ARENA {
            return Err(Full);
        }
        self.arena.extend_from_slice(bytes);
        Ok(off)
    }

    fn hash(hasher: &DefaultHashBuilder, parent: u32, name: &[u8]) -> u64 {
        hasher.hash_one((parent, name))
    }

    /// The live child `name` of `parent`.
    pub fn child(&self, parent: u32, name: &[u8]) -> Option<u32> {
        let h = Self::hash(&self.hasher, parent, name);
        self.table
            .find(h, |&i| {
                let n = &self.nodes[i as usize];
                n.parent == parent
                    && &self.arena[n.name_off as usize..n.name_off as usize + n.name_len as usize]
                        == name
            })
            .copied()
    }

    /// Looks a path up component by component without following symlinks.
    pub fn lookup<'a>(&self, comps: impl IntoIterator<Item = &'a [u8]>) -> Result<u32, Miss> {
        let mut cur = ROOT;
        for c in comps {
            if self.nodes[self.nodes[cur as usize].ino as usize].kind() != Kind::Dir {
                return Err(Miss::NotADirectory);
            }
            cur = self.child(cur, c).ok_or(Miss::NotFound)?;
        }
        Ok(cur)
    }

    /// Live children of a directory.
    pub fn children(&self, dir: u32) -> Children<'_> {
        Children {
            tree: self,
            next: self.nodes[dir as usize].first_child,
        }
    }

    fn push(&mut self, parent: u32, name: &[u8], a: Attrs, layer: u16) -> Result<u32, Full> {
        let idx = u32::try_from(self.nodes.len())
            .ok()
            .filter(|&i| i < NONE)
            .ok_or(Full)?;
        let name_len = u16::try_from(name.len()).map_err(|_| Full)?;
        let name_off = self.intern(name)?;
        let next_sibling = self.nodes[parent as usize].first_child;
        self.nodes.push(Node {
            parent,
            name_off,
            first_child: NONE,
            next_sibling,
            ino: idx,
            mtime: clamp_mtime(a.mtime),
            name_len,
            bits: pack(a.kind, a.mode),
            layer,
            touched: layer,
            size: a.size,
            data: a.data,
        });
        self.nodes[parent as usize].first_child = idx;
        let Tree {
            nodes,
            arena,
            table,
            hasher,
        } = self;
        let h = Self::hash(hasher, parent, name);
        table.insert_unique(h, idx, |&i| {
            let n = &nodes[i as usize];
            Self::hash(
                hasher,
                n.parent,
                &arena[n.name_off as usize..n.name_off as usize + n.name_len as usize],
            )
        });
        Ok(idx)
    }

    /// Drops a node (and so its subtree) from the view.
    fn detach(&mut self, idx: u32) {
        let n = &self.nodes[idx as usize];
        let h = Self::hash(
            &self.hasher,
            n.parent,
            &self.arena[n.name_off as usize..n.name_off as usize + n.name_len as usize],
        );
        if let Ok(entry) = self.table.find_entry(h, |&i| i == idx) {
            entry.remove();
        }
        self.nodes[idx as usize].bits |= DETACHED;
    }

    /// Walks to the directory `comps`, creating missing directories and
    /// replacing non-directories on the way, as extracting a layer into its
    /// own overlay directory does (an upper directory shadows a lower file or
    /// symlink of the same name). Marks every directory on the way as touched
    /// by `layer`.
    pub fn ensure_dir<'a>(
        &mut self,
        comps: impl IntoIterator<Item = &'a [u8]>,
        layer: u16,
    ) -> Result<u32, Full> {
        let mut cur = ROOT;
        self.touch(cur, layer);
        for c in comps {
            cur = match self.child(cur, c) {
                Some(ch) if self.nodes[ch as usize].kind() == Kind::Dir => ch,
                other => {
                    if let Some(old) = other {
                        self.detach(old);
                    }
                    self.push(cur, c, implicit_dir(), layer)?
                }
            };
            self.touch(cur, layer);
        }
        Ok(cur)
    }

    fn touch(&mut self, i: u32, layer: u16) {
        let n = &mut self.nodes[i as usize];
        n.touched = n.touched.max(layer);
    }

    /// Adds or replaces `parent/name`. A directory over a directory merges
    /// (new metadata, children kept); anything else replaces the old entry
    /// and its whole subtree.
    pub fn put(&mut self, parent: u32, name: &[u8], a: Attrs, layer: u16) -> Result<u32, Full> {
        if let Some(old) = self.child(parent, name) {
            let o = &mut self.nodes[old as usize];
            if a.kind == Kind::Dir && o.kind() == Kind::Dir {
                o.set_attrs(a.mode, a.mtime);
                o.layer = layer;
                o.touched = o.touched.max(layer);
                return Ok(old);
            }
            self.detach(old);
        }
        self.push(parent, name, a, layer)
    }

    /// Adds `parent/name` as a hard link to node `target`.
    pub fn put_link(
        &mut self,
        parent: u32,
        name: &[u8],
        target: u32,
        layer: u16,
    ) -> Result<u32, Full> {
        let ino = self.nodes[target as usize].ino;
        let t = &self.nodes[ino as usize];
        let a = Attrs {
            kind: t.kind(),
            mode: t.mode(),
            mtime: t.mtime(),
            size: t.size,
            data: t.data,
        };
        let idx = self.put(parent, name, a, layer)?;
        self.nodes[idx as usize].ino = ino;
        Ok(idx)
    }

    /// Sets the root directory's own metadata (a `./` entry).
    pub fn set_root_attrs(&mut self, mode: u32, mtime: i64, layer: u16) {
        let r = &mut self.nodes[ROOT as usize];
        r.set_attrs(mode, mtime);
        r.layer = layer;
        r.touched = r.touched.max(layer);
    }

    /// `.wh.<name>` in `layer`: hides `parent/name` as lower layers have it.
    pub fn whiteout(&mut self, parent: u32, name: &[u8], layer: u16) {
        if let Some(c) = self.child(parent, name) {
            self.hide_lower(c, layer);
        }
    }

    /// `.wh..wh..opq` in `layer`: hides everything lower layers put in `dir`.
    pub fn opaque(&mut self, dir: u32, layer: u16) {
        let kids: Vec<u32> = self.children(dir).collect();
        for c in kids {
            self.hide_lower(c, layer);
        }
    }

    /// Removes what layers below `layer` contributed at and under `start`,
    /// keeping what `layer` itself added (a whiteout only ever applies to
    /// lower layers, whatever the order of entries in the tar). Iterative:
    /// a hostile layer may nest deeply.
    fn hide_lower(&mut self, start: u32, layer: u16) {
        let mut stack = vec![start];
        while let Some(n) = stack.pop() {
            let node = &self.nodes[n as usize];
            if node.touched < layer {
                self.detach(n);
            } else if node.kind() == Kind::Dir {
                stack.extend(self.children(n));
            }
        }
    }
}

fn implicit_dir() -> Attrs {
    Attrs {
        kind: Kind::Dir,
        mode: 0o755,
        mtime: 0,
        size: 0,
        data: 0,
    }
}

pub(crate) struct Children<'a> {
    tree: &'a Tree,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        while self.next != NONE {
            let i = self.next;
            let n = &self.tree.nodes[i as usize];
            self.next = n.next_sibling;
            if !n.detached() {
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(size: u64) -> Attrs {
        Attrs {
            kind: Kind::File,
            mode: 0o644,
            mtime: 1,
            size,
            data: 0,
        }
    }

    fn path(t: &Tree, p: &str) -> Result<u32, Miss> {
        t.lookup(p.split('/').filter(|c| !c.is_empty()).map(str::as_bytes))
    }

    fn names(t: &Tree, dir: u32) -> Vec<String> {
        let mut v: Vec<String> = t
            .children(dir)
            .map(|c| String::from_utf8_lossy(t.name(c)).into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn node_stays_small() {
        assert!(
            std::mem::size_of::<Node>() <= 64,
            "{}",
            std::mem::size_of::<Node>()
        );
    }

    #[test]
    fn file_replacing_a_directory_drops_the_subtree() {
        let mut t = Tree::new();
        let d = t.ensure_dir([&b"a"[..], b"b"], 0).unwrap();
        t.put(d, b"c", file(1), 0).unwrap();
        let a = path(&t, "a").unwrap();
        t.put(ROOT, b"a", file(2), 1).unwrap();
        assert_ne!(path(&t, "a").unwrap(), a);
        assert_eq!(path(&t, "a/b/c"), Err(Miss::NotADirectory));
        assert_eq!(names(&t, ROOT), ["a"]);
    }

    #[test]
    fn whiteout_keeps_what_the_same_layer_added() {
        let mut t = Tree::new();
        let d = t.ensure_dir([&b"d"[..], b"sub"], 0).unwrap();
        t.put(d, b"old", file(1), 0).unwrap();
        // Layer 1 adds d/sub/new before its own opaque marker on d.
        let d1 = t.ensure_dir([&b"d"[..], b"sub"], 1).unwrap();
        t.put(d1, b"new", file(1), 1).unwrap();
        let top = t.ensure_dir([&b"d"[..]], 1).unwrap();
        t.opaque(top, 1);
        assert!(path(&t, "d/sub/new").is_ok());
        assert_eq!(path(&t, "d/sub/old"), Err(Miss::NotFound));
    }

    #[test]
    fn many_siblings_are_found_by_hash() {
        let mut t = Tree::new();
        for i in 0..10_000 {
            t.put(ROOT, format!("f{i}").as_bytes(), file(i), 0).unwrap();
        }
        assert_eq!(t.node(path(&t, "f9999").unwrap()).size, 9999);
        assert_eq!(t.children(ROOT).count(), 10_000);
    }
}
