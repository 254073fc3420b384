//! Format detection from the content alone: file names lie (`bom.json` holding
//! SPDX, `sbom.txt` holding CycloneDX XML).

use crate::error::SbomError;

pub(crate) enum Detected {
    /// CycloneDX JSON; the top-level `specVersion` when it is a plain string,
    /// so version-dependent rules apply even to components read before it.
    CycloneDxJson {
        spec_version: Option<String>,
    },
    CycloneDxXml,
    SpdxJson,
    SpdxTagValue,
}

pub(crate) fn strip_utf8_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

pub(crate) fn detect(bytes: &[u8], location: &str) -> Result<Detected, SbomError> {
    let unknown = |detail: String| SbomError::UnknownFormat {
        location: location.to_string(),
        detail,
    };
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Err(unknown("the file is empty".into()));
    };
    match bytes[start] {
        b'{' => detect_json(bytes, start, location),
        b'<' => match xml_root_name(&bytes[start..]) {
            Some(name) if local(name) == b"bom" => Ok(Detected::CycloneDxXml),
            Some(name) if local(name) == b"RDF" => Err(SbomError::Unsupported {
                location: location.to_string(),
                detail: "SPDX RDF/XML is not supported; SPDX JSON and tag-value are".into(),
            }),
            Some(name) if local(name) == b"Document" && contains(bytes, b"spdxVersion") => {
                Err(SbomError::Unsupported {
                    location: location.to_string(),
                    detail: "SPDX XML is not supported; SPDX JSON and tag-value are".into(),
                })
            }
            Some(name) => Err(unknown(format!(
                "XML whose root element is <{}>, not a CycloneDX <bom>",
                String::from_utf8_lossy(name)
            ))),
            None => Err(unknown("XML without a root element".into())),
        },
        _ if is_tag_value(bytes) => Ok(Detected::SpdxTagValue),
        _ if is_yaml_sbom(bytes) => Err(SbomError::Unsupported {
            location: location.to_string(),
            detail: "SPDX and CycloneDX YAML are not supported; SPDX JSON and tag-value are".into(),
        }),
        _ => Err(unknown(format!(
            "starts with {:?}; expected a JSON object, a CycloneDX XML <bom> or SPDX tag-value",
            String::from_utf8_lossy(&bytes[start..bytes.len().min(start + 24)])
        ))),
    }
}

fn local(name: &[u8]) -> &[u8] {
    name.iter()
        .rposition(|&b| b == b':')
        .map_or(name, |p| &name[p + 1..])
}

/// Name of the first element, skipping the prolog, comments, processing
/// instructions and a doctype.
fn xml_root_name(mut s: &[u8]) -> Option<&[u8]> {
    loop {
        let lt = s.iter().position(|&b| b == b'<')?;
        s = &s[lt..];
        if s.starts_with(b"<?") {
            s = &s[find(s, b"?>")? + 2..];
        } else if s.starts_with(b"<!--") {
            s = &s[find(s, b"-->")? + 3..];
        } else if s.starts_with(b"<!") {
            s = &s[find(s, b">")? + 1..];
        } else {
            let name = &s[1..];
            let end = name
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
                .unwrap_or(name.len());
            return (end > 0).then(|| &name[..end]);
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(&hay[..hay.len().min(64 * 1024)], needle).is_some()
}

/// YAML SBOMs name their version at the top level (`spdxVersion:` or `bomFormat:`).
fn is_yaml_sbom(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    text.lines().any(|l| {
        let l = l.trim_start_matches("- ").trim();
        l.starts_with("spdxVersion:")
            || l.starts_with("\"spdxVersion\":")
            || l.starts_with("bomFormat:")
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Tag-value documents open with `SPDXVersion:` (after comments and blank lines).
fn is_tag_value(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(64 * 1024)]);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(|l| l.starts_with("SPDXVersion:"))
}

fn detect_json(bytes: &[u8], start: usize, location: &str) -> Result<Detected, SbomError> {
    let keys = TopLevel::scan(bytes, start);
    if keys.spdx || keys.spdx_version.is_some() {
        return Ok(Detected::SpdxJson);
    }
    if keys.cdx {
        return Ok(Detected::CycloneDxJson {
            spec_version: keys.spec_version,
        });
    }
    if keys.json_ld {
        return Err(SbomError::Unsupported {
            location: location.to_string(),
            detail: "JSON-LD (SPDX 3) is not supported; SPDX 2.2 and 2.3 are".into(),
        });
    }
    Err(SbomError::UnknownFormat {
        location: location.to_string(),
        detail: format!(
            "a JSON object without `bomFormat`/`specVersion` (CycloneDX) or `spdxVersion` (SPDX){}",
            if keys.complete {
                String::new()
            } else {
                " before it ends or breaks off".into()
            }
        ),
    })
}

/// What the top-level keys of a JSON object say, read by a byte scanner that
/// skips nested values without building them (so detection costs one fast
/// pass at most, and usually a few bytes: `bomFormat` comes first).
#[derive(Default)]
struct TopLevel {
    cdx: bool,
    spdx: bool,
    json_ld: bool,
    spec_version: Option<String>,
    spdx_version: Option<String>,
    /// The object was scanned to its closing brace.
    complete: bool,
}

impl TopLevel {
    fn scan(b: &[u8], start: usize) -> TopLevel {
        let mut out = TopLevel::default();
        let mut i = start + 1;
        loop {
            i = skip_ws(b, i);
            match b.get(i) {
                Some(b'}') => {
                    out.complete = true;
                    return out;
                }
                Some(b',') => {
                    i += 1;
                    continue;
                }
                Some(b'"') => {}
                _ => return out,
            }
            let Some((key, after)) = string(b, i) else {
                return out;
            };
            i = skip_ws(b, after);
            if b.get(i) != Some(&b':') {
                return out;
            }
            i = skip_ws(b, i + 1);
            let value = if b.get(i) == Some(&b'"') {
                string(b, i).map(|(s, end)| {
                    i = end;
                    s
                })
            } else {
                match skip_value(b, i) {
                    Some(end) => i = end,
                    None => return out,
                }
                None
            };
            match key.as_str() {
                "bomFormat" => out.cdx = true,
                "specVersion" => {
                    out.cdx = true;
                    out.spec_version = value;
                }
                "spdxVersion" => out.spdx_version = value,
                "SPDXID" | "documentNamespace" => out.spdx = true,
                "@context" => out.json_ld = true,
                _ => {}
            }
            if out.spdx || out.spdx_version.is_some() || (out.cdx && out.spec_version.is_some()) {
                return out;
            }
        }
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// A JSON string starting at `b[i] == '"'`: its value (escapes resolved only
/// as far as detection needs: keys and versions are plain ASCII) and the
/// index after the closing quote.
fn string(b: &[u8], i: usize) -> Option<(String, usize)> {
    let mut j = i + 1;
    let mut out = Vec::new();
    loop {
        match *b.get(j)? {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), j + 1)),
            b'\\' => {
                out.push(*b.get(j + 1)?);
                j += 2;
            }
            c => {
                out.push(c);
                j += 1;
            }
        }
    }
}

/// Index after the JSON value at `i` (not a string), skipping nested
/// containers by counting brackets outside strings.
fn skip_value(b: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *b.get(i)? {
            b'"' => {
                i = string_end(b, i)?;
                if depth == 0 {
                    return Some(i);
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    return Some(i);
                }
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b',' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
}

fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match *b.get(j)? {
            b'"' => return Some(j + 1),
            b'\\' => j += 2,
            _ => j += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(s: &str) -> Result<&'static str, String> {
        detect(s.as_bytes(), "t")
            .map(|d| match d {
                Detected::CycloneDxJson { .. } => "cdx-json",
                Detected::CycloneDxXml => "cdx-xml",
                Detected::SpdxJson => "spdx-json",
                Detected::SpdxTagValue => "spdx-tv",
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn detects_each_format_from_content() {
        assert_eq!(
            kind(r#"{"bomFormat":"CycloneDX","specVersion":"1.5"}"#).unwrap(),
            "cdx-json"
        );
        // Keys in any order, nested values skipped.
        assert_eq!(
            kind(r#" {"components":[{"a":"}"}],"x":{"y":[1,{"z":"]"}]},"specVersion":"1.4"}"#)
                .unwrap(),
            "cdx-json"
        );
        assert_eq!(
            kind(r#"{"SPDXID":"SPDXRef-DOCUMENT"}"#).unwrap(),
            "spdx-json"
        );
        assert_eq!(
            kind("<?xml version=\"1.0\"?>\n<!-- c --><bom xmlns=\"x\"/>").unwrap(),
            "cdx-xml"
        );
        assert_eq!(kind("<c:bom xmlns:c=\"x\"/>").unwrap(), "cdx-xml");
        assert_eq!(
            kind("# comment\n\nSPDXVersion: SPDX-2.3\n").unwrap(),
            "spdx-tv"
        );
    }

    #[test]
    fn unknown_content_names_the_file() {
        let e = kind("{\"name\": \"x\"}").unwrap_err();
        assert!(e.starts_with("t: not a recognised SBOM"), "{e}");
        let e = kind("<html></html>").unwrap_err();
        assert!(e.contains("<html>"), "{e}");
        let e = kind("   ").unwrap_err();
        assert!(e.contains("empty"), "{e}");
        let e = kind("<rdf:RDF/>").unwrap_err();
        assert!(e.contains("RDF/XML is not supported"), "{e}");
        let e = kind("---\nSPDXID: x\nspdxVersion: SPDX-2.3\n").unwrap_err();
        assert!(e.contains("YAML are not supported"), "{e}");
        let e = kind("<Document><spdxVersion>SPDX-2.3</spdxVersion></Document>").unwrap_err();
        assert!(e.contains("SPDX XML is not supported"), "{e}");
        let e = kind("hello").unwrap_err();
        assert!(e.contains("\"hello\""), "{e}");
    }
}
