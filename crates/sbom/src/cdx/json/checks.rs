//! The checks on a component's members and on the document's smaller
//! sections, over `serde_json::Value`s: every rule that needs a located
//! message lives here, so the streaming visitors in `mod.rs` stay about the
//! shape of the document.

use serde_json::{Map, Value};

use super::{type_name, St, P, STRINGS};
use crate::cdx::{CompFields, Role};
use crate::error::SbomError;
use crate::rules::{self, json_keys};

/// A string member of a component (`v` is the string, or what it was instead).
pub(super) fn string_member(
    f: &mut CompFields,
    key: &str,
    v: Result<String, &'static str>,
    p: &P,
    st: &mut St,
) {
    match v {
        Ok(s) => set_string(f, key, s),
        Err(t) => {
            let at = p.key(key).render();
            st.v().push(at, format!("{key} must be a string, got {t}"));
        }
    }
}

/// Stores one of the [`STRINGS`] members.
pub(super) fn set_string(f: &mut CompFields, key: &str, s: String) {
    let slot = match key {
        "type" => &mut f.ctype,
        "name" => &mut f.name,
        "version" => &mut f.version,
        "group" => &mut f.group,
        "purl" => &mut f.purl,
        "bom-ref" => &mut f.bom_ref,
        "publisher" => &mut f.publisher,
        "scope" => &mut f.scope,
        "versionRange" => &mut f.version_range,
        _ => {
            f.authors.push(s);
            return;
        }
    };
    *slot = Some(s);
}

/// Any other member of component `idx` that a rule reads.
pub(super) fn other_member(
    f: &mut CompFields,
    key: &str,
    v: &Value,
    p: &P,
    idx: usize,
    st: &mut St,
) {
    let at = p.key(key);
    match key {
        "supplier" => {
            f.supplier = org_name(v);
            org(v, &at, st);
        }
        "manufacturer" => {
            f.manufacturer = org_name(v);
            org(v, &at, st);
        }
        "authors" => {
            for (i, a) in array(v, &at, "authors", st).iter().enumerate() {
                let ai = at.index(i);
                if let Some(m) = object(a, &ai, "an author", st) {
                    if let Some(n) = m.get("name") {
                        f.authors.extend(string(n, &ai.key("name"), "name", st));
                    }
                }
            }
        }
        "isExternal" => match v {
            Value::Bool(b) => f.is_external = Some(*b),
            other => st.v().push(
                at.render(),
                format!("isExternal must be a boolean, got {}", type_name(other)),
            ),
        },
        "hashes" => hashes(v, &at, st),
        "licenses" => licenses(v, &at, st),
        "properties" => properties(v, &at, st),
        "swid" => swid(v, &at, st),
        "pedigree" => pedigree(v, &at, idx, st),
        "externalReferences" => external_references(v, &at, st),
        // Only components inside a pedigree arrive here with nested ones.
        "components" => {
            for (i, c) in array(v, &at, "components", st).iter().enumerate() {
                nested_component(c, &at.index(i), idx, Role::Listed, st);
            }
        }
        _ => {}
    }
}

/// A component given as a `Value` (in a pedigree, or nested in one), made a
/// node under `parent`. Limit errors are left in `st.err` for the streaming
/// caller to raise.
pub(super) fn nested_component(v: &Value, p: &P, parent: usize, role: Role, st: &mut St) {
    if st.err.is_some() {
        return;
    }
    if st.depth >= st.b.limits.max_depth {
        st.err = Some(SbomError::TooDeep {
            location: st.b.location.to_string(),
            pointer: p.render(),
            limit: st.b.limits.max_depth,
        });
        return;
    }
    let Value::Object(m) = v else {
        st.v().push(
            p.render(),
            format!("a component must be an object, got {}", type_name(v)),
        );
        return;
    };
    let idx = match st.b.reserve(Some(parent), role, || p.render()) {
        Ok(i) => i,
        Err(e) => {
            st.err = Some(e);
            return;
        }
    };
    st.depth += 1;
    let mut f = CompFields::default();
    for (k, v) in m {
        let k = k.as_str();
        if STRINGS.contains(&k) {
            let s = match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(type_name(other)),
            };
            string_member(&mut f, k, s, p, st);
        } else if json_keys::COMPONENT.contains(&k) {
            other_member(&mut f, k, v, p, idx, st);
        } else if st.strict() {
            st.v().push(
                p.key(k).render(),
                format!("unknown member {:?} of a component", rules::clip(k)),
            );
        }
    }
    st.depth -= 1;
    st.b.fill(idx, f, || p.render());
}

pub(super) fn string(v: &Value, p: &P, what: &str, st: &mut St) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        other => {
            st.v().push(
                p.render(),
                format!("{what} must be a string, got {}", type_name(other)),
            );
            None
        }
    }
}

pub(super) fn array<'v>(v: &'v Value, p: &P, what: &str, st: &mut St) -> &'v [Value] {
    match v {
        Value::Array(a) => a,
        other => {
            st.v().push(
                p.render(),
                format!("{what} must be an array, got {}", type_name(other)),
            );
            &[]
        }
    }
}

pub(super) fn object<'v>(
    v: &'v Value,
    p: &P,
    what: &str,
    st: &mut St,
) -> Option<&'v Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m),
        other => {
            st.v().push(
                p.render(),
                format!("{what} must be an object, got {}", type_name(other)),
            );
            None
        }
    }
}

/// Reports members not in `allowed` (1.4 and later).
pub(super) fn unknown_keys(
    m: &Map<String, Value>,
    p: &P,
    what: &str,
    allowed: &[&str],
    st: &mut St,
) {
    if !st.strict() {
        return;
    }
    for k in m.keys() {
        if !allowed.contains(&k.as_str()) {
            st.v().push(
                p.key(k).render(),
                format!("unknown member {:?} of {what}", rules::clip(k)),
            );
        }
    }
}

/// `name` of an organizational entity.
pub(super) fn org_name(v: &Value) -> Option<String> {
    v.get("name")?.as_str().map(str::to_string)
}

pub(super) fn org(v: &Value, p: &P, st: &mut St) {
    if let Some(m) = object(v, p, "an organizational entity", st) {
        if let Some(n) = m.get("name") {
            string(n, &p.key("name"), "name", st);
        }
    }
}

pub(super) fn hashes(v: &Value, p: &P, st: &mut St) {
    for (i, h) in array(v, p, "hashes", st).iter().enumerate() {
        let at = p.index(i);
        let Some(m) = object(h, &at, "a hash", st) else {
            continue;
        };
        unknown_keys(m, &at, "a hash", json_keys::HASH, st);
        let alg = m.get("alg").and_then(Value::as_str);
        let content = m.get("content").and_then(Value::as_str);
        match (alg, content) {
            (Some(a), Some(c)) => {
                if let Some(msg) = rules::hash_problem(a, c) {
                    st.v().push(at.render(), msg);
                }
            }
            _ => st
                .v()
                .push(at.render(), "a hash needs string alg and content"),
        }
    }
}

pub(super) fn licenses(v: &Value, p: &P, st: &mut St) {
    let entries = array(v, p, "licenses", st);
    let mut expressions = 0;
    for (i, e) in entries.iter().enumerate() {
        let at = p.index(i);
        let Some(m) = object(e, &at, "a license entry", st) else {
            continue;
        };
        unknown_keys(m, &at, "a license entry", json_keys::LICENSE_CHOICE, st);
        match (m.get("license"), m.get("expression")) {
            (Some(_), Some(_)) => st.v().push(
                at.render(),
                "a license entry holds either license or expression, not both",
            ),
            (None, None) => st
                .v()
                .push(at.render(), "a license entry needs license or expression"),
            (Some(l), None) => license(l, &at.key("license"), st),
            (None, Some(x)) => {
                expressions += 1;
                string(x, &at.key("expression"), "expression", st);
            }
        }
        if let Some(a) = m.get("acknowledgement") {
            acknowledgement(a, &at.key("acknowledgement"), st);
        }
    }
    // 1.5 and 1.6 allow either licenses or one expression; 1.7 allows a mix,
    // and 1.4 only constrained each entry.
    let spec = st.b.spec;
    if (5..=6).contains(&spec.0) && expressions > 0 && entries.len() > 1 {
        st.v().push(
            p.render(),
            format!(
                "an SPDX expression must be the only entry of licenses in CycloneDX 1.{}, got {} entries",
                spec.0,
                entries.len()
            ),
        );
    }
}

pub(super) fn acknowledgement(v: &Value, p: &P, st: &mut St) {
    if let Some(a) = string(v, p, "acknowledgement", st) {
        if let Some(m) = rules::one_of("license acknowledgement", &a, rules::ACKNOWLEDGEMENTS) {
            st.v().push(p.render(), m);
        }
    }
}

pub(super) fn license(v: &Value, p: &P, st: &mut St) {
    let Some(m) = object(v, p, "a license", st) else {
        return;
    };
    unknown_keys(m, p, "a license", json_keys::LICENSE, st);
    match (m.get("id"), m.get("name")) {
        (Some(_), Some(_)) => st
            .v()
            .push(p.render(), "a license has either an id or a name, not both"),
        (None, None) => st.v().push(p.render(), "a license needs an id or a name"),
        (Some(id), None) => {
            let at = p.key("id");
            if let Some(id) = string(id, &at, "license id", st) {
                if !rules::license_id_known(&id) {
                    st.v().push(
                        at.render(),
                        format!(
                            "license id {:?} is not an SPDX license identifier",
                            rules::clip(&id)
                        ),
                    );
                }
            }
        }
        (None, Some(n)) => {
            string(n, &p.key("name"), "license name", st);
        }
    }
    if let Some(t) = m.get("text") {
        attachment(t, &p.key("text"), st);
    }
    if let Some(props) = m.get("properties") {
        properties(props, &p.key("properties"), st);
    }
    if let Some(a) = m.get("acknowledgement") {
        acknowledgement(a, &p.key("acknowledgement"), st);
    }
}

pub(super) fn attachment(v: &Value, p: &P, st: &mut St) {
    let Some(m) = object(v, p, "an attachment", st) else {
        return;
    };
    unknown_keys(m, p, "an attachment", json_keys::ATTACHMENT, st);
    if !m.get("content").is_some_and(Value::is_string) {
        st.v()
            .push(p.render(), "an attachment needs string content");
    }
    if let Some(e) = m.get("encoding") {
        let at = p.key("encoding");
        if let Some(e) = string(e, &at, "encoding", st) {
            if let Some(msg) = rules::one_of("encoding", &e, rules::ENCODINGS) {
                st.v().push(at.render(), msg);
            }
        }
    }
}

pub(super) fn properties(v: &Value, p: &P, st: &mut St) {
    // Names became required, and other members forbidden, in 1.6.
    let strict = st.b.spec.at_least(6);
    for (i, prop) in array(v, p, "properties", st).iter().enumerate() {
        let at = p.index(i);
        let Some(m) = object(prop, &at, "a property", st) else {
            continue;
        };
        if strict {
            unknown_keys(m, &at, "a property", json_keys::PROPERTY, st);
            if !m.contains_key("name") {
                st.v().push(at.render(), "a property needs a name");
            }
        }
        for k in ["name", "value"] {
            if let Some(x) = m.get(k) {
                string(x, &at.key(k), k, st);
            }
        }
    }
}

pub(super) fn swid(v: &Value, p: &P, st: &mut St) {
    let Some(m) = object(v, p, "swid", st) else {
        return;
    };
    unknown_keys(m, p, "swid", json_keys::SWID, st);
    for k in ["tagId", "name"] {
        if !m.get(k).is_some_and(Value::is_string) {
            st.v().push(p.render(), format!("swid needs a string {k}"));
        }
    }
}

pub(super) fn pedigree(v: &Value, p: &P, idx: usize, st: &mut St) {
    let Some(m) = object(v, p, "pedigree", st) else {
        return;
    };
    for list in ["ancestors", "descendants", "variants"] {
        if let Some(l) = m.get(list) {
            let at = p.key(list);
            for (i, c) in array(l, &at, list, st).iter().enumerate() {
                nested_component(c, &at.index(i), idx, Role::Pedigree, st);
            }
        }
    }
    if let Some(patches) = m.get("patches") {
        let at = p.key("patches");
        for (i, patch) in array(patches, &at, "patches", st).iter().enumerate() {
            let pat = at.index(i);
            let Some(pm) = object(patch, &pat, "a patch", st) else {
                continue;
            };
            unknown_keys(pm, &pat, "a patch", json_keys::PATCH, st);
            enum_member(pm, "type", &pat, "patch type", rules::PATCH_TYPES, true, st);
            if let Some(text) = pm.get("diff").and_then(|d| d.get("text")) {
                let diff = pat.key("diff");
                attachment(text, &diff.key("text"), st);
            }
            if let Some(r) = pm.get("resolves") {
                let rat = pat.key("resolves");
                for (j, issue) in array(r, &rat, "resolves", st).iter().enumerate() {
                    let iat = rat.index(j);
                    let Some(im) = object(issue, &iat, "an issue", st) else {
                        continue;
                    };
                    unknown_keys(im, &iat, "an issue", json_keys::ISSUE, st);
                    enum_member(im, "type", &iat, "issue type", rules::ISSUE_TYPES, true, st);
                }
            }
        }
    }
}

/// Checks `m[key]` against an enumeration; `required` reports its absence.
pub(super) fn enum_member(
    m: &Map<String, Value>,
    key: &str,
    p: &P,
    what: &str,
    allowed: &[&str],
    required: bool,
    st: &mut St,
) {
    match m.get(key) {
        None if required => st.v().push(p.render(), format!("{what} is required")),
        None => {}
        Some(v) => {
            let at = p.key(key);
            if let Some(s) = string(v, &at, what, st) {
                if let Some(msg) = rules::one_of(what, &s, allowed) {
                    st.v().push(at.render(), msg);
                }
            }
        }
    }
}

pub(super) fn external_references(v: &Value, p: &P, st: &mut St) {
    for (i, r) in array(v, p, "externalReferences", st).iter().enumerate() {
        if let Some(h) = r.get("hashes") {
            let at = p.index(i);
            hashes(h, &at.key("hashes"), st);
        }
    }
}

pub(super) fn services(v: &Value, p: &P, st: &mut St) {
    for (i, s) in array(v, p, "services", st).iter().enumerate() {
        let at = p.index(i);
        let Some(m) = object(s, &at, "a service", st) else {
            continue;
        };
        unknown_keys(m, &at, "a service", json_keys::SERVICE, st);
        if !m.get("name").is_some_and(Value::is_string) {
            st.v().push(at.render(), "a service needs a string name");
        }
        if let Some(r) = m.get("bom-ref") {
            if let Some(r) = string(r, &at.key("bom-ref"), "bom-ref", st) {
                st.b.add_service_ref(&r, &at.render());
            }
        }
        if let Some(d) = m.get("data") {
            let dat = at.key("data");
            for (j, item) in array(d, &dat, "data", st).iter().enumerate() {
                let iat = dat.index(j);
                let Some(im) = object(item, &iat, "a data classification", st) else {
                    continue;
                };
                unknown_keys(
                    im,
                    &iat,
                    "a data classification",
                    json_keys::SERVICE_DATA,
                    st,
                );
                enum_member(im, "flow", &iat, "data flow", rules::DATA_FLOWS, true, st);
                if !im.contains_key("classification") {
                    st.v().push(iat.render(), "data classification is required");
                }
            }
        }
        if let Some(l) = m.get("licenses") {
            licenses(l, &at.key("licenses"), st);
        }
        if let Some(props) = m.get("properties") {
            properties(props, &at.key("properties"), st);
        }
        if let Some(n) = m.get("services") {
            if st.depth < st.b.limits.max_depth {
                st.depth += 1;
                services(n, &at.key("services"), st);
                st.depth -= 1;
            }
        }
    }
}

pub(super) fn citations(v: &Value, p: &P, st: &mut St) {
    for (i, c) in array(v, p, "citations", st).iter().enumerate() {
        let at = p.index(i);
        let Some(m) = object(c, &at, "a citation", st) else {
            continue;
        };
        unknown_keys(m, &at, "a citation", json_keys::CITATION, st);
        match m.get("timestamp").and_then(Value::as_str) {
            Some(t) => {
                if let Some(msg) = rules::timestamp_problem(t, true) {
                    st.v().push(at.key("timestamp").render(), msg);
                }
            }
            None => st.v().push(at.render(), "a citation needs a timestamp"),
        }
        match (m.contains_key("pointers"), m.contains_key("expressions")) {
            (true, true) => st.v().push(
                at.render(),
                "a citation has either pointers or expressions, not both",
            ),
            (false, false) => st
                .v()
                .push(at.render(), "a citation needs pointers or expressions"),
            _ => {}
        }
        if !m.contains_key("attributedTo") && !m.contains_key("process") {
            st.v()
                .push(at.render(), "a citation needs attributedTo or process");
        }
    }
}
