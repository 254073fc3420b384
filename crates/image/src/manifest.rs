//! From the image's metadata files to the list of layers to read:
//! `manifest.json` (docker save) or `index.json` (OCI layout, also written by
//! Docker 25+), nested indexes and platform choice, the config blob, and the
//! mapping of `history[]` to layers.

use std::collections::BTreeMap;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ImageError;
use crate::store::{Blob, Store};
use crate::{ImageConfig, ImageFormat, ImageOptions, Platform};

/// Largest metadata file read (manifests, configs, indexes are kilobytes).
const MAX_JSON: u64 = 16 << 20;
/// Deepest index nesting followed.
const MAX_NESTING: usize = 4;

/// What to read, worked out from the metadata.
#[derive(Debug)]
pub(crate) struct Plan {
    pub format: ImageFormat,
    pub config: ImageConfig,
    pub layers: Vec<PlannedLayer>,
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct PlannedLayer {
    pub blob: Blob,
    /// The layer's digest as shown to users.
    pub digest: String,
    pub media_type: Option<String>,
    /// Expected sha256 (hex) of the blob as stored.
    pub blob_sha256: Option<String>,
    /// Expected sha256 (hex) of the uncompressed tar (the config's diff_id).
    pub diff_id: Option<String>,
    pub created_by: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DockerManifest {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: Option<String>,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    platform: Option<DescPlatform>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
struct DescPlatform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Index {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

#[derive(Debug, Default, Deserialize)]
struct Config {
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    rootfs: Option<RootFs>,
    #[serde(default)]
    history: Vec<History>,
}

#[derive(Debug, Default, Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct History {
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: Option<bool>,
}

const ANN_REF: &str = "org.opencontainers.image.ref.name";
const ANN_NAME: &str = "io.containerd.image.name";

/// The hex part of a `sha256:` digest, checked (it becomes a file name).
pub(crate) fn sha256_hex(digest: &str) -> Result<&str, String> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| format!("malformed digest `{digest}`"))?;
    if alg != "sha256" {
        return Err(format!(
            "digest `{digest}` uses {alg}; only sha256 is supported"
        ));
    }
    if hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(hex)
    } else {
        Err(format!("malformed digest `{digest}`"))
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn parse_json<T: serde::de::DeserializeOwned>(name: &str, bytes: &[u8]) -> Result<T, ImageError> {
    serde_json::from_slice(bytes).map_err(|e| ImageError::meta(name, format!("invalid JSON: {e}")))
}

/// Reads a metadata member that must exist.
fn read_member(store: &Store, name: &str, what: &str) -> Result<Vec<u8>, ImageError> {
    match store.blob(name)? {
        Some(b) => b.read_all(MAX_JSON),
        None => Err(ImageError::MissingBlob {
            what: what.to_owned(),
            name: name.to_owned(),
        }),
    }
}

/// Reads a blob named by a descriptor and checks its size and digest.
fn read_desc(store: &Store, d: &Descriptor, what: &str) -> Result<(String, Vec<u8>), ImageError> {
    let hex = sha256_hex(&d.digest).map_err(|e| ImageError::meta(what, e))?;
    let name = format!("blobs/sha256/{hex}");
    let bytes = read_member(store, &name, what)?;
    check_sha256(&name, &bytes, hex)?;
    if let Some(size) = d.size {
        if size != bytes.len() as u64 {
            return Err(ImageError::meta(
                &name,
                format!(
                    "{what} is {} bytes, the descriptor says {size}",
                    bytes.len()
                ),
            ));
        }
    }
    Ok((name, bytes))
}

fn check_sha256(name: &str, bytes: &[u8], want: &str) -> Result<(), ImageError> {
    let got = hex(&Sha256::digest(bytes));
    if got != want {
        return Err(ImageError::DigestMismatch {
            name: name.to_owned(),
            expected: format!("sha256:{want}"),
            actual: format!("sha256:{got}"),
        });
    }
    Ok(())
}

/// Works out the layers of the image in `store`.
pub(crate) fn resolve(
    store: &Store,
    in_tar: bool,
    opts: &ImageOptions,
    shown: &str,
) -> Result<Plan, ImageError> {
    if store.exists("index.json") {
        let format = if in_tar {
            ImageFormat::OciArchive
        } else {
            ImageFormat::OciDirectory
        };
        resolve_oci(store, format, opts)
    } else if store.exists("manifest.json") {
        let format = if in_tar {
            ImageFormat::DockerArchive
        } else {
            ImageFormat::DockerDirectory
        };
        resolve_docker(store, format, opts)
    } else {
        Err(ImageError::NotAnImage {
            path: shown.to_owned(),
            reason: "no index.json (OCI layout) or manifest.json (docker save)".into(),
        })
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    desc: Descriptor,
    platform: Option<Platform>,
    names: Vec<String>,
}

fn is_index(media_type: Option<&str>) -> bool {
    matches!(
        media_type,
        Some("application/vnd.oci.image.index.v1+json")
            | Some("application/vnd.docker.distribution.manifest.list.v2+json")
    )
}

fn is_attestation(c: &Candidate) -> bool {
    let ann = c.desc.annotations.as_ref();
    ann.and_then(|a| a.get("vnd.docker.reference.type"))
        .is_some_and(|t| t == "attestation-manifest")
        || c.platform
            .as_ref()
            .is_some_and(|p| p.os == "unknown" && p.architecture == "unknown")
}

/// Lists the image manifests an index leads to, following nested indexes.
fn flatten(
    store: &Store,
    index: &Index,
    inherited: &[String],
    depth: usize,
    out: &mut Vec<Candidate>,
    warnings: &mut Vec<String>,
) -> Result<(), ImageError> {
    for d in &index.manifests {
        let mut names = inherited.to_vec();
        if let Some(a) = &d.annotations {
            names.extend(
                [ANN_NAME, ANN_REF]
                    .iter()
                    .filter_map(|k| a.get(*k).cloned()),
            );
        }
        let mut nested = is_index(d.media_type.as_deref());
        let mut body = None;
        if d.media_type.is_none() {
            // No media type: look inside, if the blob is here at all.
            if let Ok(hex) = sha256_hex(&d.digest) {
                if store.exists(&format!("blobs/sha256/{hex}")) {
                    let (_, bytes) = read_desc(store, d, "manifest")?;
                    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                    nested = v.get("manifests").is_some();
                    body = Some(bytes);
                }
            }
        }
        if nested {
            if depth >= MAX_NESTING {
                warnings.push(format!(
                    "index {} nested more than {MAX_NESTING} deep; not followed",
                    d.digest
                ));
                continue;
            }
            let (name, bytes) = match body {
                Some(b) => (d.digest.clone(), b),
                None => read_desc(store, d, &format!("index {}", d.digest))?,
            };
            let inner: Index = parse_json(&name, &bytes)?;
            flatten(store, &inner, &names, depth + 1, out, warnings)?;
        } else {
            let platform = d.platform.as_ref().map(|p| Platform {
                os: p.os.clone(),
                architecture: p.architecture.clone(),
                variant: p.variant.clone().filter(|v| !v.is_empty()),
            });
            out.push(Candidate {
                desc: d.clone(),
                platform,
                names,
            });
        }
    }
    Ok(())
}

fn resolve_oci(
    store: &Store,
    format: ImageFormat,
    opts: &ImageOptions,
) -> Result<Plan, ImageError> {
    let mut warnings = Vec::new();
    match store.blob("oci-layout")? {
        None => warnings
            .push("index.json without an oci-layout file; read as an OCI layout anyway".into()),
        Some(b) => {
            let v: serde_json::Value = parse_json("oci-layout", &b.read_all(MAX_JSON)?)?;
            let ver = v
                .get("imageLayoutVersion")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            if !ver.starts_with("1.") {
                warnings.push(format!(
                    "oci-layout: imageLayoutVersion `{ver}` is not 1.x; read anyway"
                ));
            }
        }
    }
    let index: Index = parse_json("index.json", &read_member(store, "index.json", "index")?)?;
    let mut all = Vec::new();
    flatten(store, &index, &[], 0, &mut all, &mut warnings)?;
    let images: Vec<Candidate> = all.into_iter().filter(|c| !is_attestation(c)).collect();

    let named: Vec<Candidate> = match &opts.reference {
        None => images,
        Some(r) => {
            let hits: Vec<Candidate> = images
                .iter()
                .filter(|c| c.names.iter().any(|n| ref_matches(n, r)))
                .cloned()
                .collect();
            if hits.is_empty() {
                let mut known: Vec<String> = images.iter().flat_map(|c| c.names.clone()).collect();
                known.sort();
                known.dedup();
                return Err(ImageError::meta(
                    "index.json",
                    format!("no image named `{r}` (names: {})", list_or_none(&known)),
                ));
            }
            hits
        }
    };
    let chosen = choose_platform(store, &named, opts)?;

    let manifest_name = format!("manifest {}", chosen.desc.digest);
    let (mname, mbytes) = read_desc(store, &chosen.desc, &manifest_name)?;
    let manifest: Manifest = parse_json(&mname, &mbytes)?;
    let (cname, cbytes) = read_desc(store, &manifest.config, "config")?;
    let config: Config = parse_json(&cname, &cbytes)?;

    if let Some(p) = &chosen.platform {
        if config.os.as_deref().is_some_and(|o| o != p.os)
            || config
                .architecture
                .as_deref()
                .is_some_and(|a| a != p.architecture)
        {
            warnings.push(format!(
                "{cname}: config says {}/{}, the index says {p}",
                config.os.as_deref().unwrap_or("?"),
                config.architecture.as_deref().unwrap_or("?")
            ));
        }
    }

    let diff_ids = diff_ids(&config, manifest.layers.len(), &cname, &mut warnings)?;
    let created_by = created_by(&config, manifest.layers.len(), &cname, &mut warnings);
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (i, d) in manifest.layers.iter().enumerate() {
        let what = format!("layer {i} ({})", d.digest);
        let hex =
            sha256_hex(&d.digest).map_err(|e| ImageError::meta(&mname, format!("{what}: {e}")))?;
        let name = format!("blobs/sha256/{hex}");
        let blob = store.blob(&name)?.ok_or_else(|| ImageError::MissingBlob {
            what: what.clone(),
            name: name.clone(),
        })?;
        if let Some(size) = d.size {
            if size != blob.len {
                return Err(ImageError::Layer {
                    index: i,
                    digest: d.digest.clone(),
                    reason: format!("blob is {} bytes, the manifest says {size}", blob.len),
                });
            }
        }
        layers.push(PlannedLayer {
            blob,
            digest: d.digest.clone(),
            media_type: d.media_type.clone(),
            blob_sha256: Some(hex.to_owned()),
            diff_id: diff_ids.get(i).cloned(),
            created_by: created_by.get(i).cloned().flatten(),
        });
    }

    let mut repo_tags: Vec<String> = chosen.names.clone();
    // Docker 25+ writes manifest.json beside index.json; its RepoTags are the
    // names users know the image by.
    if let Ok(Some(b)) = store.blob("manifest.json") {
        if let Ok(entries) = serde_json::from_slice::<Vec<DockerManifest>>(&b.read_all(MAX_JSON)?) {
            for e in entries {
                if crate::store::clean_rel(&e.config).as_deref() == Some(cname.as_str()) {
                    repo_tags.extend(e.repo_tags.unwrap_or_default());
                }
            }
        }
    }
    repo_tags.sort();
    repo_tags.dedup();

    Ok(Plan {
        format,
        config: facts(&config, repo_tags, Some(manifest.config.digest.clone())),
        layers,
        warnings,
    })
}

fn ref_matches(name: &str, wanted: &str) -> bool {
    name == wanted
        || name.strip_prefix("docker.io/library/") == Some(wanted)
        || name.strip_prefix("docker.io/") == Some(wanted)
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Picks the image for the requested platform (linux/amd64 by default). An
/// index that offers a single image is taken whatever its platform when no
/// platform was asked for: scanning an arm64 image on an amd64 host is fine.
fn choose_platform(
    store: &Store,
    cands: &[Candidate],
    opts: &ImageOptions,
) -> Result<Candidate, ImageError> {
    let available = || {
        let mut v: Vec<String> = cands
            .iter()
            .map(|c| {
                c.platform
                    .as_ref()
                    .map_or("(unspecified)".into(), |p| p.to_string())
            })
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let wanted = opts
        .platform
        .clone()
        .unwrap_or_else(Platform::default_linux_amd64);
    let matching: Vec<&Candidate> = if opts.platform.is_none() && cands.len() == 1 {
        cands.iter().collect()
    } else {
        cands
            .iter()
            .filter(|c| c.platform.as_ref().is_none_or(|p| wanted.matches(p)))
            .collect()
    };
    if matching.is_empty() {
        return Err(ImageError::NoPlatform {
            wanted: wanted.to_string(),
            file: "index.json".into(),
            available: available(),
        });
    }
    // containerd-backed `docker save` keeps the whole index but only the
    // blobs of the local platform: prefer a manifest that is really there.
    let present = matching.iter().find(|c| {
        sha256_hex(&c.desc.digest).is_ok_and(|h| store.exists(&format!("blobs/sha256/{h}")))
    });
    Ok((*present.unwrap_or(&matching[0])).clone())
}

fn resolve_docker(
    store: &Store,
    format: ImageFormat,
    opts: &ImageOptions,
) -> Result<Plan, ImageError> {
    let mut warnings = Vec::new();
    let entries: Vec<DockerManifest> = parse_json(
        "manifest.json",
        &read_member(store, "manifest.json", "manifest")?,
    )?;
    let entry = match &opts.reference {
        Some(r) => entries
            .iter()
            .find(|e| e.repo_tags.iter().flatten().any(|t| ref_matches(t, r)))
            .ok_or_else(|| {
                let tags: Vec<String> = entries
                    .iter()
                    .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
                    .collect();
                ImageError::meta(
                    "manifest.json",
                    format!("no image tagged `{r}` (tags: {})", list_or_none(&tags)),
                )
            })?,
        None => {
            let first = entries
                .first()
                .ok_or_else(|| ImageError::meta("manifest.json", "lists no images"))?;
            if entries.len() > 1 {
                warnings.push(format!(
                    "manifest.json lists {} images; reading the first ({}); choose another by tag",
                    entries.len(),
                    list_or_none(first.repo_tags.as_deref().unwrap_or(&[]))
                ));
            }
            first
        }
    };

    let cname = crate::store::clean_rel(&entry.config).unwrap_or_else(|| entry.config.clone());
    let cbytes = read_member(store, &entry.config, "config")?;
    // Legacy names the config `<sha256>.json`, Docker 25+ `blobs/sha256/<sha256>`.
    let stem = cname
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_end_matches(".json");
    let config_digest = if sha256_hex(&format!("sha256:{stem}")).is_ok() {
        check_sha256(&cname, &cbytes, stem)?;
        Some(format!("sha256:{stem}"))
    } else {
        None
    };
    let config: Config = parse_json(&cname, &cbytes)?;
    let diff_ids = diff_ids(&config, entry.layers.len(), &cname, &mut warnings)?;
    let created_by = created_by(&config, entry.layers.len(), &cname, &mut warnings);

    let mut layers = Vec::with_capacity(entry.layers.len());
    for (i, name) in entry.layers.iter().enumerate() {
        let diff_id = diff_ids.get(i).cloned();
        let digest = diff_id
            .as_ref()
            .map_or_else(|| name.clone(), |h| format!("sha256:{h}"));
        let blob = store.blob(name)?.ok_or_else(|| ImageError::MissingBlob {
            what: format!("layer {i} ({digest})"),
            name: name.clone(),
        })?;
        // Docker 25+ stores layers as blobs/sha256/<digest of the blob>.
        let blob_sha256 = name
            .strip_prefix("blobs/sha256/")
            .filter(|h| sha256_hex(&format!("sha256:{h}")).is_ok())
            .map(str::to_owned);
        layers.push(PlannedLayer {
            blob,
            digest,
            media_type: None,
            blob_sha256,
            diff_id,
            created_by: created_by.get(i).cloned().flatten(),
        });
    }
    Ok(Plan {
        format,
        config: facts(
            &config,
            entry.repo_tags.clone().unwrap_or_default(),
            config_digest,
        ),
        layers,
        warnings,
    })
}

/// The config's diff_ids (hex) when they line up with the layers.
fn diff_ids(
    config: &Config,
    layers: usize,
    cname: &str,
    warnings: &mut Vec<String>,
) -> Result<Vec<String>, ImageError> {
    let ids = config
        .rootfs
        .as_ref()
        .map(|r| r.diff_ids.as_slice())
        .unwrap_or(&[]);
    if ids.len() != layers {
        warnings.push(format!(
            "{cname}: {} diff_ids for {layers} layers; uncompressed layers are not checked against them",
            ids.len()
        ));
        return Ok(Vec::new());
    }
    ids.iter()
        .map(|d| {
            sha256_hex(d)
                .map(str::to_owned)
                .map_err(|e| ImageError::meta(cname, format!("rootfs.diff_ids: {e}")))
        })
        .collect()
}

/// `created_by` per layer: the history entries that made a layer (not
/// `empty_layer`), in order.
fn created_by(
    config: &Config,
    layers: usize,
    cname: &str,
    warnings: &mut Vec<String>,
) -> Vec<Option<String>> {
    let made: Vec<Option<String>> = config
        .history
        .iter()
        .filter(|h| h.empty_layer != Some(true))
        .map(|h| h.created_by.clone())
        .collect();
    if made.len() != layers && !config.history.is_empty() {
        warnings.push(format!(
            "{cname}: history has {} entries that made a layer, the image has {layers} layers; created_by may be misattributed",
            made.len()
        ));
    }
    made
}

fn facts(config: &Config, repo_tags: Vec<String>, config_digest: Option<String>) -> ImageConfig {
    ImageConfig {
        os: config.os.clone(),
        architecture: config.architecture.clone(),
        variant: config.variant.clone(),
        created: config.created.clone(),
        repo_tags,
        config_digest,
    }
}
