//! DHCP leases: ISC dhcpd (`dhcpd.leases`, `dhcpd6.leases`) and dnsmasq
//! (`dnsmasq.leases`), DHCPv4 and DHCPv6.
//!
//! A DHCPv6 lease names its client by a DUID, not a hardware address. A
//! DUID-LLT or DUID-LL over Ethernet embeds a MAC (RFC 8415 §11.2, §11.4):
//! that MAC is taken, and the record's [`Source::mac_from`] says so. Other
//! DUIDs (EN, UUID, non-Ethernet hardware) leave the device without a MAC.
//!
//! [`Source::mac_from`]: crate::device::Source::mac_from

use crate::device::{NetDevice, SourceKind};
use crate::error::NetError;
use crate::mac::{Duid, Mac};
use std::net::{IpAddr, Ipv6Addr};

/// Parse either format, told apart by content: ISC files are made of
/// `{ … }` blocks, dnsmasq files of one lease per line.
pub fn parse_leases(text: &str, file: &str) -> Result<(Vec<NetDevice>, Vec<NetError>), NetError> {
    let isc = text.lines().any(|l| {
        let t = l.trim_start();
        [
            "lease ",
            "ia-na ",
            "ia-ta ",
            "ia-pd ",
            "server-duid",
            "authoring-byte-order",
        ]
        .iter()
        .any(|k| t.starts_with(k))
    });
    if isc {
        parse_isc(text, file)
    } else {
        Ok(parse_dnsmasq(text, file))
    }
}

/// Record the client's DUID on a DHCPv6 lease and take the MAC it embeds,
/// saying where that MAC came from: an auditor must see that no hardware
/// address was on the lease itself.
fn set_duid(d: &mut NetDevice, duid: Duid) {
    if let Some(m) = duid.mac() {
        d.mac = Some(m);
        // DUID-LLT: made once from any interface and kept, so the MAC may be
        // another interface of the same device (still its maker's OUI).
        let caveat = if duid.type_code() == 1 {
            " (the interface the DUID was made from, maybe not the one that leased)"
        } else {
            ""
        };
        d.source.mac_from = Some(format!(
            "link-layer address in the DHCPv6 client {}{caveat}",
            duid
        ));
    }
    d.duid = Some(duid);
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Open,
    Close,
    Semi,
}

fn tokens(text: &str, file: &str) -> Result<Vec<(usize, Tok)>, NetError> {
    let mut out = Vec::new();
    let mut line = 1;
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\n' => line += 1,
            c if c.is_whitespace() => {}
            '#' => {
                for c in it.by_ref() {
                    if c == '\n' {
                        line += 1;
                        break;
                    }
                }
            }
            '{' => out.push((line, Tok::Open)),
            '}' => out.push((line, Tok::Close)),
            ';' => out.push((line, Tok::Semi)),
            '"' => {
                let start = line;
                let mut s = String::new();
                let mut closed = false;
                while let Some(c) = it.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = it.next() {
                                s.push('\\');
                                s.push(n);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => {
                            line += 1;
                            s.push(c);
                        }
                        _ => s.push(c),
                    }
                }
                if !closed {
                    return Err(NetError::at(file, start, "unterminated string"));
                }
                out.push((start, Tok::Str(s)));
            }
            _ => {
                let mut s = String::from(c);
                while let Some(&n) = it.peek() {
                    if n.is_whitespace() || matches!(n, '{' | '}' | ';' | '"') {
                        break;
                    }
                    s.push(n);
                    it.next();
                }
                out.push((line, Tok::Word(s)));
            }
        }
    }
    Ok(out)
}

/// ISC dhcpd leases. DHCPv4: `lease IP { … hardware ethernet MAC;
/// client-hostname "x"; }`. DHCPv6 (`dhcpd -6`): `ia-na "IAID+DUID" {
/// iaaddr IP { binding state active; … } }`, likewise `ia-ta` (temporary
/// addresses) and `ia-pd` (`iaprefix P/LEN`, delegated prefixes). Other
/// top-level blocks and statements (`failover peer`, `server-duid`, …) are
/// skipped.
pub fn parse_isc(text: &str, file: &str) -> Result<(Vec<NetDevice>, Vec<NetError>), NetError> {
    let toks = tokens(text, file)?;
    let mut out = Vec::new();
    let mut errs = Vec::new();
    let mut depth = 0usize;
    let mut stmt: Vec<(usize, &Tok)> = Vec::new();
    let mut cur: Option<NetDevice> = None;
    // Depth of the open lease block (0: none), and whether it is DHCPv6.
    let mut lease_depth = 0;
    let mut v6 = false;
    for (line, t) in &toks {
        match t {
            Tok::Open => {
                depth += 1;
                let words: Vec<&str> = stmt
                    .iter()
                    .filter_map(|(_, t)| match t {
                        Tok::Word(w) => Some(w.as_str()),
                        _ => None,
                    })
                    .collect();
                let l = stmt.first().map_or(*line, |s| s.0);
                match (depth, words.first().copied()) {
                    (1, Some("lease")) => {
                        let mut d = NetDevice::new(SourceKind::DhcpLeases, file, Some(l));
                        match words.get(1).map(|w| w.parse::<IpAddr>()) {
                            Some(Ok(ip)) => d.ips.push(ip),
                            _ => {
                                errs.push(NetError::at(file, l, "lease without a valid IP address"))
                            }
                        }
                        cur = Some(d);
                        lease_depth = depth;
                        v6 = false;
                    }
                    (1, Some(kind @ ("ia-na" | "ia-ta" | "ia-pd"))) => {
                        let mut d = NetDevice::new(SourceKind::DhcpLeases, file, Some(l));
                        let id = stmt.iter().find_map(|(_, t)| match t {
                            Tok::Str(s) => Some(s.as_str()),
                            _ => None,
                        });
                        match id.map(ia_duid) {
                            Some(Ok(duid)) => set_duid(&mut d, duid),
                            Some(Err(e)) => {
                                errs.push(NetError::at(file, l, format!("{kind}: {e}")))
                            }
                            None => errs.push(NetError::at(
                                file,
                                l,
                                format!("{kind} without a quoted IAID and DUID"),
                            )),
                        }
                        cur = Some(d);
                        lease_depth = depth;
                        v6 = true;
                    }
                    (_, Some(child @ ("iaaddr" | "iaprefix")))
                        if v6 && lease_depth > 0 && depth == lease_depth + 1 =>
                    {
                        if let Some(d) = cur.as_mut() {
                            ia_child(d, child, words.get(1).copied(), file, l, &mut errs);
                        }
                    }
                    _ => {}
                }
                stmt.clear();
            }
            Tok::Close => {
                if depth == 0 {
                    return Err(NetError::at(file, *line, "unbalanced '}'"));
                }
                if depth == lease_depth {
                    // Kept even with no address (an `ia-na` whose
                    // addresses were all released): its DUID still shows
                    // the device was on the network.
                    if let Some(d) = cur.take() {
                        out.push(d);
                    }
                    lease_depth = 0;
                }
                depth -= 1;
                stmt.clear();
            }
            Tok::Semi => {
                if let Some(d) = cur.as_mut() {
                    if depth == lease_depth {
                        lease_statement(d, &stmt, file, &mut errs);
                    } else if v6 && depth == lease_depth + 1 {
                        // One state for the lease: `active` if any of its
                        // addresses is, else the first address's state.
                        if let [(_, Tok::Word(a)), (_, Tok::Word(b)), (_, Tok::Word(st))] =
                            stmt.as_slice()
                        {
                            let active = d.status.as_deref() == Some("active");
                            if a == "binding"
                                && b == "state"
                                && (d.status.is_none() || (!active && st == "active"))
                            {
                                d.status = Some(st.clone());
                            }
                        }
                    }
                }
                stmt.clear();
            }
            _ => stmt.push((*line, t)),
        }
    }
    if depth != 0 {
        let l = cur.as_ref().and_then(|d| d.source.line);
        return Err(match l {
            Some(l) => NetError::at(file, l, "lease block is not closed"),
            None => NetError::file(file, "a block is not closed"),
        });
    }
    Ok((out, errs))
}

/// The DUID in an `ia-na`/`ia-ta`/`ia-pd` string: dhcpd writes the 4-octet
/// IAID and then the client's DUID, as one string with octal escapes.
fn ia_duid(raw: &str) -> Result<Duid, String> {
    let b = isc_string_bytes(raw)?;
    if b.len() < 4 {
        return Err(format!(
            "identifier of {} octet(s) is shorter than its 4-octet IAID",
            b.len()
        ));
    }
    Duid::from_bytes(&b[4..])
}

/// An `iaaddr ADDR { … }` or `iaprefix ADDR/LEN { … }` inside a DHCPv6 lease.
fn ia_child(
    d: &mut NetDevice,
    child: &str,
    arg: Option<&str>,
    file: &str,
    line: usize,
    errs: &mut Vec<NetError>,
) {
    let arg = arg.unwrap_or("");
    if child == "iaaddr" {
        match arg.parse::<Ipv6Addr>() {
            Ok(ip) => d.ips.push(IpAddr::V6(ip)),
            Err(_) => errs.push(NetError::at(
                file,
                line,
                format!("iaaddr {arg:?} is not an IPv6 address"),
            )),
        }
        return;
    }
    let prefix = arg.split_once('/').and_then(|(a, n)| {
        let a = a.parse::<Ipv6Addr>().ok()?;
        let n = n.parse::<u8>().ok().filter(|n| *n <= 128)?;
        Some(format!("{a}/{n}"))
    });
    match prefix {
        Some(p) => d.prefixes.push(p),
        None => errs.push(NetError::at(
            file,
            line,
            format!("iaprefix {arg:?} is not an IPv6 prefix"),
        )),
    }
}

/// The octets of a dhcpd quoted string as the tokenizer kept it (escapes
/// still raw): dhcpd writes unprintable octets as `\ooo` octal and escapes
/// `"` and `\\`; its reader also takes `\t \r \n \b` and `\xHH`.
fn isc_string_bytes(raw: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match it.next() {
            Some(d @ '0'..='7') => {
                let mut v = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.peek().and_then(|c| c.to_digit(8)) {
                        Some(n) => {
                            v = v * 8 + n;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(u8::try_from(v).map_err(|_| format!("octal escape \\{v:o} is over 255"))?);
            }
            Some('x') => {
                let mut v = 0u32;
                let mut n = 0;
                while n < 2 {
                    match it.peek().and_then(|c| c.to_digit(16)) {
                        Some(h) => {
                            v = v * 16 + h;
                            it.next();
                            n += 1;
                        }
                        None => break,
                    }
                }
                if n == 0 {
                    return Err("\\x escape without hex digits".into());
                }
                out.push(v as u8);
            }
            Some('t') => out.push(b'\t'),
            Some('r') => out.push(b'\r'),
            Some('n') => out.push(b'\n'),
            Some('b') => out.push(8),
            Some(c) => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
            None => return Err("string ends in a lone backslash".into()),
        }
    }
    Ok(out)
}

fn lease_statement(
    d: &mut NetDevice,
    stmt: &[(usize, &Tok)],
    file: &str,
    errs: &mut Vec<NetError>,
) {
    let text = |t: &Tok| match t {
        Tok::Word(s) | Tok::Str(s) => s.clone(),
        _ => String::new(),
    };
    let parts: Vec<String> = stmt.iter().map(|(_, t)| text(t)).collect();
    let line = stmt.first().map_or(0, |s| s.0);
    match parts
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["hardware", "ethernet", mac] => match Mac::parse(mac) {
            Some(m) => d.mac = Some(m),
            None => errs.push(NetError::at(
                file,
                line,
                format!("{mac:?} is not a MAC address"),
            )),
        },
        ["client-hostname", name] if !name.is_empty() => d.hostname = Some(name.to_string()),
        ["binding", "state", s] => d.status = Some(s.to_string()),
        _ => {}
    }
}

/// dnsmasq leases, one per line. DHCPv4: `EXPIRY MAC IP HOSTNAME
/// CLIENT-ID`, `*` for no host name or client id. After the server's own
/// `duid DUID` line come the DHCPv6 leases: `EXPIRY IAID IPV6 HOSTNAME
/// CLIENT-DUID`, the IAID a decimal number (`T` before it for a temporary
/// address) and the DUID in colon hex.
pub fn parse_dnsmasq(text: &str, file: &str) -> (Vec<NetDevice>, Vec<NetError>) {
    let mut out = Vec::new();
    let mut errs = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.is_empty() || f[0] == "duid" {
            continue;
        }
        if f.len() < 4 || f[0].parse::<u64>().is_err() {
            errs.push(NetError::at(
                file,
                i + 1,
                "expected EXPIRY MAC IP HOSTNAME [CLIENT-ID]",
            ));
            continue;
        }
        let ip = match f[2].parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => {
                errs.push(NetError::at(
                    file,
                    i + 1,
                    format!("{:?} is not an IP address", f[2]),
                ));
                continue;
            }
        };
        let mut d = NetDevice::new(SourceKind::DhcpLeases, file, Some(i + 1));
        d.ips.push(ip);
        let iaid = f[1].strip_prefix('T').unwrap_or(f[1]);
        if ip.is_ipv6() && !iaid.is_empty() && iaid.bytes().all(|b| b.is_ascii_digit()) {
            match f.get(4).copied() {
                Some(hex) if hex != "*" => match Duid::parse_hex(hex) {
                    Ok(duid) => set_duid(&mut d, duid),
                    Err(e) => errs.push(NetError::at(file, i + 1, format!("client DUID: {e}"))),
                },
                // dnsmasq always writes the DUID; without one the lease
                // still shows the address in use.
                _ => {}
            }
        } else {
            match Mac::parse(f[1]) {
                Some(m) => d.mac = Some(m),
                None => errs.push(NetError::at(
                    file,
                    i + 1,
                    format!("{:?} is not a MAC address", f[1]),
                )),
            }
        }
        if f[3] != "*" {
            d.hostname = Some(f[3].to_string());
        }
        out.push(d);
    }
    (out, errs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISC: &str = r#"# The format of this file is documented in the dhcpd.leases(5) manual page.
# This lease file was written by isc-dhcp-4.4.3
authoring-byte-order little-endian;
server-duid "\000\001\000\001+\3270\001\002\003\004\005";

lease 192.168.10.23 {
  starts 3 2024/05/01 10:00:00;
  ends 3 2024/05/01 22:00:00;
  cltt 3 2024/05/01 10:00:00;
  binding state active;
  next binding state free;
  rewind binding state free;
  hardware ethernet bc:5e:33:12:34:56;
  uid "\001\274^3\0224V";
  set vendor-class-identifier = "udhcp 1.19.4";
  client-hostname "DS-2CD2143G0-I";
}
lease 192.168.10.24 {
  binding state free;
  hardware ethernet 74:c9:29:aa:bb:cc;
}
ia-na "\001\000\000\000\000\002\000\000\000\011\001\002" {
  cltt 3 2024/05/01 10:00:00;
  iaaddr 2001:db8::5 {
    binding state active;
  }
}
"#;

    #[test]
    fn isc() {
        let (d, e) = parse_leases(ISC, "dhcpd.leases").unwrap();
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].mac.unwrap().to_string(), "bc:5e:33:12:34:56");
        assert_eq!(d[0].source.mac_from, None);
        assert_eq!(d[0].hostname.as_deref(), Some("DS-2CD2143G0-I"));
        assert_eq!(d[0].status.as_deref(), Some("active"));
        assert_eq!(d[0].source.line, Some(6));
        assert_eq!(d[1].ips[0].to_string(), "192.168.10.24");
        // A DUID-EN (Cisco's enterprise number 9) embeds no MAC: kept, no error.
        assert_eq!(d[2].mac, None);
        assert_eq!(d[2].ips[0].to_string(), "2001:db8::5");
        assert_eq!(d[2].duid.as_ref().unwrap().type_name(), "DUID-EN");
        assert_eq!(d[2].duid.as_ref().unwrap().hex(), "00:02:00:00:00:09:01:02");
        assert_eq!(d[2].status.as_deref(), Some("active"));
        assert_eq!(d[2].source.line, Some(22));
    }

    #[test]
    fn isc_errors() {
        let e = parse_leases("lease 1.2.3.4 {\n hardware ethernet x;\n", "l").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = parse_leases("lease 1.2.3.4 {\n}\n}\n", "l").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = parse_leases("lease 1.2.3.4 {\n client-hostname \"x;\n}", "l").unwrap_err();
        assert_eq!(e.line, Some(2));
        let (d, e) = parse_leases("lease bogus {\n hardware ethernet zz;\n}\n", "l").unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(
            e.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![Some(1), Some(2)]
        );
    }

    #[test]
    fn dnsmasq() {
        let t = "1714600000 bc:5e:33:12:34:56 192.168.1.50 cam1 01:bc:5e:33:12:34:56\n\
                 1714600001 80:38:bc:00:00:01 192.168.1.51 * *\n\
                 duid 00:01:00:01:2b:d7:30:01:02:03:04:05:06\n\
                 1714600002 305419896 2001:db8::9 phone 00:01:00:01\n\
                 garbage\n\
                 1714600003 zz 192.168.1.52 x *\n";
        let (d, e) = parse_leases(t, "dnsmasq.leases").unwrap();
        assert_eq!(d.len(), 4);
        assert_eq!(d[0].hostname.as_deref(), Some("cam1"));
        assert_eq!(d[1].hostname, None);
        // A truncated DUID-LLT: the lease is kept (its address is in use),
        // without a MAC, and the line is reported.
        assert_eq!(d[2].mac, None);
        assert_eq!(d[2].ips[0].to_string(), "2001:db8::9");
        assert_eq!(
            e.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![Some(4), Some(5), Some(6)]
        );
        assert!(e[0].message.contains("DUID-LLT of 4 octets"), "{}", e[0]);
    }

    #[test]
    fn dnsmasq_v6() {
        let t = "duid 00:01:00:01:32:9e:a6:7d:02:00:00:88:90:01\n\
                 1795950415 T862587676 2001:db8:889::14d * 00:03:00:01:bc:5e:33:6a:0b:1c\n\
                 1795950414 862587676 2001:db8:889::1ce cam 00:01:00:01:32:9e:a6:80:bc:5e:33:6a:0b:1c\n\
                 1795950413 7 2001:db8:889::1cf * 00:02:00:00:00:09:0a:0b\n\
                 1795950412 7 2001:db8:889::1d0 * 00:03:00:06:bc:5e:33:6a:0b:1d\n\
                 1795950411 7 2001:db8:889::1d1 * 00:03:00:01:bc:5e:33:6a:0b\n\
                 1795950410 7 2001:db8:889::1d2 * 00:03:00:01:bc:5e:33:6a:0b:1x\n\
                 1795950409 T 2001:db8:889::1d3 * 00:03:00:01:bc:5e:33:6a:0b:1c\n";
        let (d, e) = parse_leases(t, "dnsmasq.leases").unwrap();
        let mac = Mac::parse("bc:5e:33:6a:0b:1c");
        assert_eq!(d.len(), 7);
        // IA_TA over DUID-LL, IA_NA over DUID-LLT: both MACs from the DUID.
        assert_eq!((d[0].mac, d[1].mac), (mac, mac));
        assert_eq!(d[0].source.line, Some(2));
        assert!(d[0]
            .source
            .mac_from
            .as_deref()
            .unwrap()
            .contains("DUID-LL 00:03:"));
        let llt = d[1].source.mac_from.as_deref().unwrap();
        assert!(llt.contains("DHCPv6 client DUID-LLT 00:01:00:01:"), "{llt}");
        assert!(llt.contains("maybe not the one that leased"), "{llt}");
        assert_eq!(d[1].hostname.as_deref(), Some("cam"));
        // DUID-EN, and DUID-LL over hardware type 6 (IEEE 802): no MAC, no error.
        assert_eq!((d[2].mac, d[3].mac), (None, None));
        assert_eq!(d[3].duid.as_ref().unwrap().hardware_type(), Some(6));
        assert_eq!(d[3].source.mac_from, None);
        // A 5-octet Ethernet address and a bad hex digit: kept, reported.
        assert_eq!(
            (d[4].mac, d[5].mac, d[4].duid.is_none()),
            (None, None, true)
        );
        assert_eq!(
            e.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![Some(6), Some(7), Some(8)]
        );
        assert!(e[0].message.contains("5-octet address"), "{}", e[0]);
        assert!(e[2].message.contains("not a MAC address"), "{}", e[2]);
    }

    const ISC6: &str = r#"authoring-byte-order little-endian;
server-duid "\000\001\000\0012\236\246S\002\000\000\210\220\001";

ia-na "\034\013j3\000\001\000\0012\236\246T\274^3j\013\034" {
  cltt 0 2026/11/29 09:01:09;
  iaaddr 2001:db8:889::1073 {
    binding state expired;
  }
  iaaddr 2001:db8:889::1074 {
    binding state active;
  }
}
ia-pd "\034\013j3\000\003\000\001\274^3j\013\034" {
  iaprefix 2001:db8:88a:ff00::/56 {
    binding state active;
  }
}
ia-ta "\001\002\003\004\000\004\x00\"\\456789abcdefg" {
  iaaddr 2001:db8:889:0:1::5 {
  }
}
ia-na "\034\013j3\000\001\000\001\000" {
  iaaddr nope {
  }
  iaprefix 2001:db8::/129 {
  }
}
ia-na "\034\013" {
}
ia-na {
}
"#;

    #[test]
    fn isc_v6() {
        let (d, e) = parse_leases(ISC6, "dhcpd6.leases").unwrap();
        let mac = Mac::parse("bc:5e:33:6a:0b:1c");
        assert_eq!(d.len(), 6, "server-duid is no lease: {d:?}");
        assert_eq!(d[0].mac, mac);
        assert_eq!(d[0].ips.len(), 2);
        assert_eq!(d[0].ips[0].to_string(), "2001:db8:889::1073");
        // The first address expired, the second is active: the lease is.
        assert_eq!(d[0].status.as_deref(), Some("active"));
        assert_eq!(d[0].source.line, Some(4));
        let duid = d[0].duid.as_ref().unwrap();
        assert_eq!(duid.hex(), "00:01:00:01:32:9e:a6:54:bc:5e:33:6a:0b:1c");
        assert!(d[0]
            .source
            .mac_from
            .as_deref()
            .unwrap()
            .contains("DUID-LLT"));
        // ia-pd: a prefix, no address; DUID-LL.
        assert_eq!(d[1].mac, mac);
        assert!(d[1].ips.is_empty());
        assert_eq!(d[1].prefixes, vec!["2001:db8:88a:ff00::/56".to_string()]);
        // ia-ta with a DUID-UUID spelt with \x, \" and \\ escapes: no MAC.
        let uuid = d[2].duid.as_ref().unwrap();
        assert_eq!(uuid.type_name(), "DUID-UUID");
        assert_eq!(&uuid.bytes()[2..5], &[0, b'"', b'\\']);
        assert_eq!((d[2].mac, d[2].ips.len()), (None, 1));
        assert_eq!(
            e.iter()
                .map(|e| (e.line, e.message.as_str()))
                .collect::<Vec<_>>(),
            vec![
                (
                    Some(22),
                    "ia-na: DUID-LLT of 5 octets is truncated or too long for its type"
                ),
                (Some(23), "iaaddr \"nope\" is not an IPv6 address"),
                (
                    Some(25),
                    "iaprefix \"2001:db8::/129\" is not an IPv6 prefix"
                ),
                (
                    Some(28),
                    "ia-na: identifier of 2 octet(s) is shorter than its 4-octet IAID"
                ),
                (Some(30), "ia-na without a quoted IAID and DUID"),
            ]
        );
    }

    #[test]
    fn isc_strings() {
        assert_eq!(isc_string_bytes(r"\001a\t\x4\\").unwrap(), b"\x01a\t\x04\\");
        assert_eq!(isc_string_bytes("é").unwrap(), "é".as_bytes());
        assert!(isc_string_bytes(r"\777").is_err());
        assert!(isc_string_bytes(r"\xg").is_err());
        assert!(isc_string_bytes("\\").is_err());
    }
}
