//! CycloneDX XML: a bounded walker over quick-xml events. `<components>` and
//! `<dependencies>` are streamed; everything else is read into a small
//! element tree per component (its nested components excluded) or per
//! top-level section, and checked there. Element depth is bounded by
//! `Limits::max_depth` with an explicit stack, never by recursion on the input.
//! Elements of other namespaces are extensions (the XSDs allow them) and are
//! skipped; DOCTYPEs and entities other than XML's five are refused.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, XmlVersion};

mod checks;

use checks::{citations, component, licenses, properties, services, Ck};

use super::{Builder, Role, Violations};
use crate::error::{line_col, SbomError};
use crate::rules::{self, xml_elements, Spec};
use crate::{Document, Format, Limits};

const NAMESPACE_PREFIX: &str = "http://cyclonedx.org/schema/bom/";

pub(crate) fn parse(bytes: &[u8], location: &str, limits: &Limits) -> Result<Document, SbomError> {
    let mut r = NsReader::from_reader(bytes);
    let cfg = r.config_mut();
    cfg.expand_empty_elements = true;
    cfg.check_end_names = true;
    let mut x = X {
        r,
        bytes,
        depth: 0,
        ns: String::new(),
        path: String::new(),
        b: Builder::new(location, limits, Spec::LATEST),
    };
    let spec_version = x.bom()?;
    Ok(x.b.finish(Format::CycloneDxXml, spec_version))
}

/// An element start, with its local name and unprefixed attributes.
struct Head {
    name: String,
    /// In the document's CycloneDX namespace.
    cdx: bool,
    attrs: Vec<(String, String)>,
}

/// A small element tree.
struct El {
    name: String,
    cdx: bool,
    attrs: Vec<(String, String)>,
    children: Vec<El>,
    text: String,
}

impl From<Head> for El {
    fn from(h: Head) -> El {
        El {
            name: h.name,
            cdx: h.cdx,
            attrs: h.attrs,
            children: Vec::new(),
            text: String::new(),
        }
    }
}

impl El {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// CycloneDX children with this name.
    fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s El> + 's {
        self.children
            .iter()
            .filter(move |c| c.cdx && c.name == name)
    }
    fn child<'s>(&'s self, name: &str) -> Option<&'s El> {
        self.children.iter().find(|c| c.cdx && c.name == name)
    }
    fn count(&self, name: &str) -> usize {
        self.children
            .iter()
            .filter(|c| c.cdx && c.name == name)
            .count()
    }
    fn value(&self) -> &str {
        self.text.trim()
    }
    fn child_value(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.value().to_string())
    }
}

enum Ev<'i> {
    Start(Head),
    End,
    Text(Cow<'i, str>),
    Eof,
}

struct X<'a> {
    r: NsReader<&'a [u8]>,
    bytes: &'a [u8],
    depth: usize,
    /// The namespace of `<bom>`; elements in it are CycloneDX's.
    ns: String,
    /// Element path of what is being read, for violations.
    path: String,
    b: Builder<'a>,
}

impl<'a> X<'a> {
    fn err_at(&self, offset: u64, message: impl Into<String>) -> SbomError {
        let (line, column) = line_col(self.bytes, usize::try_from(offset).unwrap_or(usize::MAX));
        SbomError::Xml {
            location: self.b.location.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    fn err(&self, message: impl Into<String>) -> SbomError {
        self.err_at(self.r.buffer_position(), message)
    }

    fn v(&mut self) -> &mut Violations {
        &mut self.b.violations
    }

    fn next(&mut self) -> Result<Ev<'a>, SbomError> {
        loop {
            let (ns, ev) = match self.r.read_resolved_event() {
                Ok((ns, ev)) => (namespace(&ns), ev),
                Err(e) => return Err(self.err_at(self.r.error_position(), e.to_string())),
            };
            match ev {
                Event::Start(e) => {
                    self.depth += 1;
                    if self.depth > self.b.limits.max_depth {
                        return Err(SbomError::TooDeep {
                            location: self.b.location.to_string(),
                            pointer: format!("{}/{}", self.path, e.local_name().as_ref()),
                            limit: self.b.limits.max_depth,
                        });
                    }
                    let mut attrs = Vec::new();
                    for a in e.attributes() {
                        let a = a.map_err(|err| self.err(err.to_string()))?;
                        let key = a.key.0;
                        // Namespace declarations and extension attributes.
                        if key.starts_with("xmlns") || key.contains(':') {
                            continue;
                        }
                        let value = a
                            .normalized_value(XmlVersion::Implicit1_0)
                            .map_err(|err| self.err(err.to_string()))?;
                        attrs.push((key.to_string(), value.into_owned()));
                    }
                    if self.depth == 1 {
                        // The root's namespace is the document's.
                        self.ns = ns.clone().unwrap_or_default();
                    }
                    let cdx = match &ns {
                        Some(n) => *n == self.ns,
                        None => self.ns.is_empty(),
                    };
                    return Ok(Ev::Start(Head {
                        name: e.local_name().as_ref().to_string(),
                        cdx,
                        attrs,
                    }));
                }
                Event::End(_) => {
                    self.depth -= 1;
                    return Ok(Ev::End);
                }
                Event::Empty(_) => {
                    return Err(self.err("internal: empty element not expanded"));
                }
                Event::Text(t) => return Ok(Ev::Text(t.xml10_content())),
                Event::CData(t) => return Ok(Ev::Text(t.xml10_content())),
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => match r.as_ref() {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "apos" => '\'',
                            "quot" => '"',
                            other => {
                                return Err(self.err(format!(
                                "unknown entity &{};: only XML's predefined entities are allowed",
                                rules::clip(other)
                            )))
                            }
                        },
                        Err(e) => return Err(self.err(e.to_string())),
                    };
                    return Ok(Ev::Text(Cow::Owned(c.to_string())));
                }
                Event::DocType(_) => {
                    return Err(self.err("a DOCTYPE is not allowed in a CycloneDX document"))
                }
                Event::Eof => return Ok(Ev::Eof),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
    }

    fn truncated(&self, what: &str) -> SbomError {
        self.err(format!("the document ends inside {what}"))
    }

    /// Reads the rest of an element into a tree, with an explicit stack.
    fn read(&mut self, head: Head) -> Result<El, SbomError> {
        let mut stack = vec![El::from(head)];
        loop {
            match self.next()? {
                Ev::Start(h) => stack.push(El::from(h)),
                Ev::Text(t) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&t);
                    }
                }
                Ev::End => {
                    let Some(done) = stack.pop() else {
                        return Err(self.err("internal: unbalanced element stack"));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(done),
                        None => return Ok(done),
                    }
                }
                Ev::Eof => {
                    let name = stack.first().map_or("", |e| e.name.as_str()).to_string();
                    return Err(self.truncated(&format!("<{name}>")));
                }
            }
        }
    }

    /// Skips the rest of an element without keeping it.
    fn skip(&mut self) -> Result<(), SbomError> {
        let mut open = 1usize;
        loop {
            match self.next()? {
                Ev::Start(_) => open += 1,
                Ev::End => {
                    open -= 1;
                    if open == 0 {
                        return Ok(());
                    }
                }
                Ev::Text(_) => {}
                Ev::Eof => return Err(self.truncated("an element")),
            }
        }
    }

    fn push(&mut self, seg: &str, index: Option<usize>) -> usize {
        let base = self.path.len();
        self.path.push('/');
        self.path.push_str(seg);
        if let Some(i) = index {
            self.path.push_str(&format!("[{i}]"));
        }
        base
    }

    /// The root element; returns the spec version from its namespace.
    fn bom(&mut self) -> Result<String, SbomError> {
        let head = loop {
            match self.next()? {
                Ev::Start(h) => break h,
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) => return Err(self.err("text before the root element")),
                Ev::End | Ev::Eof => return Err(self.err("no root element")),
            }
        };
        self.path.push_str("/bom");
        let spec_version = self.root_namespace();
        for (k, v) in &head.attrs {
            let problem = match k.as_str() {
                "serialNumber" => rules::serial_problem(v),
                "version" if v.trim().parse::<u64>().is_ok_and(|n| n >= 1) => None,
                "version" => Some(format!(
                    "version must be an integer of at least 1, got {:?}",
                    rules::clip(v)
                )),
                _ => None,
            };
            if let Some(m) = problem {
                let p = format!("{}/@{k}", self.path);
                self.v().push(p, m);
            }
        }
        loop {
            match self.next()? {
                Ev::Start(h) => self.bom_child(h)?,
                Ev::Text(_) => {}
                Ev::End => break,
                Ev::Eof => return Err(self.truncated("<bom>")),
            }
        }
        loop {
            match self.next()? {
                Ev::Eof => break,
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Start(_) | Ev::Text(_) | Ev::End => {
                    return Err(self.err("content after the root element"))
                }
            }
        }
        Ok(spec_version)
    }

    fn root_namespace(&mut self) -> String {
        let ns = self.ns.clone();
        let version = ns.strip_prefix(NAMESPACE_PREFIX).and_then(Spec::parse);
        match version {
            Some(spec) => {
                self.b.spec = spec;
                ns[NAMESPACE_PREFIX.len()..].to_string()
            }
            None => {
                let p = self.path.clone();
                self.v().push(
                    p,
                    format!(
                        "namespace {:?} is not a CycloneDX namespace ({NAMESPACE_PREFIX}1.0 to 1.7)",
                        rules::clip(&ns)
                    ),
                );
                String::new()
            }
        }
    }
}

/// The namespace an element resolved to, if bound.
fn namespace(ns: &ResolveResult) -> Option<String> {
    match ns {
        ResolveResult::Bound(Namespace(n)) => Some((*n).to_string()),
        _ => None,
    }
}

impl<'a> X<'a> {
    fn bom_child(&mut self, h: Head) -> Result<(), SbomError> {
        if !h.cdx {
            return self.skip();
        }
        match h.name.as_str() {
            "metadata" => {
                let base = self.push("metadata", None);
                self.metadata()?;
                self.path.truncate(base);
            }
            "components" => self.components(None)?,
            "dependencies" => {
                let base = self.push("dependencies", None);
                self.dependencies()?;
                self.path.truncate(base);
            }
            "services" | "properties" | "citations" => {
                let el = self.read(h)?;
                let ptr = format!("{}/{}", self.path, el.name);
                let spec = self.b.spec;
                match el.name.as_str() {
                    "services" => services(&el, &ptr, &mut self.b, 0),
                    "properties" => {
                        properties(&el, &ptr, &mut Ck::new(spec, &mut self.b.violations))
                    }
                    _ => citations(&el, &ptr, &mut Ck::new(spec, &mut self.b.violations)),
                }
            }
            other => {
                if !xml_elements::BOM.contains(&other) {
                    let p = format!("{}/{other}", self.path);
                    self.v().push(
                        p,
                        format!("unknown element <{}> in <bom>", rules::clip(other)),
                    );
                }
                self.skip()?;
            }
        }
        Ok(())
    }

    fn metadata(&mut self) -> Result<(), SbomError> {
        loop {
            let h = match self.next()? {
                Ev::Start(h) => h,
                Ev::Text(_) => continue,
                Ev::End => return Ok(()),
                Ev::Eof => return Err(self.truncated("<metadata>")),
            };
            if !h.cdx {
                self.skip()?;
                continue;
            }
            match h.name.as_str() {
                "component" => {
                    let base = self.push("component", None);
                    self.component(h, None, Role::Subject)?;
                    self.path.truncate(base);
                }
                "timestamp" | "licenses" | "properties" | "supplier" | "manufacturer"
                | "manufacture" => {
                    let el = self.read(h)?;
                    let ptr = format!("{}/{}", self.path, el.name);
                    let spec = self.b.spec;
                    let mut ck = Ck::new(spec, &mut self.b.violations);
                    match el.name.as_str() {
                        "timestamp" => {
                            if let Some(m) = rules::timestamp_problem(el.value(), false) {
                                ck.v.push(ptr, m);
                            }
                        }
                        "licenses" => licenses(&el, &ptr, &mut ck),
                        "properties" => properties(&el, &ptr, &mut ck),
                        "supplier" => self.b.meta_supplier = el.child_value("name"),
                        "manufacturer" => {
                            self.b.meta_manufacturer =
                                el.child_value("name").or(self.b.meta_manufacturer.take());
                        }
                        _ => {
                            if self.b.meta_manufacturer.is_none() {
                                self.b.meta_manufacturer = el.child_value("name");
                            }
                        }
                    }
                }
                other => {
                    if !xml_elements::METADATA.contains(&other) {
                        let p = format!("{}/{other}", self.path);
                        self.v().push(
                            p,
                            format!("unknown element <{}> in <metadata>", rules::clip(other)),
                        );
                    }
                    self.skip()?;
                }
            }
        }
    }

    /// A `<components>` list, streamed: `path` is its parent's.
    fn components(&mut self, parent: Option<usize>) -> Result<(), SbomError> {
        let base = self.push("components", None);
        let mut i = 0usize;
        loop {
            match self.next()? {
                Ev::Start(h) if h.cdx && h.name == "component" => {
                    i += 1;
                    let item = self.push("component", Some(i));
                    self.component(h, parent, Role::Listed)?;
                    self.path.truncate(item);
                }
                Ev::Start(h) => {
                    if h.cdx {
                        let p = format!("{}/{}", self.path, h.name);
                        self.v().push(
                            p,
                            format!("unknown element <{}> in <components>", rules::clip(&h.name)),
                        );
                    }
                    self.skip()?;
                }
                Ev::Text(_) => {}
                Ev::End => break,
                Ev::Eof => return Err(self.truncated("<components>")),
            }
        }
        self.path.truncate(base);
        Ok(())
    }

    /// One `<component>`: its own children become a tree, nested
    /// `<components>` are streamed with this one as their parent.
    fn component(
        &mut self,
        head: Head,
        parent: Option<usize>,
        role: Role,
    ) -> Result<(), SbomError> {
        let path = &self.path;
        let idx = self.b.reserve(parent, role, || path.clone())?;
        let mut own = El::from(head);
        loop {
            match self.next()? {
                Ev::Start(h) if h.cdx && h.name == "components" => self.components(Some(idx))?,
                Ev::Start(h) => {
                    let el = self.read(h)?;
                    own.children.push(el);
                }
                Ev::Text(_) => {}
                Ev::End => break,
                Ev::Eof => return Err(self.truncated("<component>")),
            }
        }
        let ptr = self.path.clone();
        let fields = component(&own, &ptr, idx, &mut self.b, 0)?;
        self.b.fill(idx, fields, || ptr.clone());
        Ok(())
    }

    fn dependencies(&mut self) -> Result<(), SbomError> {
        let mut i = 0usize;
        loop {
            let h = match self.next()? {
                Ev::Start(h) => h,
                Ev::Text(_) => continue,
                Ev::End => return Ok(()),
                Ev::Eof => return Err(self.truncated("<dependencies>")),
            };
            if !(h.cdx && h.name == "dependency") {
                if h.cdx {
                    let p = format!("{}/{}", self.path, h.name);
                    self.v().push(
                        p,
                        format!(
                            "unknown element <{}> in <dependencies>",
                            rules::clip(&h.name)
                        ),
                    );
                }
                self.skip()?;
                continue;
            }
            i += 1;
            let el = self.read(h)?;
            let ptr = format!("{}/dependency[{i}]", self.path);
            let mut to = Vec::new();
            for (j, d) in el.children.iter().filter(|c| c.cdx).enumerate() {
                let at = format!("{ptr}/{}[{}]", d.name, j + 1);
                match (d.name.as_str(), d.attr("ref")) {
                    ("dependency", Some(r)) if !r.is_empty() => to.push(r.to_string()),
                    ("provides", Some(r)) if !r.is_empty() => {}
                    ("dependency" | "provides", Some(_)) => {
                        self.v().push(at, "ref must not be empty")
                    }
                    ("dependency" | "provides", None) => self.v().push(at, "ref is required"),
                    (other, _) => {
                        let m = format!("unknown element <{}> in <dependency>", rules::clip(other));
                        self.v().push(at, m);
                    }
                }
            }
            self.b
                .add_dependency(el.attr("ref").map(str::to_string), to, ptr);
        }
    }
}
