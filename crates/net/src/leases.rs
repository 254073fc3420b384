//! DHCP leases: ISC dhcpd (`dhcpd.leases`) and dnsmasq (`dnsmasq.leases`).

use crate::device::{NetDevice, SourceKind};
use crate::error::NetError;
use crate::mac::Mac;
use std::net::IpAddr;

/// Parse either format, told apart by content: ISC files are made of
/// `{ … }` blocks, dnsmasq files of one lease per line.
pub fn parse_leases(text: &str, file: &str) -> Result<(Vec<NetDevice>, Vec<NetError>), NetError> {
    let isc = text.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("lease ")
            || t.starts_with("ia-na ")
            || t.starts_with("server-duid")
            || t.starts_with("authoring-byte-order")
    });
    if isc {
        parse_isc(text, file)
    } else {
        Ok(parse_dnsmasq(text, file))
    }
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

/// ISC dhcpd leases: `lease IP { … hardware ethernet MAC; client-hostname "x"; }`.
/// Other top-level blocks (`ia-na`, `failover peer`, …) are skipped.
pub fn parse_isc(text: &str, file: &str) -> Result<(Vec<NetDevice>, Vec<NetError>), NetError> {
    let toks = tokens(text, file)?;
    let mut out = Vec::new();
    let mut errs = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    let mut stmt: Vec<(usize, &Tok)> = Vec::new();
    let mut cur: Option<NetDevice> = None;
    let mut lease_depth = 0;
    while i < toks.len() {
        let (line, t) = (&toks[i].0, &toks[i].1);
        i += 1;
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
                if depth == 1 && words.first() == Some(&"lease") {
                    let l = stmt.first().map_or(*line, |s| s.0);
                    let mut d = NetDevice::new(SourceKind::DhcpLeases, file, Some(l));
                    match words.get(1).map(|w| w.parse::<IpAddr>()) {
                        Some(Ok(ip)) => d.ips.push(ip),
                        _ => errs.push(NetError::at(file, l, "lease without a valid IP address")),
                    }
                    cur = Some(d);
                    lease_depth = depth;
                }
                stmt.clear();
            }
            Tok::Close => {
                if depth == 0 {
                    return Err(NetError::at(file, *line, "unbalanced '}'"));
                }
                if depth == lease_depth {
                    if let Some(d) = cur.take() {
                        out.push(d);
                    }
                    lease_depth = 0;
                }
                depth -= 1;
                stmt.clear();
            }
            Tok::Semi => {
                if let (Some(d), true) = (cur.as_mut(), depth == lease_depth) {
                    lease_statement(d, &stmt, file, &mut errs);
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

/// dnsmasq leases: `EXPIRY MAC IP HOSTNAME CLIENT-ID` per line; `*` for no
/// host name. IPv6 leases (after the `duid` line) carry an IAID instead of
/// a MAC and are skipped.
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
        match Mac::parse(f[1]) {
            Some(m) => d.mac = Some(m),
            None if ip.is_ipv6() => continue,
            None => errs.push(NetError::at(
                file,
                i + 1,
                format!("{:?} is not a MAC address", f[1]),
            )),
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
ia-na "\001\000\000\000\000\001\000\001" {
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
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].mac.unwrap().to_string(), "bc:5e:33:12:34:56");
        assert_eq!(d[0].hostname.as_deref(), Some("DS-2CD2143G0-I"));
        assert_eq!(d[0].status.as_deref(), Some("active"));
        assert_eq!(d[0].source.line, Some(6));
        assert_eq!(d[1].ips[0].to_string(), "192.168.10.24");
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
        assert_eq!(d.len(), 3);
        assert_eq!(d[0].hostname.as_deref(), Some("cam1"));
        assert_eq!(d[1].hostname, None);
        assert_eq!(
            e.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![Some(5), Some(6)]
        );
    }
}
