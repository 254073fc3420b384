//! Findings → ordered steps. One module per OS; this one holds what they share:
//! the step builder, embedded engines, and folding of deletions.

mod linux;
mod macos;
mod windows;

pub(crate) use linux::is_bundle_path;

use std::collections::BTreeMap;

use uproot_matcher::Finding;
use uproot_report::Report;

use crate::commands;
use crate::model::{Action, Input, Plan, PlanSource, Step, Unplanned, SCHEMA};
use crate::safe;

/// Phases order the steps; within a phase, steps sort by their key.
pub(crate) mod phase {
    pub const UNINSTALL: u32 = 10;
    pub const UNINSTALL_OTHER: u32 = 15;
    pub const FALLBACK: u32 = 20;
    pub const SERVICE: u32 = 30;
    pub const BUNDLE: u32 = 35;
    pub const MODULE: u32 = 40;
    pub const RECEIPT: u32 = 45;
    pub const CERT: u32 = 50;
    pub const DRIVER: u32 = 55;
    pub const DRIVER_FILE: u32 = 57;
    pub const REGISTRY: u32 = 60;
    pub const EXTENSION: u32 = 65;
    pub const LEFTOVER: u32 = 70;
    pub const MANUAL: u32 = 90;
}

pub(crate) struct Pending {
    pub phase: u32,
    pub key: String,
    pub title: String,
    pub finding_ids: Vec<String>,
    pub action: Action,
    pub changes: String,
    pub verify: String,
    pub requires_input: Vec<String>,
}

impl Pending {
    pub fn new(
        phase: u32,
        key: impl Into<String>,
        title: impl Into<String>,
        action: Action,
    ) -> Self {
        Pending {
            phase,
            key: key.into(),
            title: title.into(),
            finding_ids: Vec::new(),
            action,
            changes: String::new(),
            verify: String::new(),
            requires_input: Vec::new(),
        }
    }

    pub fn findings<'a>(mut self, ids: impl IntoIterator<Item = &'a str>) -> Self {
        self.finding_ids.extend(ids.into_iter().map(str::to_owned));
        self
    }

    pub fn changes(mut self, s: impl Into<String>) -> Self {
        self.changes = s.into();
        self
    }

    pub fn verify(mut self, s: impl Into<String>) -> Self {
        self.verify = s.into();
        self
    }
}

/// A path a finding asks to delete, before folding.
struct Deletion {
    path: String,
    finding: String,
    what: String,
    phase: u32,
}

pub(crate) struct Builder<'a> {
    pub report: &'a Report,
    pub os: String,
    /// Paths compare without case on Windows and macOS.
    pub ci: bool,
    pending: Vec<Pending>,
    deletions: Vec<Deletion>,
    unplanned: Vec<Unplanned>,
    inputs: BTreeMap<String, Input>,
}

impl<'a> Builder<'a> {
    fn new(report: &'a Report) -> Self {
        let os = match report.host.os.as_str() {
            "windows" => "windows",
            "macos" => "macos",
            _ => "linux",
        }
        .to_owned();
        Builder {
            report,
            ci: os != "linux",
            os,
            pending: Vec::new(),
            deletions: Vec::new(),
            unplanned: Vec::new(),
            inputs: BTreeMap::new(),
        }
    }

    pub fn live(&self) -> bool {
        self.report.host.live
    }

    pub fn push(&mut self, p: Pending) {
        self.pending.push(p);
    }

    /// Adds `finding` to the pending step whose action satisfies `pred`, if any.
    pub fn attach(&mut self, finding: &str, pred: impl Fn(&Action) -> bool) -> bool {
        match self.pending.iter_mut().find(|p| pred(&p.action)) {
            Some(p) => {
                p.finding_ids.push(finding.to_owned());
                true
            }
            None => false,
        }
    }

    /// Asks for `path` to be deleted (folded with every other deletion at the end).
    pub fn delete(&mut self, f: &Finding, path: &str, what: &str, phase: u32) {
        match safe::normalize(path) {
            Ok(path) => self.deletions.push(Deletion {
                path,
                finding: f.id.clone(),
                what: what.to_owned(),
                phase,
            }),
            Err(why) => self.manual_for(
                f,
                &format!(
                    "Remove {} by hand: uproot does not delete it ({why}).",
                    safe::printable(path)
                ),
            ),
        }
    }

    pub fn unplanned(&mut self, f: &Finding, reason: &str) {
        self.unplanned.push(Unplanned {
            finding_id: f.id.clone(),
            summary: f.summary.clone(),
            reason: reason.to_owned(),
        });
    }

    /// A manual step for one finding.
    pub fn manual_for(&mut self, f: &Finding, instructions: &str) {
        self.push(
            Pending::new(
                phase::MANUAL,
                format!("z{}", f.evidence.key),
                format!("By hand: {}", safe::printable(&f.summary)),
                Action::Manual {
                    instructions: instructions.to_owned(),
                },
            )
            .findings([f.id.as_str()])
            .changes("Nothing automatically; a person carries this out.")
            .verify("Run `uproot verify` (or `uproot scan`) afterwards: the finding must be gone."),
        );
    }

    pub fn input(&mut self, name: &str, description: &str, secret: bool, encoding: Option<&str>) {
        self.inputs.entry(name.to_owned()).or_insert_with(|| Input {
            name: name.to_owned(),
            description: description.to_owned(),
            secret,
            encoding: encoding.map(str::to_owned),
            used_by: Vec::new(),
        });
    }

    /// Embedded engines: one manual step per enclosing product, never a delete.
    fn embedded(&mut self, findings: &[&'a Finding]) {
        let mut by_dir: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for f in findings {
            if let Some(dir) = f.embedded_in.as_deref() {
                by_dir.entry(dir).or_default().push(f);
            }
        }
        for (dir, fs) in by_dir {
            let shown = if self.os == "windows" {
                safe::windows_path(dir)
            } else {
                dir.to_owned()
            };
            let files: Vec<String> = fs
                .iter()
                .map(|f| safe::printable(f.evidence.source.as_str()))
                .collect();
            self.push(
                Pending::new(
                    phase::MANUAL,
                    format!("embedded {dir}"),
                    format!("Embedded {} code in {}", fs[0].vendor_name, safe::printable(&shown)),
                    Action::Manual {
                        instructions: format!(
                            "Covered code is embedded in another vendor's product at {}: {}. \
                             uproot does not delete another product's files. Contact that product's \
                             vendor for a version without the embedded engine, or uninstall the \
                             enclosing product with its own uninstaller.",
                            safe::printable(&shown),
                            files.join(", ")
                        ),
                    },
                )
                .findings(fs.iter().map(|f| f.id.as_str()))
                .changes("Nothing automatically; the enclosing product is not uproot's to remove.")
                .verify("`uproot scan --deep` no longer reports the embedded files."),
            );
        }
    }

    /// Folds deletions: a path under another deleted path joins that step; a
    /// path another step already deletes joins that step.
    fn fold_deletions(&mut self) {
        let mut dels = std::mem::take(&mut self.deletions);
        // Parents before children; for the same path, the earliest phase wins.
        dels.sort_by(|a, b| {
            a.path
                .len()
                .cmp(&b.path.len())
                .then_with(|| a.path.cmp(&b.path))
                .then_with(|| a.phase.cmp(&b.phase))
        });
        let ci = self.ci;
        for d in dels {
            // Another step deletes this very path (a unit file, a plist, a CA file).
            if let Some(p) = self.pending.iter_mut().find(|p| {
                !matches!(p.action, Action::DeletePath { .. })
                    && p.action
                        .deletable_paths()
                        .iter()
                        .any(|q| same_path(q, &d.path, ci))
            }) {
                push_unique(&mut p.finding_ids, &d.finding);
                continue;
            }
            // A system extension's files go with `systemextensionsctl uninstall`.
            if d.path
                .to_lowercase()
                .starts_with("/library/systemextensions/")
            {
                if let Some(p) = self
                    .pending
                    .iter_mut()
                    .find(|p| matches!(p.action, Action::SystemExtensionUninstall { .. }))
                {
                    push_unique(&mut p.finding_ids, &d.finding);
                    continue;
                }
            }
            // Under (or equal to) a path a delete step already removes.
            if let Some(p) = self.pending.iter_mut().find(|p| match &p.action {
                Action::DeletePath { paths, .. } => {
                    paths.iter().any(|q| safe::is_under(&d.path, q, ci))
                }
                _ => false,
            }) {
                push_unique(&mut p.finding_ids, &d.finding);
                continue;
            }
            if safe::is_protected(&d.path) || d.path.to_lowercase().starts_with("/system/") {
                let shown = self.show_path(&d.path);
                self.unplanned.push(Unplanned {
                    finding_id: d.finding.clone(),
                    summary: shown.clone(),
                    reason: format!(
                        "{shown} is a system directory (or protected by the OS); uproot never deletes it"
                    ),
                });
                continue;
            }
            let shown = self.show_path(&d.path);
            self.push(
                Pending::new(
                    d.phase,
                    d.path.clone(),
                    format!("Delete {} {}", d.what, safe::printable(&shown)),
                    Action::DeletePath {
                        paths: vec![d.path.clone()],
                        what: d.what.clone(),
                    },
                )
                .findings([d.finding.as_str()])
                .changes(format!(
                    "Deletes {} (a directory goes with everything below it). A symlink is removed \
                     itself, never followed; a path with a symlink among its parents is refused.",
                    safe::printable(&shown)
                ))
                .verify(format!("{} no longer exists.", safe::printable(&shown))),
            );
        }
    }

    pub fn show_path(&self, path: &str) -> String {
        if self.os == "windows" {
            safe::windows_path(path)
        } else {
            path.to_owned()
        }
    }

    fn finish(mut self) -> Plan {
        self.fold_deletions();
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by(|a, b| a.phase.cmp(&b.phase).then_with(|| a.key.cmp(&b.key)));
        let host = &self.report.host;
        let mut steps = Vec::with_capacity(pending.len());
        for (i, mut p) in pending.into_iter().enumerate() {
            let id = (i + 1).to_string();
            p.finding_ids.sort();
            p.finding_ids.dedup();
            if let Action::MsiUninstall { properties, .. } = &p.action {
                p.requires_input = properties.iter().map(|m| m.input.clone()).collect();
            }
            for name in &p.requires_input {
                if let Some(input) = self.inputs.get_mut(name) {
                    input.used_by.push(id.clone());
                }
            }
            let commands = commands::for_action(
                &p.action,
                &host.root,
                host.live,
                host.distro.as_deref(),
                None,
            )
            .into_iter()
            .map(|c| c.shown())
            .collect();
            steps.push(Step {
                id,
                title: p.title,
                finding_ids: p.finding_ids,
                action: p.action,
                commands,
                changes: p.changes,
                verify: p.verify,
                requires_input: p.requires_input,
            });
        }
        self.unplanned
            .sort_by(|a, b| a.finding_id.cmp(&b.finding_id));
        Plan {
            schema: SCHEMA.to_owned(),
            tool: uproot_report::Tool {
                name: "uproot".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            host: host.clone(),
            os: self.os.clone(),
            source: PlanSource {
                report_generated_at: self.report.generated_at.clone(),
                catalog_version: self.report.catalog.version.clone(),
                findings: self.report.findings.len(),
            },
            steps,
            inputs: self
                .inputs
                .into_values()
                .filter(|i| !i.used_by.is_empty())
                .collect(),
            unplanned: self.unplanned,
        }
    }
}

fn same_path(a: &str, b: &str, ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

fn push_unique(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_owned());
    }
}

/// Builds the removal plan for a report. Pure: the same report gives the same plan.
pub fn plan(report: &Report) -> Plan {
    let mut b = Builder::new(report);
    let (embedded, own): (Vec<&Finding>, Vec<&Finding>) = report
        .findings
        .iter()
        .partition(|f| f.embedded_in.is_some());
    b.embedded(&embedded);
    match b.os.as_str() {
        "windows" => windows::plan(&mut b, &own),
        "macos" => macos::plan(&mut b, &own),
        _ => linux::plan(&mut b, &own),
    }
    b.finish()
}

/// The detail value `key` of a finding.
pub(crate) fn detail<'f>(f: &'f Finding, key: &str) -> Option<&'f str> {
    f.evidence.detail.get(key).map(String::as_str)
}

/// The path part of a signer finding's source (`path#signer` keys use the source).
pub(crate) fn signer_path(f: &Finding) -> &str {
    f.evidence.source.as_str()
}
