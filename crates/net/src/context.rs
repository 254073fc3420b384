//! Use context: what a subnet or asset group is used for. The FCC Covered
//! List names Hikvision, Dahua and Hytera equipment only when it is used for
//! public safety, security of government facilities, or physical security
//! surveillance of critical infrastructure (and other national-security
//! purposes, §889(f)(3)(B)); the user tags where that is the case.
//!
//! ```toml
//! [[subnet]]
//! cidr = "10.20.0.0/16"
//! use = "government-facility-security"
//!
//! [[group]]
//! name = "Substation CCTV"   # an asset CSV's group column
//! use = "critical-infrastructure"
//! ```

use crate::device::NetDevice;
use crate::error::NetError;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The condition the FCC attaches to Hikvision, Dahua and Hytera.
pub const FCC_CONDITION: &str = "covered when used for public safety, security of government facilities, or physical security surveillance of critical infrastructure (FCC Covered List 2021-03-12; NDAA FY2019 §889(f)(3)(B))";

/// What a network segment is used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UseTag {
    /// Public safety (police, fire, EMS, dispatch).
    PublicSafety,
    /// Security of government facilities.
    GovernmentFacilitySecurity,
    /// Physical security surveillance of critical infrastructure.
    CriticalInfrastructure,
    /// Other national-security purposes.
    NationalSecurity,
    /// A use the conditional listing does not name (office, retail, …).
    Other,
}

impl UseTag {
    /// Whether this use meets the FCC condition.
    pub fn meets_condition(self) -> bool {
        self != UseTag::Other
    }
}

/// An IP network in CIDR form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// Network address.
    pub addr: IpAddr,
    /// Prefix length.
    pub len: u8,
}

impl Cidr {
    /// Parse `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a host route).
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, l) = s.trim().split_once('/').unwrap_or((s.trim(), ""));
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = if l.is_empty() { max } else { l.parse().ok()? };
        (len <= max).then_some(Cidr { addr, len })
    }

    /// Whether `ip` is inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (a, b, bits) = match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(u32::from(a)), u128::from(u32::from(b)), 32)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
            _ => return false,
        };
        let len = u32::from(self.len);
        if len == 0 {
            return true;
        }
        let shift = bits - len;
        (a >> shift) == (b >> shift)
    }
}

/// The user's use tags.
#[derive(Clone, Debug, Default)]
pub struct UseContext {
    /// Subnets and their use.
    pub subnets: Vec<(Cidr, UseTag)>,
    /// Asset groups (case-insensitive) and their use.
    pub groups: Vec<(String, UseTag)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    subnet: Vec<SubnetRow>,
    #[serde(default)]
    group: Vec<GroupRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubnetRow {
    cidr: toml::Spanned<String>,
    #[serde(rename = "use")]
    use_: UseTag,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupRow {
    name: String,
    #[serde(rename = "use")]
    use_: UseTag,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// How a device's use was decided.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UseMatch {
    /// The tag.
    #[serde(rename = "use")]
    pub tag: UseTag,
    /// `subnet 10.20.0.0/16` or `group Substation CCTV`.
    pub from: String,
}

impl UseContext {
    /// Parse the TOML form; errors carry the line.
    pub fn from_toml(text: &str, file: &str) -> Result<UseContext, NetError> {
        let f: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            NetError {
                file: file.to_string(),
                line,
                message: e.message().to_string(),
            }
        })?;
        let mut ctx = UseContext::default();
        for s in f.subnet {
            let c = Cidr::parse(s.cidr.get_ref()).ok_or_else(|| {
                NetError::at(
                    file,
                    line_of(text, s.cidr.span().start),
                    format!("{:?} is not a CIDR network", s.cidr.get_ref()),
                )
            })?;
            ctx.subnets.push((c, s.use_));
        }
        ctx.groups = f.group.into_iter().map(|g| (g.name, g.use_)).collect();
        Ok(ctx)
    }

    /// The use of a device: the longest matching subnet of any of its
    /// addresses, or its asset group. When tags disagree, one that meets
    /// the condition wins (the conservative answer).
    pub fn use_of(&self, ips: &[IpAddr], groups: &[&str]) -> Option<UseMatch> {
        let mut hits: Vec<(u8, UseMatch)> = Vec::new();
        for (c, t) in &self.subnets {
            if ips.iter().any(|ip| c.contains(*ip)) {
                hits.push((
                    c.len,
                    UseMatch {
                        tag: *t,
                        from: format!("subnet {}/{}", c.addr, c.len),
                    },
                ));
            }
        }
        for (g, t) in &self.groups {
            if groups.iter().any(|x| x.eq_ignore_ascii_case(g)) {
                hits.push((
                    u8::MAX,
                    UseMatch {
                        tag: *t,
                        from: format!("group {g}"),
                    },
                ));
            }
        }
        hits.sort_by_key(|(len, m)| (m.tag.meets_condition(), *len));
        hits.pop().map(|(_, m)| m)
    }

    /// `use_of` for one device.
    pub fn device_use(&self, d: &NetDevice) -> Option<UseMatch> {
        let g: Vec<&str> = d.group.iter().map(String::as_str).collect();
        self.use_of(&d.ips, &g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr() {
        let c = Cidr::parse("10.20.0.0/16").unwrap();
        assert!(c.contains("10.20.5.1".parse().unwrap()));
        assert!(!c.contains("10.21.0.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("1.2.3.4".parse().unwrap()));
        assert!(Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains("2001:db8::1".parse().unwrap()));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("x/8").is_none());
    }

    #[test]
    fn config() {
        let t = "[[subnet]]\ncidr = \"10.0.0.0/8\"\nuse = \"other\"\n\n[[subnet]]\ncidr = \"10.20.0.0/16\"\nuse = \"public-safety\"\n\n[[group]]\nname = \"Substation\"\nuse = \"critical-infrastructure\"\n";
        let c = UseContext::from_toml(t, "use.toml").unwrap();
        let u = c.use_of(&["10.20.1.1".parse().unwrap()], &[]).unwrap();
        assert_eq!(u.tag, UseTag::PublicSafety);
        assert_eq!(u.from, "subnet 10.20.0.0/16");
        assert_eq!(
            c.use_of(&["10.1.1.1".parse().unwrap()], &[]).unwrap().tag,
            UseTag::Other
        );
        let u = c
            .use_of(&["10.1.1.1".parse().unwrap()], &["substation"])
            .unwrap();
        assert_eq!(u.tag, UseTag::CriticalInfrastructure);
        assert!(c.use_of(&["192.168.1.1".parse().unwrap()], &[]).is_none());

        let e = UseContext::from_toml("[[subnet]]\ncidr = \"10.0.0.0/99\"\nuse = \"other\"\n", "u")
            .unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = UseContext::from_toml("[[subnet]]\ncidr = \"10.0.0.0/8\"\nuse = \"bogus\"\n", "u")
            .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(UseContext::from_toml("[[vlan]]\n", "u").is_err());
    }
}
