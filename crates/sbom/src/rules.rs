//! Rules of the CycloneDX specification that do not depend on the syntax:
//! enumerations, hash lengths, serial numbers, timestamps, SPDX license ids,
//! and the names each object may carry. Derived from the specification's own
//! JSON schemas and XSDs (1.1–1.7); where versions differ, the union is
//! allowed unless a rule says otherwise, so a reader never rejects a field a
//! later version added.

/// A CycloneDX `1.x` version, by its minor number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Spec(pub u8);

impl Spec {
    /// The newest version this crate knows, used when a document states none.
    pub(crate) const LATEST: Spec = Spec(7);

    pub(crate) fn parse(s: &str) -> Option<Spec> {
        let minor = s.trim().strip_prefix("1.")?;
        minor.parse::<u8>().ok().filter(|m| *m <= 7).map(Spec)
    }

    pub(crate) fn at_least(self, minor: u8) -> bool {
        self.0 >= minor
    }
}

pub(crate) const COMPONENT_TYPES: &[&str] = &[
    "application",
    "framework",
    "library",
    "container",
    "platform",
    "operating-system",
    "device",
    "device-driver",
    "firmware",
    "file",
    "machine-learning-model",
    "data",
    "cryptographic-asset",
];
pub(crate) const SCOPES: &[&str] = &["required", "optional", "excluded"];
pub(crate) const ISSUE_TYPES: &[&str] = &["defect", "enhancement", "security"];
pub(crate) const PATCH_TYPES: &[&str] = &["unofficial", "monkey", "backport", "cherry-pick"];
pub(crate) const DATA_FLOWS: &[&str] = &["inbound", "outbound", "bi-directional", "unknown"];
pub(crate) const ENCODINGS: &[&str] = &["base64"];
pub(crate) const ACKNOWLEDGEMENTS: &[&str] = &["declared", "concluded"];

/// Hash algorithms with their digest length in hex digits; BLAKE3 has no fixed length.
const HASH_ALGS: &[(&str, Option<usize>)] = &[
    ("MD5", Some(32)),
    ("SHA-1", Some(40)),
    ("SHA-256", Some(64)),
    ("SHA-384", Some(96)),
    ("SHA-512", Some(128)),
    ("SHA3-256", Some(64)),
    ("SHA3-384", Some(96)),
    ("SHA3-512", Some(128)),
    ("BLAKE2b-256", Some(64)),
    ("BLAKE2b-384", Some(96)),
    ("BLAKE2b-512", Some(128)),
    ("BLAKE3", None),
    ("Streebog-256", Some(64)),
    ("Streebog-512", Some(128)),
];

/// `None` when `value` is one of `allowed`, else what is wrong.
pub(crate) fn one_of(what: &str, value: &str, allowed: &[&str]) -> Option<String> {
    (!allowed.contains(&value))
        .then(|| format!("{what} {value:?} is not one of: {}", allowed.join(", ")))
}

/// What is wrong with a hash, if anything: an unknown algorithm, or content
/// that is not hex of the algorithm's length.
pub(crate) fn hash_problem(alg: &str, content: &str) -> Option<String> {
    let Some((_, len)) = HASH_ALGS.iter().find(|(a, _)| *a == alg) else {
        let names: Vec<&str> = HASH_ALGS.iter().map(|(a, _)| *a).collect();
        return one_of("hash algorithm", alg, &names);
    };
    let non_hex = content.chars().find(|c| !c.is_ascii_hexdigit());
    match (len, non_hex) {
        (_, Some(c)) => Some(format!(
            "{alg} hash must be hex digits, got {c:?} in {:?}",
            clip(content)
        )),
        (Some(n), None) if content.len() != *n => Some(format!(
            "{alg} hash must be {n} hex digits, got {}",
            content.len()
        )),
        // The schema's pattern allows 32 to 128 digits in the fixed steps of
        // the other algorithms; BLAKE3 output is usually 64.
        (None, None) if ![32, 40, 64, 96, 128].contains(&content.len()) => Some(format!(
            "{alg} hash must be 32, 40, 64, 96 or 128 hex digits, got {}",
            content.len()
        )),
        _ => None,
    }
}

/// RFC 4122 URN, as the schema's pattern (lower-case hex).
pub(crate) fn serial_problem(s: &str) -> Option<String> {
    let ok = s.strip_prefix("urn:uuid:").is_some_and(|u| {
        let groups: Vec<&str> = u.split('-').collect();
        groups.len() == 5
            && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| {
                g.len() == n && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            })
    });
    (!ok).then(|| {
        format!(
            "serialNumber {:?} is not an RFC 4122 URN (urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, lower-case hex)",
            clip(s)
        )
    })
}

/// RFC 3339 date-time (JSON `format: date-time`). XML's `xs:dateTime` also
/// allows a missing offset, so `offset_required` is false there.
pub(crate) fn timestamp_problem(s: &str, offset_required: bool) -> Option<String> {
    if date_time_ok(s.as_bytes(), offset_required) {
        None
    } else {
        Some(format!(
            "timestamp {:?} is not an RFC 3339 date-time (YYYY-MM-DDThh:mm:ss{})",
            clip(s),
            if offset_required {
                "Z or ±hh:mm"
            } else {
                "[Z|±hh:mm]"
            }
        ))
    }
}

fn date_time_ok(b: &[u8], offset_required: bool) -> bool {
    fn num(b: &[u8], at: usize, len: usize) -> Option<u32> {
        let d = b.get(at..at + len)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0u32, |n, c| n * 10 + u32::from(c - b'0')))
    }
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    let (Some(_y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        num(b, 0, 4),
        num(b, 5, 2),
        num(b, 8, 2),
        num(b, 11, 2),
        num(b, 14, 2),
        num(b, 17, 2),
    ) else {
        return false;
    };
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return false;
    }
    if !((1..=12).contains(&mo) && (1..=31).contains(&d) && h <= 23 && mi <= 59 && s <= 60) {
        return false;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        i += digits;
    }
    match b.get(i) {
        None => !offset_required,
        Some(b'Z' | b'z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && num(b, i + 1, 2).is_some_and(|h| h <= 23)
                && sep(i + 3, b":")
                && num(b, i + 4, 2).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

/// Whether `id` is an SPDX license or exception identifier CycloneDX accepts.
pub(crate) fn license_id_known(id: &str) -> bool {
    crate::spdx_ids::IDS.binary_search(&id).is_ok()
}

/// Long values are cut in messages so one hostile field cannot blow up a report.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// JSON member names each object may carry (CycloneDX 1.4–1.7 JSON schemas,
/// which set `additionalProperties: false`; 1.2 and 1.3 did not, so their
/// documents are not checked for unknown names).
pub(crate) mod json_keys {
    pub(crate) const ROOT: &[&str] = &[
        "$schema",
        "annotations",
        "bomFormat",
        "citations",
        "components",
        "compositions",
        "declarations",
        "definitions",
        "dependencies",
        "externalReferences",
        "formulation",
        "metadata",
        "properties",
        "serialNumber",
        "services",
        "signature",
        "specVersion",
        "version",
        "vulnerabilities",
    ];
    pub(crate) const METADATA: &[&str] = &[
        "authors",
        "component",
        "distributionConstraints",
        "licenses",
        "lifecycles",
        "manufacture",
        "manufacturer",
        "properties",
        "supplier",
        "timestamp",
        "tools",
    ];
    pub(crate) const COMPONENT: &[&str] = &[
        "author",
        "authors",
        "bom-ref",
        "components",
        "copyright",
        "cpe",
        "cryptoProperties",
        "data",
        "description",
        "evidence",
        "externalReferences",
        "group",
        "hashes",
        "isExternal",
        "licenses",
        "manufacturer",
        "mime-type",
        "modelCard",
        "modified",
        "name",
        "omniborId",
        "patentAssertions",
        "pedigree",
        "properties",
        "publisher",
        "purl",
        "releaseNotes",
        "scope",
        "signature",
        "supplier",
        "swhid",
        "swid",
        "tags",
        "type",
        "version",
        "versionRange",
    ];
    pub(crate) const HASH: &[&str] = &["alg", "content"];
    pub(crate) const LICENSE: &[&str] = &[
        "acknowledgement",
        "bom-ref",
        "id",
        "licensing",
        "name",
        "properties",
        "text",
        "url",
    ];
    pub(crate) const LICENSE_CHOICE: &[&str] = &[
        "license",
        "expression",
        "acknowledgement",
        "bom-ref",
        "expressionDetails",
        "licensing",
        "properties",
    ];
    pub(crate) const PROPERTY: &[&str] = &["name", "value"];
    pub(crate) const DEPENDENCY: &[&str] = &["dependsOn", "provides", "ref"];
    pub(crate) const SWID: &[&str] = &[
        "name",
        "patch",
        "tagId",
        "tagVersion",
        "text",
        "url",
        "version",
    ];
    pub(crate) const SERVICE: &[&str] = &[
        "authenticated",
        "bom-ref",
        "data",
        "description",
        "endpoints",
        "externalReferences",
        "group",
        "licenses",
        "name",
        "patentAssertions",
        "properties",
        "provider",
        "releaseNotes",
        "services",
        "signature",
        "tags",
        "trustZone",
        "version",
        "x-trust-boundary",
    ];
    pub(crate) const SERVICE_DATA: &[&str] = &[
        "classification",
        "description",
        "destination",
        "flow",
        "governance",
        "name",
        "source",
    ];
    pub(crate) const ISSUE: &[&str] =
        &["description", "id", "name", "references", "source", "type"];
    pub(crate) const PATCH: &[&str] = &["diff", "resolves", "type"];
    pub(crate) const ATTACHMENT: &[&str] = &["content", "contentType", "encoding"];
    pub(crate) const CITATION: &[&str] = &[
        "attributedTo",
        "bom-ref",
        "expressions",
        "note",
        "pointers",
        "process",
        "signature",
        "timestamp",
    ];
}

/// CycloneDX-namespace child elements each XML element may carry (XSDs
/// 1.1–1.7; elements of other namespaces are extensions and always allowed).
pub(crate) mod xml_elements {
    pub(crate) const BOM: &[&str] = &[
        "annotations",
        "citations",
        "components",
        "compositions",
        "declarations",
        "definitions",
        "dependencies",
        "externalReferences",
        "formulation",
        "metadata",
        "properties",
        "services",
        "vulnerabilities",
    ];
    /// The same names as the JSON members.
    pub(crate) const METADATA: &[&str] = super::json_keys::METADATA;
    pub(crate) const COMPONENT: &[&str] = &[
        "author",
        "authors",
        "components",
        "copyright",
        "cpe",
        "cryptoProperties",
        "data",
        "description",
        "evidence",
        "externalReferences",
        "group",
        "hashes",
        "licenses",
        "manufacturer",
        "modelCard",
        "modified",
        "name",
        "omniborId",
        "patentAssertions",
        "pedigree",
        "properties",
        "publisher",
        "purl",
        "releaseNotes",
        "scope",
        "supplier",
        "swhid",
        "swid",
        "tags",
        "version",
        "versionRange",
    ];
    pub(crate) const LICENSE: &[&str] = &["id", "licensing", "name", "properties", "text", "url"];
    pub(crate) const LICENSES: &[&str] = &["expression", "expression-detailed", "license"];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_lengths_follow_the_algorithm() {
        assert_eq!(
            hash_problem("MD5", "3942447fac867ae5cdb3229b658f4d48"),
            None
        );
        assert_eq!(
            hash_problem("MD5", "3942447fac867ae5cdb3229b658f4d4").as_deref(),
            Some("MD5 hash must be 32 hex digits, got 31")
        );
        assert!(hash_problem("SHA-256", "foo")
            .unwrap()
            .contains("hex digits, got 'o'"));
        assert!(hash_problem("FOO", "00")
            .unwrap()
            .starts_with("hash algorithm \"FOO\" is not one of: MD5"));
        assert_eq!(hash_problem("BLAKE3", &"a".repeat(64)), None);
        assert!(hash_problem("BLAKE3", &"a".repeat(10)).is_some());
    }

    #[test]
    fn serial_numbers_and_timestamps() {
        assert_eq!(
            serial_problem("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"),
            None
        );
        assert!(serial_problem("urn:uuid:3e671687-395b-41f5-a30f").is_some());
        assert!(serial_problem("urn:uuid:3E671687-395b-41f5-a30f-a58921a69b79").is_some());
        for ok in [
            "2020-04-13T20:20:39Z",
            "2020-04-13T20:20:39.123+02:00",
            "2021-02-09T20:40:32-05:00",
        ] {
            assert_eq!(timestamp_problem(ok, true), None, "{ok}");
        }
        assert!(timestamp_problem("2020-04-13", true).is_some());
        assert!(timestamp_problem("2020-04-13T20:20:39", true).is_some());
        assert_eq!(timestamp_problem("2020-04-13T20:20:39", false), None);
        assert!(timestamp_problem("2020-13-13T20:20:39Z", true).is_some());
        assert!(timestamp_problem("2020-04-13T20:20:39Zjunk", true).is_some());
        assert!(timestamp_problem("2020-04-13T20:20:39.Z", true).is_some());
        assert!(timestamp_problem("", false).is_some());
    }

    #[test]
    fn license_ids_and_specs() {
        assert!(license_id_known("Apache-2.0"));
        assert!(license_id_known("Classpath-exception-2.0"));
        assert!(!license_id_known("Apache-2"));
        assert!(!license_id_known("apache-2.0"));
        assert_eq!(Spec::parse("1.6"), Some(Spec(6)));
        assert_eq!(Spec::parse("2.0"), None);
        assert!(Spec::LATEST.at_least(7));
        assert_eq!(clip(&"é".repeat(100)).chars().count(), 41);
    }
}
