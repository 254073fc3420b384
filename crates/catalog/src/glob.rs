//! Shell-style globs, translated to anchored regexes.
//!
//! Catalog authors write `AVP.KES.*` or `klupd_*_arkmon.sys`; a regex would
//! make them escape every dot. `*` does not cross `/` in paths; `**` does.

/// Translates a glob to an anchored regex source.
pub fn to_regex(glob: &str, case_sensitive: bool) -> Result<String, String> {
    let mut out = String::from(if case_sensitive { "^" } else { "(?i)^" });
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push_str(".*");
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '[' => {
                let mut class = String::new();
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == ']' {
                        closed = true;
                        break;
                    }
                    class.push(d);
                }
                if !closed || class.is_empty() {
                    return Err(format!(
                        "unclosed or empty character class in glob `{glob}`"
                    ));
                }
                let class = class
                    .strip_prefix('!')
                    .map(|c| format!("^{c}"))
                    .unwrap_or(class);
                out.push('[');
                out.push_str(&class.replace('\\', "\\\\"));
                out.push(']');
            }
            c => out.push_str(&regex_escape(c)),
        }
    }
    out.push('$');
    Ok(out)
}

fn regex_escape(c: char) -> String {
    if "\\.+*?()|[]{}^$#&-~".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::to_regex;
    use regex::Regex;

    fn m(glob: &str, s: &str) -> bool {
        Regex::new(&to_regex(glob, false).unwrap())
            .unwrap()
            .is_match(s)
    }

    #[test]
    fn star_matches_within_a_component() {
        assert!(m("AVP.KES.*", "avp.kes.21.19"));
        assert!(!m("AVP.KES.*", "AVPxKES.21"));
        assert!(m("/opt/kaspersky/*", "/opt/kaspersky/kesl"));
        assert!(!m("/opt/kaspersky/*", "/opt/kaspersky/kesl/bin"));
        assert!(m("/opt/**", "/opt/kaspersky/kesl/bin"));
    }

    #[test]
    fn classes_and_negation() {
        assert!(m("kl[0-9].sys", "kl1.sys"));
        assert!(m("kl[!0-9].sys", "klx.sys"));
        assert!(!m("kl[!0-9].sys", "kl1.sys"));
        assert!(to_regex("kl[0-9", true).is_err());
    }
}
