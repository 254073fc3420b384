//! Product settings files the catalog names, such as KESL's `agreements.ini`
//! (KSN consent) or Scan Engine's `kavhttpd.xml` (`<UseKSN>`).
//!
//! Values are read as text, never interpreted beyond `key=value` lines and
//! leaf XML elements, because the point is to show an auditor what is set.

use uproot_inventory::Setting;

use crate::{CollectOptions, Collector, Output, Root};

/// The settings collector.
pub struct Settings;

impl Collector for Settings {
    fn name(&self) -> &'static str {
        "settings"
    }

    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output) {
        for path in &opts.setting_files {
            match root.read_limited(path, 4 << 20) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    let pairs = if path.ends_with(".xml") {
                        parse_xml_leaves(&text)
                    } else {
                        parse_ini(&text)
                    };
                    out.inventory
                        .settings
                        .extend(pairs.into_iter().map(|(key, value)| Setting {
                            key,
                            value,
                            location: path.clone(),
                        }));
                }
                Err(e) => out.error_unless_missing(e),
            }
        }
    }
}

/// `key=value` and `key = value` lines; `[sections]`, `#` and `;` comments skipped.
pub fn parse_ini(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', ';', '[']))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// `<Name>value</Name>` leaf elements.
pub fn parse_xml_leaves(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[..close];
        if tag.starts_with(['/', '?', '!']) || tag.ends_with('/') {
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or_default();
        let body = &rest[close + 1..];
        if let Some(end) = body.find('<') {
            if body[end..].starts_with(&format!("</{name}>")) && !name.is_empty() {
                out.push((name.to_owned(), body[..end].trim().to_owned()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ini_and_xml() {
        assert_eq!(
            super::parse_ini("[x]\nUSE_KSN = yes\n# c\n"),
            [("USE_KSN".to_owned(), "yes".to_owned())]
        );
        assert_eq!(
            super::parse_xml_leaves("<KSNSettings><UseKSN>1</UseKSN></KSNSettings>"),
            [("UseKSN".to_owned(), "1".to_owned())]
        );
    }
}
