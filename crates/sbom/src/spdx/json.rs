//! SPDX 2.x JSON. Lists are read one entry at a time (each entry a small
//! `Value` first), so a package with a field of the wrong type is a violation
//! and the rest of the document is still read.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{Package, Relationship, SpdxDoc};
use crate::error::SbomError;
use crate::{Document, Format, Limits};

/// A list whose entries are decoded one by one; an entry that does not fit
/// `T` is kept as its error.
struct Items<T>(Result<Vec<Result<T, String>>, String>);

impl<T> Default for Items<T> {
    fn default() -> Self {
        Items(Ok(Vec::new()))
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Items<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: DeserializeOwned> Visitor<'de> for V<T> {
            type Value = Items<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<Value>()? {
                    out.push(T::deserialize(v).map_err(|e| e.to_string()));
                }
                Ok(Items(Ok(out)))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Items<T>, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Items(Err("must be an array, got an object".into())))
            }
            fn visit_str<E>(self, _: &str) -> Result<Items<T>, E> {
                Ok(Items(Err("must be an array, got a string".into())))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Items<T>, E> {
                Ok(Items(Err("must be an array, got a number".into())))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Items<T>, E> {
                Ok(Items(Err("must be an array, got a number".into())))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Items<T>, E> {
                Ok(Items(Err("must be an array, got a number".into())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Items<T>, E> {
                Ok(Items(Err("must be an array, got a boolean".into())))
            }
            fn visit_unit<E>(self) -> Result<Items<T>, E> {
                Ok(Items(Ok(Vec::new())))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

#[derive(Deserialize)]
struct JDoc {
    #[serde(rename = "spdxVersion")]
    spdx_version: Option<Value>,
    #[serde(rename = "SPDXID")]
    spdx_id: Option<Value>,
    #[serde(default)]
    packages: Items<JPackage>,
    #[serde(default)]
    files: Items<JId>,
    #[serde(default)]
    snippets: Items<JId>,
    #[serde(default)]
    relationships: Items<JRelationship>,
    #[serde(rename = "documentDescribes", default)]
    document_describes: Items<String>,
}

#[derive(Deserialize)]
struct JPackage {
    #[serde(rename = "SPDXID")]
    id: Option<String>,
    name: Option<String>,
    #[serde(rename = "versionInfo")]
    version: Option<String>,
    supplier: Option<String>,
    originator: Option<String>,
    #[serde(rename = "primaryPackagePurpose")]
    purpose: Option<String>,
    #[serde(rename = "downloadLocation")]
    download_location: Option<Value>,
    #[serde(rename = "externalRefs", default)]
    external_refs: Vec<JExternalRef>,
}

#[derive(Deserialize)]
struct JExternalRef {
    #[serde(rename = "referenceCategory")]
    category: Option<String>,
    #[serde(rename = "referenceType")]
    kind: Option<String>,
    #[serde(rename = "referenceLocator")]
    locator: Option<String>,
}

#[derive(Deserialize)]
struct JId {
    #[serde(rename = "SPDXID")]
    id: Option<String>,
}

#[derive(Deserialize)]
struct JRelationship {
    #[serde(rename = "spdxElementId")]
    from: Option<String>,
    #[serde(rename = "relationshipType")]
    kind: Option<String>,
    #[serde(rename = "relatedSpdxElement")]
    to: Option<String>,
}

pub(crate) fn parse(bytes: &[u8], location: &str, limits: &Limits) -> Result<Document, SbomError> {
    let doc: JDoc = serde_json::from_slice(bytes).map_err(|e| {
        let mut message = e.to_string();
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        SbomError::Json {
            location: location.to_string(),
            line: e.line(),
            column: e.column(),
            message,
        }
    })?;
    let mut out = SpdxDoc::new(location, limits);
    match doc.spdx_version {
        Some(Value::String(s)) => out.version = Some(s),
        Some(other) => out.violations.push(
            "/spdxVersion",
            format!("spdxVersion must be a string, got {other}"),
        ),
        None => {}
    }
    match doc.spdx_id {
        Some(Value::String(s)) => out.doc_id = Some(s),
        Some(other) => out
            .violations
            .push("/SPDXID", format!("SPDXID must be a string, got {other}")),
        None => {}
    }
    for (i, p) in entries(doc.packages, "/packages", &mut out).into_iter() {
        let purl = p
            .external_refs
            .iter()
            .find(|r| {
                matches!(
                    r.category.as_deref(),
                    Some("PACKAGE-MANAGER" | "PACKAGE_MANAGER")
                ) && r.kind.as_deref() == Some("purl")
            })
            .and_then(|r| r.locator.clone());
        out.add_package(Package {
            id: p.id,
            name: p.name,
            version: p.version,
            supplier: p.supplier,
            originator: p.originator,
            purl,
            purpose: p.purpose,
            download_location: p.download_location.is_some(),
            pointer: format!("/packages/{i}"),
        })?;
    }
    for list in [(doc.files, "/files"), (doc.snippets, "/snippets")] {
        for (_, f) in entries(list.0, list.1, &mut out) {
            if let Some(id) = f.id {
                out.other_ids.insert(id);
            }
        }
    }
    for (i, r) in entries(doc.relationships, "/relationships", &mut out) {
        let pointer = format!("/relationships/{i}");
        match (r.from, r.kind, r.to) {
            (Some(from), Some(kind), Some(to)) => out.relationships.push(Relationship {
                from,
                kind,
                to,
                pointer,
            }),
            _ => out.violations.push(
                pointer,
                "a relationship needs spdxElementId, relationshipType and relatedSpdxElement",
            ),
        }
    }
    out.describes = entries(doc.document_describes, "/documentDescribes", &mut out)
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    Ok(out.finish(Format::SpdxJson))
}

/// The entries of a list that decoded, with their indices; the rest become violations.
fn entries<T>(items: Items<T>, ptr: &str, out: &mut SpdxDoc) -> Vec<(usize, T)> {
    match items.0 {
        Err(e) => {
            out.violations.push(ptr, e);
            Vec::new()
        }
        Ok(list) => list
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                Ok(t) => Some((i, t)),
                Err(e) => {
                    out.violations.push(format!("{ptr}/{i}"), e);
                    None
                }
            })
            .collect(),
    }
}
