//! Times the index pass over an image, for `scripts/bench-image`.
//!
//! ```text
//! cargo run --release -p uproot-image --example index_image -- IMAGE [--no-verify] [--platform os/arch] [--max-entries N] [--read-all]
//! ```
//!
//! Prints one `key=value` line: entries, layer tar bytes, seconds, nodes and
//! the tree's heap bytes. `--read-all` then walks the merged tree and reads
//! every regular file through the `Vfs` interface, as collectors would.

use std::io::Read;
use std::time::Instant;

use uproot_collect::root::EntryType;
use uproot_collect::Vfs;
use uproot_image::{Image, ImageOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut opts = ImageOptions::default();
    let mut read_all = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-verify" => opts.verify_digests = false,
            "--read-all" => read_all = true,
            "--max-entries" => {
                let n = args.next().unwrap_or_default();
                opts.max_entries = n.parse().unwrap_or_else(|_| fail("--max-entries N"));
            }
            "--platform" => {
                let p = args.next().unwrap_or_default();
                opts.platform = Some(p.parse().unwrap_or_else(|e: String| fail(&e)));
            }
            _ if path.is_none() => path = Some(a),
            _ => fail(&format!("unexpected argument {a}")),
        }
    }
    let path = path.unwrap_or_else(|| {
        fail("usage: index_image IMAGE [--no-verify] [--platform os/arch] [--max-entries N] [--read-all]")
    });
    let t = Instant::now();
    let image = Image::open(&path, &opts).unwrap_or_else(|e| fail(&e.to_string()));
    let secs = t.elapsed().as_secs_f64();
    let entries: u64 = image.layers().iter().map(|l| l.entries).sum();
    let bytes: u64 = image.layers().iter().map(|l| l.tar_size).sum();
    println!(
        "layers={} entries={entries} tar_bytes={bytes} seconds={secs:.3} verify={} nodes={} index_bytes={} warnings={}",
        image.layers().len(),
        opts.verify_digests,
        image.node_count(),
        image.index_bytes(),
        image.warnings().len()
    );
    if read_all {
        let t = Instant::now();
        let (files, read) = walk(&image);
        println!(
            "read_all files={files} bytes={read} seconds={:.3}",
            t.elapsed().as_secs_f64()
        );
    }
}

fn walk(image: &Image) -> (u64, u64) {
    let mut stack = vec!["/".to_owned()];
    let (mut files, mut bytes) = (0u64, 0u64);
    let mut buf = vec![0u8; 256 << 10];
    while let Some(dir) = stack.pop() {
        for e in image.read_dir(&dir).unwrap_or_default() {
            let p = if dir == "/" {
                format!("/{}", e.name)
            } else {
                format!("{dir}/{}", e.name)
            };
            match e.file_type {
                EntryType::Dir => stack.push(p),
                EntryType::File => {
                    if let Ok(mut f) = image.open(&p) {
                        files += 1;
                        while let Ok(n) = f.read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            bytes += n as u64;
                        }
                    }
                }
                _ => {}
            }
        }
    }
    (files, bytes)
}

fn fail(msg: &str) -> ! {
    eprintln!("index_image: {msg}");
    std::process::exit(2)
}
