//! Deb822-style stanzas (`Key: value`, continuation lines, blank-line separated),
//! shared by the dpkg and apk-adjacent formats.

/// One stanza: fields in file order, with the 1-based line it started on.
#[derive(Debug, Default)]
pub struct Stanza<'a> {
    /// Line number of the first field.
    pub line: usize,
    /// `(key, value)`; continuation lines are joined with `\n`.
    pub fields: Vec<(&'a str, String)>,
}

impl Stanza<'_> {
    /// First value of `key` (case-insensitive, as dpkg treats field names).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits text into stanzas. Malformed lines are reported by line number and
/// skipped; a last stanza without a trailing blank line is still returned
/// (Velociraptor's reader drops it; dpkg does not).
pub fn parse(text: &str) -> (Vec<Stanza<'_>>, Vec<String>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut cur = Stanza::default();
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        if line.trim().is_empty() {
            if !cur.fields.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match cur.fields.last_mut() {
                Some((_, v)) => {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                None => errors.push(format!("line {lineno}: continuation line outside a field")),
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v)) if !k.is_empty() && !k.contains(' ') => {
                if cur.fields.is_empty() {
                    cur.line = lineno;
                }
                cur.fields.push((k, v.trim().to_owned()));
            }
            _ => errors.push(format!("line {lineno}: not a `Field: value` line")),
        }
    }
    if !cur.fields.is_empty() {
        out.push(cur);
    }
    (out, errors)
}
