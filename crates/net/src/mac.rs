//! MAC addresses: parsing every common spelling, and the two bits that say
//! whether a prefix can mean anything; DHCPv6 DUIDs, which may embed one.

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

/// A DHCPv6 DHCP Unique Identifier (RFC 8415 §11): a 2-octet type code and
/// a type-specific body, at most 130 octets in all. DUID-LLT (1) and DUID-LL
/// (3) embed a link-layer address; with hardware type 1 (Ethernet, in IANA's
/// ARP hardware-type registry) that address is a MAC. DUID-EN (2) and
/// DUID-UUID (4) embed none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duid(Vec<u8>);

/// Hardware type 1 (Ethernet) in the IANA ARP hardware-type registry
/// (RFC 826), the one whose link-layer address is a 48-bit MAC.
pub const HW_ETHERNET: u16 = 1;

/// RFC 8415 §11.1: a DUID is at most 130 octets, its type code included.
const MAX_DUID: usize = 130;

impl Duid {
    /// Check a DUID's bytes against the layout its type code announces.
    /// Unknown type codes are kept as opaque identifiers (RFC 8415 §11: a
    /// client must treat DUIDs as opaque); only the known layouts can be
    /// malformed. The error says what is wrong, without the input's name.
    pub fn from_bytes(b: &[u8]) -> Result<Duid, String> {
        if b.len() < 3 {
            return Err(format!(
                "DUID of {} octet(s): needs a 2-octet type code and a body",
                b.len()
            ));
        }
        if b.len() > MAX_DUID {
            return Err(format!(
                "DUID of {} octets: longer than the {MAX_DUID} RFC 8415 allows",
                b.len()
            ));
        }
        let d = Duid(b.to_vec());
        // type + hardware type (+ time for LLT) + at least one address octet;
        // type + enterprise number + an identifier; type + a 16-octet UUID.
        let ok = match d.type_code() {
            1 => b.len() >= 9,
            2 => b.len() >= 7,
            3 => b.len() >= 5,
            4 => b.len() == 18,
            _ => true,
        };
        if !ok {
            return Err(format!(
                "{} of {} octets is truncated or too long for its type",
                d.type_name(),
                b.len()
            ));
        }
        if d.hardware_type() == Some(HW_ETHERNET) {
            let n = d.link_layer().map_or(0, <[u8]>::len);
            if n != 6 {
                return Err(format!(
                    "{} with hardware type 1 (Ethernet) carries a {n}-octet address, not a MAC",
                    d.type_name()
                ));
            }
        }
        Ok(d)
    }

    /// Parse colon-separated hex octets (`00:01:00:01:…`, as dnsmasq writes
    /// them), one or two digits each.
    pub fn parse_hex(s: &str) -> Result<Duid, String> {
        let mut out = Vec::new();
        for p in s.split(':') {
            if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(format!("{s:?} is not colon-separated hex octets"));
            }
            out.push(u8::from_str_radix(p, 16).map_err(|e| e.to_string())?);
        }
        Duid::from_bytes(&out)
    }

    /// The raw octets, type code included.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The 2-octet type code (1 LLT, 2 EN, 3 LL, 4 UUID).
    pub fn type_code(&self) -> u16 {
        u16::from_be_bytes([self.0[0], self.0[1]])
    }

    /// `DUID-LLT`, `DUID-EN`, `DUID-LL`, `DUID-UUID`, or `DUID type N`.
    pub fn type_name(&self) -> String {
        match self.type_code() {
            1 => "DUID-LLT".into(),
            2 => "DUID-EN".into(),
            3 => "DUID-LL".into(),
            4 => "DUID-UUID".into(),
            n => format!("DUID type {n}"),
        }
    }

    /// The hardware type of a DUID-LLT or DUID-LL.
    pub fn hardware_type(&self) -> Option<u16> {
        match self.type_code() {
            1 | 3 => Some(u16::from_be_bytes([self.0[2], self.0[3]])),
            _ => None,
        }
    }

    /// The link-layer address of a DUID-LLT (after the 4-octet time) or a
    /// DUID-LL.
    pub fn link_layer(&self) -> Option<&[u8]> {
        match self.type_code() {
            1 => self.0.get(8..),
            3 => self.0.get(4..),
            _ => None,
        }
    }

    /// The MAC a DUID-LLT or DUID-LL over Ethernet embeds. For DUID-LLT it
    /// is the address of whichever interface the client made its DUID from,
    /// not necessarily the one that leased: the same device either way.
    pub fn mac(&self) -> Option<Mac> {
        if self.hardware_type() != Some(HW_ETHERNET) {
            return None;
        }
        let b: [u8; 6] = self.link_layer()?.try_into().ok()?;
        Some(Mac(b)).filter(|m| m.0 != [0; 6])
    }

    /// Colon-separated lower-case hex, the spelling dnsmasq writes.
    pub fn hex(&self) -> String {
        self.0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

impl fmt::Display for Duid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.type_name(), self.hex())
    }
}

/// JSON: `{"type": "DUID-LLT", "hex": "00:01:…", "hardware_type": 1}`,
/// so a report shows which kind of identifier a MAC was taken from.
impl Serialize for Duid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View {
            #[serde(rename = "type")]
            kind: String,
            hex: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            hardware_type: Option<u16>,
        }
        View {
            kind: self.type_name(),
            hex: self.hex(),
            hardware_type: self.hardware_type(),
        }
        .serialize(s)
    }
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

    fn duid(hex: &str) -> Result<Duid, String> {
        Duid::parse_hex(hex)
    }

    #[test]
    fn duid_llt_and_ll_over_ethernet_carry_the_mac() {
        let want = Mac::parse("bc:5e:33:6a:0b:1c");
        // DUID-LLT: type 1, hardware type 1, time 0x329ea680, MAC (RFC 8415 §11.2).
        let llt = duid("00:01:00:01:32:9e:a6:80:bc:5e:33:6a:0b:1c").unwrap();
        assert_eq!((llt.type_code(), llt.type_name().as_str()), (1, "DUID-LLT"));
        assert_eq!(llt.mac(), want);
        // DUID-LL: type 3, hardware type 1, MAC (§11.4).
        let ll = duid("0:3:0:1:bc:5e:33:6a:b:1c").unwrap();
        assert_eq!(ll.mac(), want);
        assert_eq!(ll.hex(), "00:03:00:01:bc:5e:33:6a:0b:1c");
        assert_eq!(ll.to_string(), "DUID-LL 00:03:00:01:bc:5e:33:6a:0b:1c");
        // Serialised as a map (TOML here: the crate has no JSON dependency).
        assert_eq!(
            toml::to_string(&ll).unwrap(),
            "type = \"DUID-LL\"\nhex = \"00:03:00:01:bc:5e:33:6a:0b:1c\"\nhardware_type = 1\n"
        );
        // An all-zero address names nothing, as in Mac::parse.
        assert_eq!(duid("00:03:00:01:00:00:00:00:00:00").unwrap().mac(), None);
    }

    #[test]
    fn duids_without_a_mac() {
        // DUID-EN (enterprise 9), DUID-UUID, DUID-LL over IEEE 802 (6) and
        // over InfiniBand (32, a 20-octet address), an unknown type: valid,
        // no MAC.
        for h in [
            "00:02:00:00:00:09:0a:0b:0c",
            "00:04:6f:1b:36:a4:1c:0c:4a:7e:9c:31:2e:6b:2f:c7:6b:3f",
            "00:03:00:06:bc:5e:33:6a:0b:1c",
            "00:01:00:20:32:9e:a6:80:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:01",
            "ff:ff:01",
        ] {
            let d = duid(h).unwrap_or_else(|e| panic!("{h}: {e}"));
            assert_eq!(d.mac(), None, "{h}");
        }
        assert_eq!(
            duid("00:04:6f:1b:36:a4:1c:0c:4a:7e:9c:31:2e:6b:2f:c7:6b:3f")
                .unwrap()
                .hardware_type(),
            None
        );
    }

    #[test]
    fn malformed_duids() {
        for (h, why) in [
            ("00:01", "needs a 2-octet type code"),
            (
                "00:01:00:01:32:9e:a6:80",
                "DUID-LLT of 8 octets is truncated",
            ),
            ("00:03:00:01", "DUID-LL of 4 octets is truncated"),
            ("00:02:00:00:00:09", "DUID-EN of 6 octets is truncated"),
            (
                "00:04:6f:1b:36:a4:1c:0c:4a:7e:9c:31:2e:6b:2f:c7:6b",
                "DUID-UUID of 17 octets",
            ),
            ("00:03:00:01:bc:5e:33:6a:0b", "5-octet address, not a MAC"),
            (
                "00:01:00:01:32:9e:a6:80:bc:5e:33:6a:0b:1c:00",
                "7-octet address",
            ),
            ("00:03:00:01:bc:5e:33:6a:0b:1x", "not colon-separated hex"),
            ("00:03::01", "not colon-separated hex"),
            ("000:03:00:01:bc:5e:33:6a:0b:1c", "not colon-separated hex"),
            ("", "not colon-separated hex"),
        ] {
            let e = duid(h).unwrap_err();
            assert!(e.contains(why), "{h}: {e}");
        }
        let long = vec![0u8; 131];
        assert!(Duid::from_bytes(&long)
            .unwrap_err()
            .contains("longer than the 130"));
        assert!(Duid::from_bytes(&long[..130]).is_ok());
    }
}
