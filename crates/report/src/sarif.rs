//! SARIF 2.1.0: one rule per catalog indicator, one result per finding.
//! Levels map critical/high → error, medium → warning, low → note.

use serde_json::{json, Value};

use crate::Report;

pub fn render(r: &Report) -> Value {
    let mut rule_ids: Vec<&str> = r.findings.iter().map(|f| f.indicator.as_str()).collect();
    rule_ids.sort();
    rule_ids.dedup();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let f = r.findings.iter().find(|f| f.indicator == *id).expect("id came from findings");
            json!({
                "id": id,
                "name": f.product_name,
                "shortDescription": {"text": format!("{} ({})", f.product_name, f.vendor_name)},
                "help": {"text": f.action},
                "properties": {"confidence": f.confidence, "source": f.indicator_source, "kind": f.kind},
            })
        })
        .collect();
    let results: Vec<Value> = r
        .findings
        .iter()
        .map(|f| {
            let level = match f.severity.as_str() {
                "critical" | "high" => "error",
                "medium" => "warning",
                _ => "note",
            };
            json!({
                "ruleId": f.indicator,
                "ruleIndex": rule_ids.iter().position(|id| *id == f.indicator),
                "level": level,
                "message": {"text": format!("{}: {}", f.vendor_name, f.summary)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&f.evidence.source)}}}],
                "partialFingerprints": {"uprootFindingId": f.id},
                "properties": {
                    "vendor": f.vendor, "product": f.product, "severity": f.severity, "remnant": f.remnant,
                    "authorities": f.authorities.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
                },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "uproot",
                "version": r.tool.version,
                "informationUri": "https://github.com/uproot/uproot",
                "rules": rules,
            }},
            "properties": {"catalogVersion": r.catalog.version, "host": r.host.hostname},
            "results": results,
            "invocations": [{
                "executionSuccessful": r.errors.is_empty(),
                "toolExecutionNotifications": r.errors.iter().map(|e| json!({
                    "level": "error",
                    "message": {"text": e.message},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(&e.source)}}}],
                })).collect::<Vec<_>>(),
            }],
        }],
    })
}

fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    format!("file://{out}")
}
