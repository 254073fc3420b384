//! SPDX 2.x tag-value: `Tag: value` lines, `<text>…</text>` values that may
//! span lines, `#` comments. Which element a tag belongs to follows from the
//! last `PackageName`, `FileName`, `SnippetSPDXID` or `LicenseID` before it.

use super::{Package, Relationship, SpdxDoc};
use crate::error::SbomError;
use crate::{rules, Document, Format, Limits};

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Document,
    Package,
    File,
    Snippet,
    License,
}

pub(crate) fn parse(bytes: &[u8], location: &str, limits: &Limits) -> Result<Document, SbomError> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = SpdxDoc::new(location, limits);
    let mut section = Section::Document;
    let mut pkg: Option<Package> = None;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((no, line)) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((tag, value)) = line.split_once(':') else {
            out.violations.push(
                format!("line {no}"),
                format!("expected `Tag: value`, got {:?}", rules::clip(trimmed)),
            );
            continue;
        };
        let tag = tag.trim();
        let mut value = value.trim().to_string();
        if let Some(rest) = value.strip_prefix("<text>") {
            value = match rest.find("</text>") {
                Some(end) => rest[..end].to_string(),
                None => {
                    let mut buf = rest.to_string();
                    loop {
                        let Some((_, more)) = lines.next() else {
                            return Err(SbomError::TagValue {
                                location: location.to_string(),
                                line: no,
                                message: format!(
                                    "<text> of {tag} is not closed before the end of the file"
                                ),
                            });
                        };
                        buf.push('\n');
                        if let Some(end) = more.find("</text>") {
                            buf.push_str(&more[..end]);
                            break;
                        }
                        buf.push_str(more);
                    }
                    buf
                }
            };
        }
        let ptr = || format!("line {no}");
        match tag {
            "SPDXVersion" => out.version = Some(value),
            "SPDXID" => match section {
                Section::Document if out.doc_id.is_none() => out.doc_id = Some(value),
                Section::Package => {
                    if let Some(p) = pkg.as_mut() {
                        p.id = Some(value);
                    }
                }
                Section::File | Section::Snippet => {
                    out.other_ids.insert(value);
                }
                _ => {}
            },
            "PackageName" => {
                if let Some(p) = pkg.take() {
                    out.add_package(p)?;
                }
                section = Section::Package;
                pkg = Some(Package {
                    name: Some(value),
                    pointer: ptr(),
                    ..Package::default()
                });
            }
            "FileName" => {
                if let Some(p) = pkg.take() {
                    out.add_package(p)?;
                }
                section = Section::File;
            }
            "SnippetSPDXID" => {
                if let Some(p) = pkg.take() {
                    out.add_package(p)?;
                }
                section = Section::Snippet;
                out.other_ids.insert(value);
            }
            "LicenseID" => {
                if let Some(p) = pkg.take() {
                    out.add_package(p)?;
                }
                section = Section::License;
            }
            "PackageVersion"
            | "PackageSupplier"
            | "PackageOriginator"
            | "PrimaryPackagePurpose"
            | "PackageDownloadLocation"
            | "ExternalRef" => {
                let Some(p) = pkg.as_mut().filter(|_| section == Section::Package) else {
                    out.violations
                        .push(ptr(), format!("{tag} outside a package"));
                    continue;
                };
                match tag {
                    "PackageVersion" => p.version = Some(value),
                    "PackageSupplier" => p.supplier = Some(value),
                    "PackageOriginator" => p.originator = Some(value),
                    "PrimaryPackagePurpose" => p.purpose = Some(value),
                    "PackageDownloadLocation" => p.download_location = true,
                    _ => {
                        let mut f = value.split_whitespace();
                        let (category, kind, locator) = (f.next(), f.next(), f.next());
                        if matches!(category, Some("PACKAGE-MANAGER" | "PACKAGE_MANAGER"))
                            && kind == Some("purl")
                            && p.purl.is_none()
                        {
                            p.purl = locator.map(str::to_string);
                        }
                    }
                }
            }
            "Relationship" => {
                let mut f = value.split_whitespace();
                match (f.next(), f.next(), f.next()) {
                    (Some(from), Some(kind), Some(to)) => out.relationships.push(Relationship {
                        from: from.to_string(),
                        kind: kind.to_string(),
                        to: to.to_string(),
                        pointer: ptr(),
                    }),
                    _ => out.violations.push(
                        ptr(),
                        format!(
                            "a relationship is `ID TYPE ID`, got {:?}",
                            rules::clip(&value)
                        ),
                    ),
                }
            }
            _ => {}
        }
    }
    if let Some(p) = pkg.take() {
        out.add_package(p)?;
    }
    Ok(out.finish(Format::SpdxTagValue))
}
