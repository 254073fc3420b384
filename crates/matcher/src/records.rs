//! Inventory records flattened into what rules test (one function per
//! evidence type, mirroring the collectors).

use std::collections::BTreeMap;

use uproot_catalog::{Fields, Kind};
use uproot_inventory::*;

/// One inventory record, ready to match.
#[derive(Debug)]
pub struct Record {
    /// The rule kind this record is evidence for.
    pub kind: Kind,
    /// Further kinds it is also evidence for (a macOS app's bundle id is
    /// evidence for `app-bundle` rules as well as `package` rules).
    pub also_kinds: Vec<Kind>,
    /// Other names to try (a Windows driver by file name and by service name).
    pub alt_names: Vec<String>,
    /// Minifilter altitudes, each tried on its own.
    pub altitudes: Vec<u32>,
    /// Other organisations to try as the publisher (an SBOM component's
    /// supplier, publisher, manufacturer and authors are all tried).
    pub alt_publishers: Vec<String>,
    pub name: Option<String>,
    pub publisher: Option<String>,
    pub package_source: Option<String>,
    pub exec: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub sha1: Option<String>,
    pub id: Option<String>,
    pub path: Option<String>,
    pub file: Option<String>,
    pub setting_key: Option<String>,
    pub value: Option<String>,
    pub ecosystem: Option<String>,
    pub namespace: Option<String>,
    /// Evidence source (file it came from).
    pub source: String,
    /// Evidence key.
    pub key: String,
    pub summary: String,
    pub detail: BTreeMap<String, String>,
    /// Running, loaded or enabled.
    pub active: bool,
    /// Only leftovers (e.g. dpkg `config-files`).
    pub remnant: bool,
    /// What to call it in an action sentence.
    pub noun: &'static str,
    /// An SBOM record whose summary and detail are built only on a match.
    pub sbom: Option<crate::sbom::Deferred>,
}

impl Default for Record {
    fn default() -> Self {
        Record {
            kind: Kind::File,
            also_kinds: Vec::new(),
            alt_names: Vec::new(),
            altitudes: Vec::new(),
            alt_publishers: Vec::new(),
            name: None,
            publisher: None,
            package_source: None,
            exec: None,
            subject: None,
            issuer: None,
            sha1: None,
            id: None,
            path: None,
            file: None,
            setting_key: None,
            value: None,
            ecosystem: None,
            namespace: None,
            source: String::new(),
            key: String::new(),
            summary: String::new(),
            detail: BTreeMap::new(),
            active: false,
            remnant: false,
            noun: "files",
            sbom: None,
        }
    }
}

impl Record {
    pub fn kinds(&self) -> impl Iterator<Item = Kind> + '_ {
        std::iter::once(self.kind).chain(self.also_kinds.iter().copied())
    }

    /// The base fields, then one variant per alternative name, publisher and altitude.
    pub fn field_variants(&self) -> Vec<Fields<'_>> {
        let base = self.fields();
        let mut v = vec![base];
        v.extend(self.alt_names.iter().map(|n| Fields {
            name: Some(n.as_str()),
            ..base
        }));
        v.extend(self.alt_publishers.iter().map(|p| Fields {
            publisher: Some(p.as_str()),
            ..base
        }));
        v.extend(self.altitudes.iter().map(|a| Fields {
            altitude: Some(*a),
            name: None,
            ..base
        }));
        v
    }

    pub fn fields(&self) -> Fields<'_> {
        Fields {
            name: self.name.as_deref(),
            publisher: self.publisher.as_deref(),
            package_source: self.package_source.as_deref(),
            exec: self.exec.as_deref(),
            subject: self.subject.as_deref(),
            issuer: self.issuer.as_deref(),
            sha1: self.sha1.as_deref(),
            id: self.id.as_deref(),
            path: self.path.as_deref(),
            altitude: None,
            file: self.file.as_deref(),
            key: self.setting_key.as_deref(),
            value: self.value.as_deref(),
            ecosystem: self.ecosystem.as_deref(),
            namespace: self.namespace.as_deref(),
        }
    }
}

pub(crate) fn detail<const N: usize>(pairs: [(&str, Option<&str>); N]) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned())))
        .collect()
}

pub fn records(inv: &Inventory) -> Vec<Record> {
    let mut out = Vec::new();
    out.extend(inv.packages.iter().map(package));
    out.extend(inv.services.iter().map(service));
    out.extend(inv.kernel_modules.iter().map(kernel_module));
    out.extend(inv.certificates.iter().map(certificate));
    out.extend(inv.browser_extensions.iter().map(extension));
    out.extend(inv.files.iter().map(file));
    out.extend(inv.processes.iter().map(process));
    out.extend(inv.settings.iter().map(setting));
    out.extend(inv.drivers.iter().map(driver));
    out.extend(inv.registry_keys.iter().map(registry_key));
    out.extend(inv.signers.iter().map(signer));
    out.extend(crate::sbom::records(&inv.sbom_components));
    out.extend(inv.network_devices.iter().map(network_device));
    out
}

fn driver(d: &Driver) -> Record {
    let file = d
        .file
        .as_deref()
        .map(|f| f.rsplit(['\\', '/']).next().unwrap_or(f).to_owned());
    let primary = file.clone().unwrap_or_else(|| d.name.clone());
    let alts = if file.is_some() {
        vec![d.name.clone()]
    } else {
        Vec::new()
    };
    let alt_list: Vec<String> = d.altitudes.iter().map(u32::to_string).collect();
    Record {
        kind: Kind::Driver,
        also_kinds: if d.driver_type == "kext" || d.driver_type == "system-extension" {
            vec![Kind::AppBundle]
        } else {
            Vec::new()
        },
        alt_names: alts,
        altitudes: d.altitudes.clone(),
        name: Some(primary),
        id: Some(d.name.clone()),
        source: d.location.clone(),
        key: d.name.clone(),
        summary: format!(
            "{} {}{}{}",
            d.driver_type,
            d.name,
            d.file
                .as_deref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default(),
            d.start
                .as_deref()
                .map(|s| format!(", start {s}"))
                .unwrap_or_default()
        ),
        detail: detail([
            ("driver_type", Some(&d.driver_type)),
            ("file", d.file.as_deref()),
            ("start", d.start.as_deref()),
            (
                "altitudes",
                (!alt_list.is_empty())
                    .then(|| alt_list.join(","))
                    .as_deref(),
            ),
            ("team_id", d.team_id.as_deref()),
        ]),
        // A driver that loads at boot or system start has kernel reach now, not after a reboot.
        active: !matches!(d.start.as_deref(), Some("disabled")),
        noun: "driver",
        ..Record::default()
    }
}

fn registry_key(k: &RegistryKey) -> Record {
    let product = k
        .values
        .get("ProductName")
        .or_else(|| k.values.get("ProdDisplayName"));
    Record {
        kind: Kind::RegistryKey,
        path: Some(k.path.clone()),
        source: k.location.clone(),
        key: k.path.clone(),
        summary: match product {
            Some(p) => format!("registry key {} ({p})", k.path),
            None => format!("registry key {}", k.path),
        },
        detail: k
            .values
            .iter()
            .take(16)
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect(),
        noun: "registry keys",
        ..Record::default()
    }
}

fn signer(s: &CodeSigner) -> Record {
    let who = match (&s.team_id, &s.subject) {
        (Some(team), Some(ident)) if s.format == "apple" => format!("Team ID {team} ({ident})"),
        (Some(team), None) => format!("Team ID {team}"),
        (_, Some(subject)) => subject.clone(),
        (None, None) => "an unknown signer".to_owned(),
    };
    Record {
        kind: Kind::Signer,
        subject: s.subject.clone(),
        id: s.team_id.clone(),
        source: s.path.clone(),
        // A file can carry several signatures (SHA-1 and SHA-256); each is its own evidence.
        key: format!("{}#{who}", s.path),
        summary: format!("{} signed by {who}", s.path),
        detail: detail([
            ("format", Some(&s.format)),
            ("subject", s.subject.as_deref()),
            ("team_id", s.team_id.as_deref()),
            (
                "chain",
                (!s.chain.is_empty())
                    .then(|| s.chain.join(" <- "))
                    .as_deref(),
            ),
            ("enclosing", s.enclosing.as_deref()),
        ]),
        active: true,
        noun: "signed file",
        ..Record::default()
    }
}

fn package(p: &Package) -> Record {
    let state = p.state.as_deref().unwrap_or("installed");
    let bundle = matches!(p.source, PackageSource::MacApp | PackageSource::MacReceipt);
    let hold = if p.hold { ", on hold" } else { "" };
    let scope = p
        .scope
        .as_deref()
        .filter(|s| *s != "machine")
        .map(|s| format!(", {s}"))
        .unwrap_or_default();
    Record {
        kind: Kind::Package,
        also_kinds: if bundle && p.id.is_some() {
            vec![Kind::AppBundle]
        } else {
            Vec::new()
        },
        alt_names: p.id.iter().filter(|_| bundle).cloned().collect(),
        name: Some(p.name.clone()),
        id: p.id.clone(),
        publisher: p.vendor.clone(),
        package_source: Some(p.source.as_str().to_owned()),
        source: p.location.clone(),
        key: p.name.clone(),
        summary: format!(
            "{} package {} {} ({state}{hold}{scope})",
            p.source.as_str(),
            p.name,
            p.version
        ),
        detail: detail([
            ("version", Some(&p.version)),
            ("package_source", Some(p.source.as_str())),
            ("state", Some(state)),
            ("arch", p.arch.as_deref()),
            ("maintainer", p.vendor.as_deref()),
            ("hold", p.hold.then_some("true")),
            ("id", p.id.as_deref()),
            ("scope", p.scope.as_deref()),
            ("uninstall", p.uninstall.as_deref()),
            ("install_location", p.install_location.as_deref()),
        ]),
        active: state == "installed",
        // dpkg `config-files`, or a macOS install-history row: the product was there, maybe still is.
        remnant: p.is_config_only() || state == "history",
        noun: "package configuration (purge it)",
        ..Record::default()
    }
}

fn service(s: &Service) -> Record {
    Record {
        kind: Kind::Service,
        also_kinds: if s.scope.starts_with("launchd") {
            vec![Kind::AppBundle]
        } else {
            Vec::new()
        },
        id: s.scope.starts_with("launchd").then(|| s.name.clone()),
        name: Some(s.name.clone()),
        exec: s.exec.clone(),
        source: s.location.clone(),
        key: s.name.clone(),
        summary: format!(
            "{} service {}{}",
            s.scope,
            s.name,
            if s.enabled { " (enabled)" } else { "" }
        ),
        detail: detail([
            ("scope", Some(&s.scope)),
            ("exec", s.exec.as_deref()),
            ("description", s.description.as_deref()),
            ("enabled", Some(if s.enabled { "true" } else { "false" })),
            ("start", s.start.as_deref()),
        ]),
        active: s.enabled,
        noun: "service definition",
        ..Record::default()
    }
}

fn kernel_module(m: &KernelModule) -> Record {
    Record {
        kind: Kind::KernelModule,
        name: Some(m.name.clone()),
        source: m.location.clone(),
        key: m.name.clone(),
        summary: format!(
            "kernel module {} ({})",
            m.name,
            if m.loaded {
                "loaded"
            } else {
                "installed, not loaded"
            }
        ),
        detail: detail([("loaded", Some(if m.loaded { "true" } else { "false" }))]),
        active: m.loaded,
        noun: "kernel module file",
        ..Record::default()
    }
}

fn certificate(c: &Certificate) -> Record {
    Record {
        kind: Kind::Certificate,
        subject: Some(c.subject.clone()),
        issuer: Some(c.issuer.clone()),
        sha1: Some(c.sha1.clone()),
        source: c.location.clone(),
        key: c.sha256.clone(),
        summary: format!(
            "trusted {}certificate {}",
            if c.is_ca { "CA " } else { "" },
            c.subject
        ),
        detail: detail([
            ("subject", Some(&c.subject)),
            ("issuer", Some(&c.issuer)),
            ("sha1", Some(&c.sha1)),
            ("sha256", Some(&c.sha256)),
            ("serial", Some(&c.serial)),
            ("not_after", Some(&c.not_after)),
        ]),
        active: true,
        noun: "certificate",
        ..Record::default()
    }
}

fn extension(e: &BrowserExtension) -> Record {
    Record {
        kind: Kind::BrowserExtension,
        id: Some(e.id.clone()),
        name: e.name.clone(),
        source: e.location.clone(),
        key: e.id.clone(),
        summary: format!(
            "{} extension {} {}",
            e.browser,
            e.name.as_deref().unwrap_or(&e.id),
            e.version.as_deref().unwrap_or("")
        )
        .trim_end()
        .to_owned(),
        detail: detail([
            ("browser", Some(&e.browser)),
            ("name", e.name.as_deref()),
            ("version", e.version.as_deref()),
            ("profile", Some(&e.profile)),
        ]),
        noun: "browser extension",
        ..Record::default()
    }
}

fn file(f: &FileEntry) -> Record {
    // A regular file is also tested by its name against driver and process
    // rules, so the deep sweep finds `klif.sys` or `kavremover.exe` wherever it lies.
    let base = (f.file_type == "file").then(|| {
        f.path
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&f.path)
            .to_owned()
    });
    Record {
        kind: Kind::File,
        also_kinds: if base.is_some() {
            vec![Kind::Driver, Kind::Process]
        } else {
            Vec::new()
        },
        alt_names: base.into_iter().collect(),
        path: Some(f.path.clone()),
        source: f.path.clone(),
        key: f.path.clone(),
        summary: format!("{} {}", f.file_type, f.path),
        detail: detail([("file_type", Some(&f.file_type))]),
        noun: "files",
        ..Record::default()
    }
}

fn process(p: &Process) -> Record {
    Record {
        kind: Kind::Process,
        name: Some(p.name.clone()),
        exec: p.exe.clone().or_else(|| p.cmdline.clone()),
        source: format!("/proc/{}", p.pid),
        key: p.exe.clone().unwrap_or_else(|| p.name.clone()),
        summary: format!("running process {} (pid {})", p.name, p.pid),
        detail: detail([
            ("pid", Some(&p.pid.to_string())),
            ("exe", p.exe.as_deref()),
            ("cmdline", p.cmdline.as_deref()),
        ]),
        active: true,
        noun: "process",
        ..Record::default()
    }
}

fn setting(s: &Setting) -> Record {
    Record {
        kind: Kind::Setting,
        file: Some(s.location.clone()),
        setting_key: Some(s.key.clone()),
        value: Some(s.value.clone()),
        source: s.location.clone(),
        key: s.key.clone(),
        summary: format!("setting {}={} in {}", s.key, s.value, s.location),
        detail: detail([("value", Some(&s.value))]),
        noun: "configuration",
        ..Record::default()
    }
}

fn network_device(d: &uproot_inventory::NetworkDevice) -> Record {
    let seen = [d.ips.join(", "), d.hostnames.join(", ")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let at = if seen.is_empty() {
        String::new()
    } else {
        format!(" ({seen})")
    };
    Record {
        kind: Kind::MacOui,
        // An unknowable (randomised) address has no organisation: nothing matches it.
        publisher: Some(d.organization.clone()).filter(|o| !o.is_empty()),
        id: Some(d.prefix.clone()),
        source: d.location.clone(),
        key: d.mac.clone(),
        summary: format!(
            "network device {}{at}, OUI {} {}: {}",
            d.mac, d.prefix, d.organization, d.coverage
        ),
        detail: detail([
            ("organization", Some(d.organization.as_str())),
            ("prefix", Some(d.prefix.as_str())),
            (
                "ips",
                Some(d.ips.join(", ").as_str()).filter(|s| !s.is_empty()),
            ),
            (
                "hostnames",
                Some(d.hostnames.join(", ").as_str()).filter(|s| !s.is_empty()),
            ),
            ("coverage", Some(d.coverage.as_str())),
            ("use", d.use_tag.as_deref()),
            (
                "corroboration",
                Some(d.corroboration.join("; ").as_str()).filter(|s| !s.is_empty()),
            ),
        ]),
        active: true,
        noun: "network device",
        ..Record::default()
    }
}
