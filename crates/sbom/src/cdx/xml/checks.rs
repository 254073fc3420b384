//! The checks on element trees: one component's own children, a pedigree,
//! and the smaller sections (`services`, `properties`, `citations`). The
//! walker in `mod.rs` decides what becomes a tree; everything here is a rule.

use super::El;
use crate::cdx::{Builder, CompFields, Role, Violations};
use crate::error::SbomError;
use crate::rules::{self, xml_elements, Spec};

/// The rule context for element trees.
pub(super) struct Ck<'v> {
    spec: Spec,
    pub(super) v: &'v mut Violations,
}

impl<'v> Ck<'v> {
    pub(super) fn new(spec: Spec, v: &'v mut Violations) -> Self {
        Ck { spec, v }
    }

    fn unknown_children(&mut self, el: &El, ptr: &str, allowed: &[&str]) {
        for c in el.children.iter().filter(|c| c.cdx) {
            if !allowed.contains(&c.name.as_str()) {
                self.v.push(
                    format!("{ptr}/{}", c.name),
                    format!(
                        "unknown element <{}> in <{}>",
                        rules::clip(&c.name),
                        el.name
                    ),
                );
            }
        }
    }

    fn enum_attr(
        &mut self,
        el: &El,
        attr: &str,
        ptr: &str,
        what: &str,
        allowed: &[&str],
        required: bool,
    ) {
        match el.attr(attr) {
            Some(v) => {
                if let Some(m) = rules::one_of(what, v.trim(), allowed) {
                    self.v.push(format!("{ptr}/@{attr}"), m);
                }
            }
            None if required => self.v.push(ptr, format!("{what} is required")),
            None => {}
        }
    }
}

/// XSD `xs:boolean`.
pub(super) fn boolean(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Children of a component that may appear once (the XSD's default
/// `maxOccurs`); identifiers such as `omniborId` and `swhid` may repeat.
const ONCE: &[&str] = &[
    "name",
    "version",
    "group",
    "purl",
    "publisher",
    "author",
    "authors",
    "scope",
    "supplier",
    "manufacturer",
    "hashes",
    "licenses",
    "swid",
    "pedigree",
    "versionRange",
    "cpe",
    "copyright",
    "description",
];

/// Reads and checks component `idx` from its element tree; components inside
/// it (a pedigree's, or nested in a pedigree component) become nodes too.
pub(super) fn component(
    el: &El,
    ptr: &str,
    idx: usize,
    b: &mut Builder,
    depth: usize,
) -> Result<CompFields, SbomError> {
    let spec = b.spec;
    let mut ck = Ck::new(spec, &mut b.violations);
    ck.unknown_children(el, ptr, xml_elements::COMPONENT);
    for name in ONCE {
        let n = el.count(name);
        if n > 1 {
            ck.v.push(
                ptr,
                format!("a component has {n} <{name}> elements; one is allowed"),
            );
        }
    }
    let is_external = match el.attr("isExternal") {
        Some(v) => {
            let parsed = boolean(v);
            if parsed.is_none() {
                ck.v.push(
                    format!("{ptr}/@isExternal"),
                    format!("isExternal must be true or false, got {:?}", rules::clip(v)),
                );
            }
            parsed
        }
        None => None,
    };
    let mut f = CompFields {
        ctype: el.attr("type").map(|t| t.trim().to_string()),
        name: el.child_value("name"),
        version: el.child_value("version"),
        group: el.child_value("group"),
        purl: el.child_value("purl"),
        bom_ref: el.attr("bom-ref").map(str::to_string),
        supplier: el.child("supplier").and_then(|s| s.child_value("name")),
        publisher: el.child_value("publisher"),
        manufacturer: el.child("manufacturer").and_then(|s| s.child_value("name")),
        authors: Vec::new(),
        scope: el.child_value("scope"),
        version_range: el.child_value("versionRange"),
        is_external,
    };
    f.authors.extend(el.child_value("author"));
    if let Some(a) = el.child("authors") {
        f.authors
            .extend(a.all("author").filter_map(|x| x.child_value("name")));
    }
    if let Some(h) = el.child("hashes") {
        hashes(h, &format!("{ptr}/hashes"), &mut ck);
    }
    if let Some(l) = el.child("licenses") {
        licenses(l, &format!("{ptr}/licenses"), &mut ck);
    }
    if let Some(p) = el.child("properties") {
        properties(p, &format!("{ptr}/properties"), &mut ck);
    }
    if let Some(s) = el.child("swid") {
        for a in ["tagId", "name"] {
            if s.attr(a).is_none() {
                ck.v.push(format!("{ptr}/swid"), format!("swid needs a {a} attribute"));
            }
        }
    }
    if let Some(r) = el.child("externalReferences") {
        for (i, reference) in r.all("reference").enumerate() {
            if let Some(h) = reference.child("hashes") {
                hashes(
                    h,
                    &format!("{ptr}/externalReferences/reference[{}]/hashes", i + 1),
                    &mut ck,
                );
            }
        }
    }
    if let Some(p) = el.child("pedigree") {
        pedigree(p, &format!("{ptr}/pedigree"), idx, b, depth)?;
    }
    // Only element trees (pedigree components) still hold nested components.
    if let Some(list) = el.child("components") {
        for (i, c) in list.all("component").enumerate() {
            let at = format!("{ptr}/components/component[{}]", i + 1);
            tree_component(c, &at, idx, Role::Listed, b, depth)?;
        }
    }
    Ok(f)
}

/// A component given as an element tree, made a node under `parent`.
pub(super) fn tree_component(
    el: &El,
    ptr: &str,
    parent: usize,
    role: Role,
    b: &mut Builder,
    depth: usize,
) -> Result<(), SbomError> {
    // Trees are already bounded by the element depth limit; this keeps the
    // recursion over them bounded on its own terms too.
    if depth >= b.limits.max_depth {
        return Err(SbomError::TooDeep {
            location: b.location.to_string(),
            pointer: ptr.to_string(),
            limit: b.limits.max_depth,
        });
    }
    let idx = b.reserve(Some(parent), role, || ptr.to_string())?;
    let f = component(el, ptr, idx, b, depth + 1)?;
    b.fill(idx, f, || ptr.to_string());
    Ok(())
}

pub(super) fn pedigree(
    el: &El,
    ptr: &str,
    idx: usize,
    b: &mut Builder,
    depth: usize,
) -> Result<(), SbomError> {
    for list in ["ancestors", "descendants", "variants"] {
        if let Some(l) = el.child(list) {
            for (i, c) in l.all("component").enumerate() {
                let at = format!("{ptr}/{list}/component[{}]", i + 1);
                tree_component(c, &at, idx, Role::Pedigree, b, depth)?;
            }
        }
    }
    let spec = b.spec;
    let mut ck = Ck::new(spec, &mut b.violations);
    if let Some(patches) = el.child("patches") {
        for (i, p) in patches.all("patch").enumerate() {
            let at = format!("{ptr}/patches/patch[{}]", i + 1);
            ck.enum_attr(p, "type", &at, "patch type", rules::PATCH_TYPES, true);
            if let Some(t) = p.child("diff").and_then(|d| d.child("text")) {
                ck.enum_attr(
                    t,
                    "encoding",
                    &format!("{at}/diff/text"),
                    "encoding",
                    rules::ENCODINGS,
                    false,
                );
            }
            if let Some(r) = p.child("resolves") {
                for (j, issue) in r.all("issue").enumerate() {
                    let iat = format!("{at}/resolves/issue[{}]", j + 1);
                    ck.enum_attr(issue, "type", &iat, "issue type", rules::ISSUE_TYPES, true);
                }
            }
        }
    }
    Ok(())
}

pub(super) fn hashes(el: &El, ptr: &str, ck: &mut Ck) {
    for (i, h) in el.all("hash").enumerate() {
        let at = format!("{ptr}/hash[{}]", i + 1);
        match h.attr("alg") {
            Some(alg) => {
                if let Some(m) = rules::hash_problem(alg.trim(), h.value()) {
                    ck.v.push(at, m);
                }
            }
            None => ck.v.push(at, "a hash needs an alg attribute"),
        }
    }
}

pub(super) fn licenses(el: &El, ptr: &str, ck: &mut Ck) {
    ck.unknown_children(el, ptr, xml_elements::LICENSES);
    let entries: Vec<&El> = el.children.iter().filter(|c| c.cdx).collect();
    let expressions = entries.iter().filter(|c| c.name != "license").count();
    // Before 1.7 the XSD offers licenses or one expression, never a mix.
    if !ck.spec.at_least(7) && expressions > 0 && entries.len() > 1 {
        ck.v.push(
            ptr,
            format!(
                "an SPDX expression must be the only child of <licenses> before CycloneDX 1.7, got {} children",
                entries.len()
            ),
        );
    }
    for (i, l) in el.all("license").enumerate() {
        let at = format!("{ptr}/license[{}]", i + 1);
        license(l, &at, ck);
    }
    for (i, x) in el.all("expression").enumerate() {
        ck.enum_attr(
            x,
            "acknowledgement",
            &format!("{ptr}/expression[{}]", i + 1),
            "license acknowledgement",
            rules::ACKNOWLEDGEMENTS,
            false,
        );
    }
}

pub(super) fn license(el: &El, ptr: &str, ck: &mut Ck) {
    ck.unknown_children(el, ptr, xml_elements::LICENSE);
    let (ids, names) = (el.count("id"), el.count("name"));
    for (n, what) in [(ids, "id"), (names, "name")] {
        if n > 1 {
            ck.v.push(
                ptr,
                format!("a license has {n} <{what}> elements; one is allowed"),
            );
        }
    }
    match (ids, names) {
        (0, 0) => ck.v.push(ptr, "a license needs an id or a name"),
        (1.., 1..) => {
            ck.v.push(ptr, "a license has either an id or a name, not both")
        }
        _ => {}
    }
    for id in el.all("id") {
        if !rules::license_id_known(id.value()) {
            ck.v.push(
                format!("{ptr}/id"),
                format!(
                    "license id {:?} is not an SPDX license identifier",
                    rules::clip(id.value())
                ),
            );
        }
    }
    if let Some(t) = el.child("text") {
        ck.enum_attr(
            t,
            "encoding",
            &format!("{ptr}/text"),
            "encoding",
            rules::ENCODINGS,
            false,
        );
    }
    if let Some(p) = el.child("properties") {
        properties(p, &format!("{ptr}/properties"), ck);
    }
    ck.enum_attr(
        el,
        "acknowledgement",
        ptr,
        "license acknowledgement",
        rules::ACKNOWLEDGEMENTS,
        false,
    );
}

pub(super) fn properties(el: &El, ptr: &str, ck: &mut Ck) {
    for (i, p) in el.all("property").enumerate() {
        if p.attr("name").is_none() {
            ck.v.push(
                format!("{ptr}/property[{}]", i + 1),
                "a property needs a name attribute",
            );
        }
    }
}

pub(super) fn services(el: &El, ptr: &str, b: &mut Builder, depth: usize) {
    for (i, s) in el.all("service").enumerate() {
        let at = format!("{ptr}/service[{}]", i + 1);
        if s.child("name").is_none() {
            b.violations.push(&at, "a service needs a <name>");
        }
        if let Some(r) = s.attr("bom-ref") {
            b.add_service_ref(r, &at);
        }
        let spec = b.spec;
        let mut ck = Ck::new(spec, &mut b.violations);
        if let Some(d) = s.child("data") {
            // 1.5 added <dataflow> around classifications; check the flow
            // wherever it is given.
            let mut stack: Vec<&El> = d.children.iter().collect();
            while let Some(c) = stack.pop() {
                if c.cdx && c.attr("flow").is_some() {
                    ck.enum_attr(
                        c,
                        "flow",
                        &format!("{at}/data/{}", c.name),
                        "data flow",
                        rules::DATA_FLOWS,
                        true,
                    );
                }
                stack.extend(c.children.iter());
            }
        }
        if let Some(l) = s.child("licenses") {
            licenses(l, &format!("{at}/licenses"), &mut ck);
        }
        if let Some(p) = s.child("properties") {
            properties(p, &format!("{at}/properties"), &mut ck);
        }
        if let Some(n) = s.child("services") {
            if depth < 64 {
                services(n, &format!("{at}/services"), b, depth + 1);
            }
        }
    }
}

pub(super) fn citations(el: &El, ptr: &str, ck: &mut Ck) {
    for (i, c) in el.all("citation").enumerate() {
        let at = format!("{ptr}/citation[{}]", i + 1);
        match c.child("timestamp") {
            Some(t) => {
                if let Some(m) = rules::timestamp_problem(t.value(), false) {
                    ck.v.push(format!("{at}/timestamp"), m);
                }
            }
            None => ck.v.push(&at, "a citation needs a <timestamp>"),
        }
        match (c.count("pointers") > 0, c.count("expressions") > 0) {
            (true, true) => ck.v.push(
                &at,
                "a citation has either <pointers> or <expressions>, not both",
            ),
            (false, false) => {
                ck.v.push(&at, "a citation needs <pointers> or <expressions>")
            }
            _ => {}
        }
        let (by, process) = (c.count("attributedTo"), c.count("process"));
        if by == 0 && process == 0 {
            ck.v.push(&at, "a citation needs <attributedTo> or <process>");
        }
        for (n, what) in [(by, "attributedTo"), (process, "process")] {
            if n > 1 {
                ck.v.push(
                    &at,
                    format!("a citation has {n} <{what}> elements; one is allowed"),
                );
            }
        }
    }
}
