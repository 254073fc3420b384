//! CycloneDX JSON: one pass of serde visitors over the bytes. The document,
//! `metadata`, component lists and `dependencies` are streamed; each
//! component's own members (nested `components` aside) are small and become
//! `serde_json::Value`s that the checks read, so memory follows the number of
//! components, not the depth of any one. A member of the wrong type is a
//! violation, not a failed document; malformed JSON is an error with its line.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

mod checks;
mod fast;

use checks::{array, object, org_name, string, unknown_keys};
use checks::{citations, licenses, other_member, properties, services, set_string};

use super::{Builder, CompFields, Role, Violations};
use crate::error::SbomError;
use crate::rules::{self, json_keys, Spec};
use crate::{Document, Format, Limits};

pub(crate) fn parse(
    bytes: &[u8],
    location: &str,
    limits: &Limits,
    spec_version: Option<String>,
) -> Result<Document, SbomError> {
    let spec = spec_version
        .as_deref()
        .and_then(Spec::parse)
        .unwrap_or(Spec::LATEST);
    let mut st = St {
        b: Builder::new(location, limits, spec),
        path: String::new(),
        depth: 0,
        err: None,
        spec_version: None,
        bom_format: false,
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = Root(&mut st).deserialize(&mut de).and_then(|()| de.end());
    if let Some(e) = st.err.take() {
        return Err(e);
    }
    if let Err(e) = result {
        let mut message = e.to_string();
        if let Some(at) = message.rfind(" at line ") {
            message.truncate(at);
        }
        return Err(SbomError::Json {
            location: location.to_string(),
            line: e.line(),
            column: e.column(),
            message,
        });
    }
    if !st.bom_format {
        st.b.violations.push("", "bomFormat is required");
    }
    let spec_version = match st.spec_version.take() {
        Some(v) => {
            if Spec::parse(&v).is_none() {
                st.b.violations.push(
                    "/specVersion",
                    format!(
                        "specVersion {:?} is not a CycloneDX version this reader knows (1.0–1.7)",
                        rules::clip(&v)
                    ),
                );
            }
            v
        }
        None => {
            st.b.violations.push("", "specVersion is required");
            String::new()
        }
    };
    Ok(st.b.finish(Format::CycloneDxJson, spec_version))
}

/// Reader state shared by the visitors.
struct St<'a> {
    b: Builder<'a>,
    /// JSON pointer of the value being read; segments are pushed and popped.
    path: String,
    /// Component nesting depth.
    depth: usize,
    /// A limit error, kept typed while serde unwinds with a generic one.
    err: Option<SbomError>,
    spec_version: Option<String>,
    bom_format: bool,
}

impl St<'_> {
    fn strict(&self) -> bool {
        self.b.spec.at_least(4)
    }

    fn v(&mut self) -> &mut Violations {
        &mut self.b.violations
    }

    fn fail<E: de::Error>(&mut self, e: SbomError) -> E {
        let msg = e.to_string();
        self.err = Some(e);
        E::custom(msg)
    }
}

/// A map key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// RFC 6901 escaping of one pointer segment.
fn seg(key: &str) -> Cow<'_, str> {
    if key.contains(['~', '/']) {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Visitors that expect one shape report any other as a violation at the
/// current pointer and consume it, so the rest of the document is still read.
macro_rules! tolerate_other_shapes {
    ($expected:literal) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            self.wrong("a boolean")
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            self.wrong("a number")
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            self.wrong("a number")
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            self.wrong("a number")
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            self.wrong("a string")
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            self.wrong("null")
        }
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str($expected)
        }
    };
}

macro_rules! tolerate_map {
    () => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            self.wrong("an object")
        }
    };
}

macro_rules! tolerate_seq {
    () => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            self.wrong("an array")
        }
    };
}

/// For a seed type: `wrong` (a violation at the current pointer saying what
/// the value must be and what it was) and the `DeserializeSeed` impl that
/// hands any value to the type's visitor.
macro_rules! shape_seed {
    ($ty:ident, $st:tt, $must:literal) => {
        impl $ty<'_, '_> {
            fn wrong<E>(self, got: &str) -> Result<(), E> {
                let ptr = self.$st.path.clone();
                self.$st
                    .v()
                    .push(ptr, format!(concat!($must, ", got {}"), got));
                Ok(())
            }
        }

        impl<'de> DeserializeSeed<'de> for $ty<'_, '_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
    };
}

struct Root<'s, 'a>(&'s mut St<'a>);

shape_seed!(Root, 0, "the document must be an object");

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    tolerate_other_shapes!("a CycloneDX document");
    tolerate_seq!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(Key(key)) = map.next_key()? {
            let base = st.path.len();
            st.path.push('/');
            st.path.push_str(&seg(&key));
            match key.as_ref() {
                "bomFormat" => {
                    st.bom_format = true;
                    let v: Value = map.next_value()?;
                    if v.as_str() != Some("CycloneDX") {
                        let ptr = st.path.clone();
                        st.v()
                            .push(ptr, format!("bomFormat must be \"CycloneDX\", got {v}"));
                    }
                }
                "specVersion" => {
                    let v: Value = map.next_value()?;
                    match v {
                        Value::String(s) => st.spec_version = Some(s),
                        other => {
                            let ptr = st.path.clone();
                            st.v().push(
                                ptr,
                                format!("specVersion must be a string, got {}", type_name(&other)),
                            );
                        }
                    }
                }
                "serialNumber" => {
                    let v: Value = map.next_value()?;
                    let ptr = st.path.clone();
                    match v.as_str() {
                        Some(s) => {
                            if let Some(m) = rules::serial_problem(s) {
                                st.v().push(ptr, m);
                            }
                        }
                        None => st.v().push(
                            ptr,
                            format!("serialNumber must be a string, got {}", type_name(&v)),
                        ),
                    }
                }
                "version" => {
                    let v: Value = map.next_value()?;
                    if v.as_u64().is_none_or(|n| n < 1) {
                        let ptr = st.path.clone();
                        st.v().push(
                            ptr,
                            format!("version must be an integer of at least 1, got {v}"),
                        );
                    }
                }
                "metadata" => map.next_value_seed(Metadata(st))?,
                "components" => map.next_value_seed(CompList { st, parent: None })?,
                "dependencies" => map.next_value_seed(Dependencies(st))?,
                "services" => {
                    let v: Value = map.next_value()?;
                    let ptr = st.path.clone();
                    services(&v, &P::Root(&ptr), st);
                }
                "properties" => {
                    let v: Value = map.next_value()?;
                    let ptr = st.path.clone();
                    properties(&v, &P::Root(&ptr), st);
                }
                "citations" => {
                    let v: Value = map.next_value()?;
                    let ptr = st.path.clone();
                    citations(&v, &P::Root(&ptr), st);
                }
                other => {
                    map.next_value::<IgnoredAny>()?;
                    if st.strict() && !json_keys::ROOT.contains(&other) {
                        let ptr = st.path.clone();
                        st.v().push(
                            ptr,
                            format!("unknown member {:?} of the BOM", rules::clip(other)),
                        );
                    }
                }
            }
            st.path.truncate(base);
        }
        Ok(())
    }
}

struct Metadata<'s, 'a>(&'s mut St<'a>);

shape_seed!(Metadata, 0, "metadata must be an object");

impl<'de> Visitor<'de> for Metadata<'_, '_> {
    type Value = ();
    tolerate_other_shapes!("the metadata object");
    tolerate_seq!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(Key(key)) = map.next_key()? {
            let base = st.path.len();
            st.path.push('/');
            st.path.push_str(&seg(&key));
            match key.as_ref() {
                "component" => map.next_value_seed(CompSeed {
                    st,
                    parent: None,
                    role: Role::Subject,
                })?,
                "timestamp" => {
                    let v: Value = map.next_value()?;
                    let ptr = st.path.clone();
                    match v.as_str() {
                        Some(s) => {
                            if let Some(m) = rules::timestamp_problem(s, true) {
                                st.v().push(ptr, m);
                            }
                        }
                        None => st.v().push(
                            ptr,
                            format!("timestamp must be a string, got {}", type_name(&v)),
                        ),
                    }
                }
                "licenses" => {
                    let v: Value = map.next_value()?;
                    let ptr = st.path.clone();
                    licenses(&v, &P::Root(&ptr), st);
                }
                "properties" => {
                    let v: Value = map.next_value()?;
                    let ptr = st.path.clone();
                    properties(&v, &P::Root(&ptr), st);
                }
                "supplier" => {
                    let v: Value = map.next_value()?;
                    st.b.meta_supplier = org_name(&v);
                }
                "manufacturer" => {
                    let v: Value = map.next_value()?;
                    st.b.meta_manufacturer = org_name(&v).or(st.b.meta_manufacturer.take());
                }
                "manufacture" => {
                    let v: Value = map.next_value()?;
                    if st.b.meta_manufacturer.is_none() {
                        st.b.meta_manufacturer = org_name(&v);
                    }
                }
                other => {
                    map.next_value::<IgnoredAny>()?;
                    if st.strict() && !json_keys::METADATA.contains(&other) {
                        let ptr = st.path.clone();
                        st.v().push(
                            ptr,
                            format!("unknown member {:?} of metadata", rules::clip(other)),
                        );
                    }
                }
            }
            st.path.truncate(base);
        }
        Ok(())
    }
}

/// A `components` array whose entries are streamed into the builder.
struct CompList<'s, 'a> {
    st: &'s mut St<'a>,
    parent: Option<usize>,
}

shape_seed!(CompList, st, "components must be an array");

impl<'de> Visitor<'de> for CompList<'_, '_> {
    type Value = ();
    tolerate_other_shapes!("an array of components");
    tolerate_map!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.st;
        let mut i = 0usize;
        loop {
            let base = st.path.len();
            // Writing to a String cannot fail.
            let _ = write!(st.path, "/{i}");
            let more = seq
                .next_element_seed(CompSeed {
                    st: &mut *st,
                    parent: self.parent,
                    role: Role::Listed,
                })?
                .is_some();
            st.path.truncate(base);
            if !more {
                return Ok(());
            }
            i += 1;
        }
    }
}

/// Members of a component whose values no rule reads: skipped unbuilt.
const SKIPPED: &[&str] = &[
    "description",
    "copyright",
    "cpe",
    "evidence",
    "releaseNotes",
    "modelCard",
    "data",
    "cryptoProperties",
    "signature",
    "mime-type",
    "modified",
    "omniborId",
    "swhid",
    "tags",
    "patentAssertions",
];

/// Members of a component that hold one string.
const STRINGS: &[&str] = &[
    "type",
    "name",
    "version",
    "group",
    "purl",
    "bom-ref",
    "publisher",
    "scope",
    "versionRange",
    "author",
];

/// A JSON pointer, rendered only when a violation needs it, so a clean
/// component costs no pointer strings.
#[derive(Clone, Copy)]
enum P<'a> {
    Root(&'a str),
    Key(&'a P<'a>, &'a str),
    Index(&'a P<'a>, usize),
}

impl<'a> P<'a> {
    fn key(&'a self, k: &'a str) -> P<'a> {
        P::Key(self, k)
    }
    fn index(&'a self, i: usize) -> P<'a> {
        P::Index(self, i)
    }
    fn render(&self) -> String {
        match self {
            P::Root(s) => (*s).to_string(),
            P::Key(p, k) => format!("{}/{}", p.render(), seg(k)),
            P::Index(p, i) => format!("{}/{i}", p.render()),
        }
    }
}

/// A member that should be a string, read without building a `Value`.
enum Scalar {
    Str(String),
    /// What it was instead.
    Other(&'static str),
}

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
                Ok(Scalar::Other("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Scalar, E> {
                Ok(Scalar::Other("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Scalar, E> {
                Ok(Scalar::Other("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Scalar, E> {
                Ok(Scalar::Other("a number"))
            }
            fn visit_unit<E>(self) -> Result<Scalar, E> {
                Ok(Scalar::Other("null"))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an object"))
            }
        }
        d.deserialize_any(V)
    }
}

struct CompSeed<'s, 'a> {
    st: &'s mut St<'a>,
    parent: Option<usize>,
    role: Role,
}

shape_seed!(CompSeed, st, "a component must be an object");

impl<'de> Visitor<'de> for CompSeed<'_, '_> {
    type Value = ();
    tolerate_other_shapes!("a component object");
    tolerate_seq!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.st;
        if st.depth >= st.b.limits.max_depth {
            let e = SbomError::TooDeep {
                location: st.b.location.to_string(),
                pointer: st.path.clone(),
                limit: st.b.limits.max_depth,
            };
            return Err(st.fail(e));
        }
        let path = &st.path;
        let idx = match st.b.reserve(self.parent, self.role, || path.clone()) {
            Ok(i) => i,
            Err(e) => return Err(st.fail(e)),
        };
        st.depth += 1;
        let mut f = CompFields::default();
        while let Some(Key(key)) = map.next_key()? {
            match key.as_ref() {
                "components" => {
                    let base = st.path.len();
                    st.path.push_str("/components");
                    map.next_value_seed(CompList {
                        st: &mut *st,
                        parent: Some(idx),
                    })?;
                    st.path.truncate(base);
                }
                k if STRINGS.contains(&k) => match map.next_value()? {
                    Scalar::Str(s) => set_string(&mut f, k, s),
                    Scalar::Other(t) => {
                        let at = format!("{}/{k}", st.path);
                        st.v().push(at, format!("{k} must be a string, got {t}"));
                    }
                },
                k if SKIPPED.contains(&k) => {
                    map.next_value::<IgnoredAny>()?;
                }
                k if fast::MEMBERS.contains(&k) => {
                    let raw: &'de RawValue = map.next_value()?;
                    if !fast::member(k, raw.get(), st.b.spec, &mut f) {
                        let v: Value =
                            serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
                        let base = st.path.clone();
                        other_member(&mut f, k, &v, &P::Root(&base), idx, st);
                    }
                }
                k if json_keys::COMPONENT.contains(&k) => {
                    let v: Value = map.next_value()?;
                    let base = st.path.clone();
                    other_member(&mut f, k, &v, &P::Root(&base), idx, st);
                }
                other => {
                    map.next_value::<IgnoredAny>()?;
                    if st.strict() {
                        let ptr = format!("{}/{}", st.path, seg(other));
                        st.v().push(
                            ptr,
                            format!("unknown member {:?} of a component", rules::clip(other)),
                        );
                    }
                }
            }
        }
        st.depth -= 1;
        if let Some(e) = st.err.take() {
            return Err(st.fail(e));
        }
        let path = &st.path;
        st.b.fill(idx, f, || path.clone());
        Ok(())
    }
}

struct Dependencies<'s, 'a>(&'s mut St<'a>);

shape_seed!(Dependencies, 0, "dependencies must be an array");

impl<'de> Visitor<'de> for Dependencies<'_, '_> {
    type Value = ();
    tolerate_other_shapes!("an array of dependencies");
    tolerate_map!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.0;
        let base = st.path.clone();
        let list = P::Root(&base);
        let mut i = 0usize;
        while let Some(v) = seq.next_element::<Value>()? {
            let at = list.index(i);
            i += 1;
            let Some(m) = object(&v, &at, "a dependency", st) else {
                continue;
            };
            unknown_keys(m, &at, "a dependency", json_keys::DEPENDENCY, st);
            let from = match m.get("ref") {
                Some(r) => string(r, &at.key("ref"), "ref", st),
                None => None,
            };
            let mut to = Vec::new();
            for key in ["dependsOn", "provides"] {
                if let Some(d) = m.get(key) {
                    let kat = at.key(key);
                    for (j, r) in array(d, &kat, key, st).iter().enumerate() {
                        if let Some(r) = string(r, &kat.index(j), key, st) {
                            // `provides` names what a component implements,
                            // not what it pulls in: checked, not followed.
                            if key == "dependsOn" {
                                to.push(r);
                            } else if r.is_empty() {
                                st.v()
                                    .push(kat.render(), "provides entry must not be empty");
                            }
                        }
                    }
                }
            }
            if m.get("ref").is_some() && from.is_none() {
                continue;
            }
            let at = at.render();
            st.b.add_dependency(from, to, at);
        }
        Ok(())
    }
}
