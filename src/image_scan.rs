//! `uproot scan --image`: a container image as a virtual root, and which
//! layer each finding came from.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use uproot_collect::Root;
use uproot_image::{Image, ImageOptions};
use uproot_matcher::{Finding, ImageLayer};

/// Opens the image, choosing `platform` from a multi-platform index.
pub fn open(path: &Path, platform: Option<&str>, verify_digests: bool) -> Result<Arc<Image>> {
    let platform = platform
        .map(|p| {
            p.parse()
                .map_err(|e: String| anyhow::anyhow!("--platform {p}: {e}"))
        })
        .transpose()?;
    let opts = ImageOptions {
        platform,
        verify_digests,
        ..ImageOptions::default()
    };
    let image = Image::open(path, &opts)
        .with_context(|| format!("cannot read image {}", path.display()))?;
    Ok(Arc::new(image))
}

/// Sets each finding's layer: the layer that supplied the file its evidence
/// is in. For a dpkg package that is the package's own file list, which the
/// installing layer wrote, rather than `status`, which every later `apt`
/// step rewrites.
pub fn attribute_layers(image: &Image, root: &Root, findings: &mut [Finding]) {
    for f in findings {
        let layer = candidates(f)
            .iter()
            .filter_map(|p| root.canonical(p).ok())
            .find_map(|p| image.layer_of(&p));
        f.layer = layer.map(|i| {
            let l = &image.layers()[i];
            ImageLayer {
                index: l.index,
                digest: l.digest.clone(),
                created_by: l.created_by.clone(),
            }
        });
    }
}

fn candidates(f: &Finding) -> Vec<String> {
    let mut out = Vec::new();
    let name = &f.evidence.key;
    if f.evidence.detail.get("package_source").map(String::as_str) == Some("dpkg") {
        if let Some(arch) = f.evidence.detail.get("arch") {
            out.push(format!("/var/lib/dpkg/info/{name}:{arch}.list"));
        }
        out.push(format!("/var/lib/dpkg/info/{name}.list"));
    }
    for p in [&f.evidence.key, &f.evidence.source] {
        if p.starts_with('/') {
            out.push(p.clone());
        }
    }
    out
}
