//! MAC addresses: parsing every common spelling, and the two bits that say
//! whether a prefix can mean anything.

use serde::Serialize;
use std::fmt;

/// A 48-bit MAC address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Mac(pub [u8; 6]);

impl From<Mac> for String {
    fn from(m: Mac) -> String {
        m.to_string()
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// What the address bits allow us to conclude about the vendor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MacClass {
    /// A globally unique unicast address: its prefix is an IEEE assignment.
    Universal,
    /// The U/L bit is set: randomised or locally assigned, the prefix says
    /// nothing about the maker.
    LocallyAdministered,
    /// The I/G bit is set: a group address, never a device's own.
    Multicast,
}

impl Mac {
    /// The address as a 48-bit integer.
    pub fn as_u64(self) -> u64 {
        self.0
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    }

    /// Multicast wins over locally administered: a group address is never a
    /// device, whatever its U/L bit says.
    pub fn class(self) -> MacClass {
        if self.0[0] & 0x01 != 0 {
            MacClass::Multicast
        } else if self.0[0] & 0x02 != 0 {
            MacClass::LocallyAdministered
        } else {
            MacClass::Universal
        }
    }

    /// Parse `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`
    /// (Cisco), `aabbccddeeff` (bare hex), and single-digit octets such as
    /// `0:1f:3c:87:66:50` (what some tools print). Surrounding whitespace is
    /// ignored. Returns `None` for anything else, including the all-zero
    /// address that incomplete ARP entries carry.
    pub fn parse(s: &str) -> Option<Mac> {
        let s = s.trim();
        let mut out = [0u8; 6];
        let sep = s.chars().find(|c| matches!(c, ':' | '-' | '.'));
        match sep {
            Some(c @ (':' | '-')) => {
                let parts: Vec<&str> = s.split(c).collect();
                if parts.len() != 6 {
                    return None;
                }
                for (o, p) in out.iter_mut().zip(parts) {
                    if p.is_empty() || p.len() > 2 {
                        return None;
                    }
                    *o = u8::from_str_radix(p, 16).ok()?;
                    if !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return None;
                    }
                }
            }
            Some('.') => {
                let parts: Vec<&str> = s.split('.').collect();
                if parts.len() != 3 || parts.iter().any(|p| p.len() != 4) {
                    return None;
                }
                hex_into(&parts.concat(), &mut out)?;
            }
            _ => {
                if s.len() != 12 {
                    return None;
                }
                hex_into(s, &mut out)?;
            }
        }
        if out == [0; 6] {
            return None;
        }
        Some(Mac(out))
    }
}

fn hex_into(s: &str, out: &mut [u8; 6]) -> Option<()> {
    if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling() {
        let want = Mac([0xbc, 0x5e, 0x33, 0x01, 0x02, 0x0a]);
        for s in [
            "bc:5e:33:01:02:0a",
            "BC-5E-33-01-02-0A",
            "bc5e.3301.020a",
            "BC5E3301020A",
            " bc:5e:33:1:2:a ",
        ] {
            assert_eq!(Mac::parse(s), Some(want), "{s}");
        }
        assert_eq!(want.to_string(), "bc:5e:33:01:02:0a");
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "bc:5e:33:01:02",
            "bc:5e:33:01:02:0a:0b",
            "bc:5e:33:01:02:zz",
            "bc5e33.01020a",
            "bc5e3301020",
            "00:00:00:00:00:00",
            "+c:5e:33:01:02:0a",
            "bc:5e:33:01:02:123",
            "bc::33:01:02:0a",
        ] {
            assert_eq!(Mac::parse(s), None, "{s}");
        }
    }

    #[test]
    fn classes() {
        assert_eq!(
            Mac::parse("bc:5e:33:00:00:01").unwrap().class(),
            MacClass::Universal
        );
        // Docker's 02:42:… and a randomised phone MAC.
        assert_eq!(
            Mac::parse("02:42:ac:1c:01:03").unwrap().class(),
            MacClass::LocallyAdministered
        );
        assert_eq!(
            Mac::parse("da:a1:19:00:00:01").unwrap().class(),
            MacClass::LocallyAdministered
        );
        assert_eq!(
            Mac::parse("01:00:5e:00:00:fb").unwrap().class(),
            MacClass::Multicast
        );
        assert_eq!(
            Mac::parse("33:33:00:00:00:01").unwrap().class(),
            MacClass::Multicast
        );
    }
}
