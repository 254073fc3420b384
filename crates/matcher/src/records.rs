//! Inventory records flattened into what rules test (one function per
//! evidence type, mirroring the collectors).

use std::collections::BTreeMap;

use uproot_catalog::{Fields, Kind};
use uproot_inventory::*;

/// One inventory record, ready to match.
#[derive(Debug)]
pub struct Record {
    pub kind: Kind,
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
}

impl Default for Record {
    fn default() -> Self {
        Record {
            kind: Kind::File,
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
            source: String::new(),
            key: String::new(),
            summary: String::new(),
            detail: BTreeMap::new(),
            active: false,
            remnant: false,
            noun: "files",
        }
    }
}

impl Record {
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
        }
    }
}

fn detail<const N: usize>(pairs: [(&str, Option<&str>); N]) -> BTreeMap<String, String> {
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
    out
}

fn package(p: &Package) -> Record {
    let state = p.state.as_deref().unwrap_or("installed");
    let hold = if p.hold { ", on hold" } else { "" };
    Record {
        kind: Kind::Package,
        name: Some(p.name.clone()),
        publisher: p.vendor.clone(),
        package_source: Some(p.source.as_str().to_owned()),
        source: p.location.clone(),
        key: p.name.clone(),
        summary: format!(
            "{} package {} {} ({state}{hold})",
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
        ]),
        active: state == "installed",
        remnant: p.is_config_only(),
        noun: "package configuration (purge it)",
        ..Record::default()
    }
}

fn service(s: &Service) -> Record {
    Record {
        kind: Kind::Service,
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
    Record {
        kind: Kind::File,
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
