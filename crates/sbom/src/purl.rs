//! Package URL parsing, as far as matching needs: the type (ecosystem) and
//! the namespace (Maven groupId, npm scope, distro), percent-decoded.

/// The parts of a package URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    /// The type, lower case (`maven`, `npm`, `deb`).
    pub ecosystem: String,
    /// Namespace segments joined with `/`, each percent-decoded; `None` when absent.
    pub namespace: Option<String>,
    /// The name, percent-decoded.
    pub name: String,
    /// The version, percent-decoded.
    pub version: Option<String>,
}

/// Parses `pkg:type/namespace/name@version?qualifiers#subpath`; `None` when
/// the string is not a package URL (no `pkg:` scheme, no type or no name).
///
/// Non-canonical forms seen in real SBOMs are accepted: an upper-case scheme
/// or type, `pkg://`, and an unencoded npm scope (`pkg:npm/@angular/core@1.0`).
pub fn parse_purl(s: &str) -> Option<Purl> {
    let raw = split(s)?;
    let mut parts: Vec<String> = raw
        .path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(decode)
        .collect();
    let name = parts.pop()?;
    Some(Purl {
        ecosystem: raw.ecosystem.to_ascii_lowercase(),
        namespace: (!parts.is_empty()).then(|| parts.join("/")),
        name,
        version: raw.version.map(decode).filter(|v| !v.is_empty()),
    })
}

/// Just the ecosystem and namespace, allocating only those two: what every
/// component record needs, on the hot path of a 100k-component SBOM.
pub(crate) fn ecosystem_namespace(s: &str) -> Option<(String, Option<String>)> {
    let raw = split(s)?;
    let namespace = raw
        .path
        .rsplit_once('/')
        .map(|(ns, _)| ns.trim_matches('/'));
    Some((
        raw.ecosystem.to_ascii_lowercase(),
        namespace
            .filter(|ns| !ns.is_empty())
            .map(|ns| {
                if ns.contains("//") {
                    ns.split('/')
                        .filter(|p| !p.is_empty())
                        .collect::<Vec<_>>()
                        .join("/")
                } else {
                    ns.to_string()
                }
            })
            .map(|ns| decode(&ns)),
    ))
}

/// A package URL cut into borrowed parts, nothing decoded.
struct Raw<'a> {
    ecosystem: &'a str,
    /// `namespace/…/name`, without the type.
    path: &'a str,
    version: Option<&'a str>,
}

fn split(s: &str) -> Option<Raw<'_>> {
    let rest = s.trim();
    let scheme = rest.get(..4)?;
    if !scheme.eq_ignore_ascii_case("pkg:") {
        return None;
    }
    let rest = rest[4..].trim_start_matches('/');
    let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
    let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
    let rest = rest.trim_end_matches('/');
    // The version follows the last `@` after the last `/`: an `@` that opens a
    // segment is an npm scope.
    let last_slash = rest.rfind('/');
    let (rest, version) = match rest.rfind('@') {
        Some(at) if last_slash.is_none_or(|s| at > s) && at > 0 => {
            (&rest[..at], Some(&rest[at + 1..]))
        }
        _ => (rest, None),
    };
    let (ecosystem, path) = rest.split_once('/')?;
    let path = path.trim_start_matches('/');
    let name = path.rsplit('/').next().unwrap_or("");
    (!ecosystem.is_empty() && !name.is_empty()).then_some(Raw {
        ecosystem,
        path,
        version,
    })
}

/// Percent-decoding that keeps malformed escapes as written and replaces
/// invalid UTF-8, so a hostile purl never fails the document.
pub(crate) fn decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> (String, Option<String>, String, Option<String>) {
        let p = parse_purl(s).unwrap_or_else(|| panic!("{s}"));
        (p.ecosystem, p.namespace, p.name, p.version)
    }

    #[test]
    fn parses_canonical_and_sloppy_purls() {
        assert_eq!(
            p("pkg:maven/com.huawei.hms/push@6.1.0.300?type=aar"),
            (
                "maven".into(),
                Some("com.huawei.hms".into()),
                "push".into(),
                Some("6.1.0.300".into())
            )
        );
        assert_eq!(
            p("pkg:npm/%40angular/core@16.0.0"),
            (
                "npm".into(),
                Some("@angular".into()),
                "core".into(),
                Some("16.0.0".into())
            )
        );
        assert_eq!(
            p("pkg:npm/@angular/core"),
            ("npm".into(), Some("@angular".into()), "core".into(), None)
        );
        assert_eq!(
            p("PKG:Deb/debian/kesl@12.0?arch=amd64#usr/bin"),
            (
                "deb".into(),
                Some("debian".into()),
                "kesl".into(),
                Some("12.0".into())
            )
        );
        assert_eq!(
            p("pkg://golang/github.com/a%20b/c@v1"),
            (
                "golang".into(),
                Some("github.com/a b".into()),
                "c".into(),
                Some("v1".into())
            )
        );
        assert_eq!(p("pkg:generic/openssl").1, None);
    }

    #[test]
    fn the_fast_path_agrees_with_the_full_parse() {
        for s in [
            "pkg:maven/com.huawei.hms/push@6.1.0.300?type=aar",
            "pkg:npm/%40angular/core@16.0.0",
            "pkg:npm/@angular/core",
            "PKG:Deb/debian/kesl@12.0?arch=amd64#usr/bin",
            "pkg://golang/github.com//a%20b/c@v1",
            "pkg:generic/openssl",
            "pkg:npm/a%zz/b%/c%e2%28",
            "pkg:",
            "pkg:npm",
            "pkg:npm/",
            "cpe:/a",
        ] {
            let full = parse_purl(s).map(|p| (p.ecosystem, p.namespace));
            assert_eq!(ecosystem_namespace(s), full, "{s}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_purl_and_survives_bad_escapes() {
        assert_eq!(parse_purl("cpe:/a:x:y"), None);
        assert_eq!(parse_purl("pkg:"), None);
        assert_eq!(parse_purl("pkg:npm"), None);
        assert_eq!(parse_purl("pk"), None);
        assert_eq!(p("pkg:npm/a%zz/b%/c%e2%28").1.as_deref(), Some("a%zz/b%"));
        assert_eq!(decode("%e2%28"), "\u{FFFD}(");
        // Multi-byte text before the scheme cut must not panic.
        assert_eq!(parse_purl("ключ"), None);
    }
}
