//! The fast path for the members most components carry: a typed, borrowing
//! read of the common valid shapes. Anything else (another shape, another
//! member, a value a rule would report) returns false, and the caller reads
//! the member as a `Value` with the full checks and their messages.

use std::borrow::Cow;

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::CompFields;
use crate::rules::{self, Spec};

pub(super) const MEMBERS: &[&str] = &["supplier", "manufacturer", "hashes", "licenses"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Org<'a> {
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "url")]
    _url: Option<IgnoredAny>,
    #[serde(rename = "contact")]
    _contact: Option<IgnoredAny>,
    #[serde(rename = "bom-ref")]
    _bom_ref: Option<IgnoredAny>,
    #[serde(rename = "address")]
    _address: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Hash<'a> {
    #[serde(borrow)]
    alg: Cow<'a, str>,
    #[serde(borrow)]
    content: Cow<'a, str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Choice<'a> {
    #[serde(borrow)]
    license: Option<License<'a>>,
    #[serde(borrow)]
    expression: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct License<'a> {
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(rename = "url")]
    _url: Option<IgnoredAny>,
}

/// True when `json` is a valid `key` member, read into `f`.
pub(super) fn member(key: &str, json: &str, spec: Spec, f: &mut CompFields) -> bool {
    match key {
        "supplier" | "manufacturer" => {
            let Ok(org) = serde_json::from_str::<Org>(json) else {
                return false;
            };
            let name = org.name.map(Cow::into_owned);
            if key == "supplier" {
                f.supplier = name;
            } else {
                f.manufacturer = name;
            }
            true
        }
        "hashes" => serde_json::from_str::<Vec<Hash>>(json).is_ok_and(|h| {
            h.iter()
                .all(|h| rules::hash_problem(&h.alg, &h.content).is_none())
        }),
        "licenses" => {
            let Ok(choices) = serde_json::from_str::<Vec<Choice>>(json) else {
                return false;
            };
            let expressions = choices.iter().filter(|c| c.expression.is_some()).count();
            if (5..=6).contains(&spec.0) && expressions > 0 && choices.len() > 1 {
                return false;
            }
            choices.iter().all(|c| match (&c.license, &c.expression) {
                (Some(l), None) => match (&l.id, &l.name) {
                    (Some(id), None) => rules::license_id_known(id),
                    (None, Some(_)) => true,
                    _ => false,
                },
                (None, Some(_)) => true,
                _ => false,
            })
        }
        _ => false,
    }
}
