//! CSV: one row per finding, RFC 4180 quoting, for spreadsheets and tickets.

use crate::Report;

const HEADER: &[&str] = &[
    "host",
    "vendor",
    "product",
    "kind",
    "severity",
    "remnant",
    "summary",
    "evidence_source",
    "evidence_key",
    "indicator",
    "confidence",
    "authorities",
    "action",
    "finding_id",
];

pub fn render(r: &Report) -> String {
    let mut out = HEADER.join(",") + "\n";
    for f in &r.findings {
        let auth: Vec<&str> = f.authorities.iter().map(|a| a.id.as_str()).collect();
        let row = [
            r.host.hostname.as_str(),
            &f.vendor,
            &f.product,
            &f.kind,
            &f.severity,
            if f.remnant { "true" } else { "false" },
            &f.summary,
            &f.evidence.source,
            &f.evidence.key,
            &f.indicator,
            &f.confidence,
            &auth.join(";"),
            &f.action,
            &f.id,
        ];
        out.push_str(&row.iter().map(|c| quote(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// Quotes a field; a leading `=`, `+`, `-` or `@` is prefixed with `'` so a
/// hostile package name cannot become a spreadsheet formula.
fn quote(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting_and_formula_guard() {
        assert_eq!(super::quote("a,b"), "\"a,b\"");
        assert_eq!(super::quote("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(super::quote("=cmd()"), "'=cmd()");
    }
}
