//! nmap XML (`nmap -oX`): every `<host>`, its addresses (ipv4, ipv6, mac with
//! nmap's `vendor` guess), host names, status, ports, services and script
//! output.
//!
//! nmap never writes a DOCTYPE, so one is refused outright, and so is any
//! entity beyond XML's five predefined ones: that closes the XXE and
//! entity-expansion attacks (libnmap's `defused_et_*` files). A document
//! whose root is not `<nmaprun>` is refused too.

use crate::device::{NetDevice, Service, SourceKind};
use crate::error::NetError;
use crate::mac::Mac;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use std::cell::Cell;
use std::net::IpAddr;

/// Deeper than any nmap output (nmap nests script tables about 8 deep).
const MAX_DEPTH: usize = 64;

/// What one nmap XML file says.
#[derive(Debug, Clone, Default)]
pub struct NmapScan {
    /// `<nmaprun version>`.
    pub version: Option<String>,
    /// `<runstats><hosts up down total>`.
    pub runstats: Option<(u64, u64, u64)>,
    /// One device per `<host>`, in file order.
    pub hosts: Vec<NetDevice>,
    /// Problems inside hosts (a MAC or IP nmap should not have written);
    /// the host is kept.
    pub errors: Vec<NetError>,
}

struct P<'a> {
    r: Reader<&'a [u8]>,
    text: &'a str,
    file: &'a str,
    /// The last position `line_at` was asked for and its line. Every host
    /// asks for its line, so counting from the start each time was
    /// quadratic (a /16 scan: minutes); positions only grow while reading.
    line_memo: Cell<(usize, usize)>,
}

impl P<'_> {
    fn line_at(&self, pos: u64) -> usize {
        let end = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        let (from, line) = match self.line_memo.get() {
            (p, l) if p <= end => (p, l),
            _ => (0, 1),
        };
        let line = line
            + self.text.as_bytes()[from..end]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
        self.line_memo.set((end, line));
        line
    }
    fn err(&self, msg: impl Into<String>) -> NetError {
        NetError::at(self.file, self.line_at(self.r.buffer_position()), msg)
    }
    fn attrs(&self, e: &BytesStart) -> Result<Vec<(String, String)>, NetError> {
        let mut v = Vec::new();
        for a in e.attributes() {
            let a = a.map_err(|x| self.err(x.to_string()))?;
            let val = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|x| self.err(format!("attribute value: {x}")))?;
            v.push((a.key.0.to_string(), val.into_owned()));
        }
        Ok(v)
    }
}

fn get(a: &[(String, String)], k: &str) -> Option<String> {
    a.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

/// Parse one nmap XML document.
pub fn parse_nmap(text: &str, file: &str) -> Result<NmapScan, NetError> {
    let mut p = P {
        r: Reader::from_str(text),
        text,
        file,
        line_memo: Cell::new((0, 1)),
    };
    let mut scan = NmapScan::default();
    let mut depth = 0usize;
    let mut seen_root = false;
    let mut host: Option<NetDevice> = None;
    let mut port: Option<Service> = None;
    loop {
        let start = p.r.buffer_position();
        let ev = match p.r.read_event() {
            Ok(e) => e,
            Err(e) => {
                let line = p.line_at(p.r.error_position());
                return Err(NetError::at(file, line, format!("invalid XML: {e}")));
            }
        };
        let (e, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    "port" => {
                        if let (Some(h), Some(s)) = (host.as_mut(), port.take()) {
                            h.services.push(s);
                        }
                    }
                    "host" => {
                        if let Some(h) = host.take() {
                            scan.hosts.push(h);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Event::DocType(d) => {
                // nmap itself writes `<!DOCTYPE nmaprun>`: a name, no
                // external id, no internal subset. Anything more could
                // declare entities or fetch a DTD.
                let body: &str = &d;
                if body.trim() != "nmaprun" {
                    return Err(NetError::at(
                        file,
                        p.line_at(start),
                        "a DOCTYPE other than <!DOCTYPE nmaprun> is not allowed in nmap XML (entity declarations and external DTDs are refused)",
                    ));
                }
                continue;
            }
            Event::GeneralRef(r) => {
                let ok = matches!(r.resolve_char_ref(), Ok(Some(_)))
                    || matches!(r.as_ref(), "lt" | "gt" | "amp" | "apos" | "quot");
                if !ok {
                    return Err(p.err(format!(
                        "entity reference &{};: only XML's predefined entities are allowed",
                        r.as_ref().chars().take(40).collect::<String>()
                    )));
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        if !empty {
            depth += 1;
            if depth > MAX_DEPTH {
                return Err(p.err(format!("elements nested deeper than {MAX_DEPTH}")));
            }
        }
        let name = e.local_name().as_ref().to_string();
        if !seen_root {
            if name != "nmaprun" {
                return Err(p.err(format!(
                    "not nmap XML: the root element is <{}>, expected <nmaprun>",
                    name
                )));
            }
            seen_root = true;
            scan.version = get(&p.attrs(&e)?, "version");
            continue;
        }
        let a = p.attrs(&e)?;
        match name.as_str() {
            "host" => {
                let line = p.line_at(p.r.buffer_position());
                let h = NetDevice::new(SourceKind::Nmap, file, Some(line));
                if empty {
                    scan.hosts.push(h);
                } else {
                    host = Some(h);
                }
            }
            "status" => {
                if let Some(h) = host.as_mut() {
                    h.status = get(&a, "state");
                }
            }
            "address" => {
                let Some(h) = host.as_mut() else { continue };
                let addr = get(&a, "addr").unwrap_or_default();
                match get(&a, "addrtype").as_deref().unwrap_or("ipv4") {
                    "mac" => match Mac::parse(&addr) {
                        Some(m) => {
                            h.mac = Some(m);
                            h.vendor_hint = get(&a, "vendor").filter(|v| !v.is_empty());
                        }
                        None => scan.errors.push(p.err(format!("bad MAC address {addr:?}"))),
                    },
                    _ => match addr.parse::<IpAddr>() {
                        Ok(ip) => h.ips.push(ip),
                        Err(_) => scan.errors.push(p.err(format!("bad IP address {addr:?}"))),
                    },
                }
            }
            "hostname" => {
                if let Some(h) = host.as_mut() {
                    if h.hostname.is_none() {
                        h.hostname = get(&a, "name").filter(|n| !n.is_empty());
                    }
                }
            }
            "port" => {
                let s = Service {
                    protocol: get(&a, "protocol").unwrap_or_default(),
                    port: get(&a, "portid").and_then(|v| v.parse().ok()).unwrap_or(0),
                    ..Service::default()
                };
                if empty {
                    if let Some(h) = host.as_mut() {
                        h.services.push(s);
                    }
                } else {
                    port = Some(s);
                }
            }
            "state" => {
                if let Some(s) = port.as_mut() {
                    s.state = get(&a, "state").unwrap_or_default();
                }
            }
            "service" => {
                if let Some(s) = port.as_mut() {
                    s.name = get(&a, "name");
                    s.product = get(&a, "product");
                    s.version = get(&a, "version");
                    s.extrainfo = get(&a, "extrainfo");
                    s.devicetype = get(&a, "devicetype");
                }
            }
            "script" => {
                if let (Some(s), Some(id)) = (port.as_mut(), get(&a, "id")) {
                    s.scripts.push((id, get(&a, "output").unwrap_or_default()));
                }
            }
            "hosts" if host.is_none() => {
                let n = |k| get(&a, k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                scan.runstats = Some((n("up"), n("down"), n("total")));
            }
            _ => {}
        }
    }
    if !seen_root {
        return Err(NetError::file(file, "not nmap XML: no <nmaprun> element"));
    }
    if host.is_some() {
        return Err(NetError::file(file, "the document ends inside a <host>"));
    }
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_host_every_field() {
        let x = r#"<?xml version="1.0"?>
<nmaprun scanner="nmap" version="7.94">
<host><status state="up" reason="arp-response"/>
<address addr="192.0.2.7" addrtype="ipv4"/>
<address addr="2001:db8::7" addrtype="ipv6"/>
<address addr="BC:5E:33:01:02:03" addrtype="mac" vendor="Hangzhou Hikvision Digital Technology"/>
<hostnames><hostname name="cam-7.example" type="PTR"/></hostnames>
<ports><port protocol="tcp" portid="80"><state state="open"/>
<service name="http" product="Hikvision IPCam http admin" version="1.0" extrainfo="a &amp; b"/>
<script id="http-server-header" output="App-webs/"/></port>
<port protocol="tcp" portid="37777"><state state="open"/></port></ports>
</host>
<runstats><hosts up="1" down="0" total="1"/></runstats>
</nmaprun>"#;
        let s = parse_nmap(x, "t.xml").unwrap();
        assert_eq!(s.version.as_deref(), Some("7.94"));
        assert_eq!(s.runstats, Some((1, 0, 1)));
        let h = &s.hosts[0];
        assert_eq!(h.source.line, Some(3));
        assert_eq!(h.status.as_deref(), Some("up"));
        assert_eq!(h.ips.len(), 2);
        assert_eq!(h.mac.unwrap().to_string(), "bc:5e:33:01:02:03");
        assert_eq!(
            h.vendor_hint.as_deref(),
            Some("Hangzhou Hikvision Digital Technology")
        );
        assert_eq!(h.hostname.as_deref(), Some("cam-7.example"));
        assert_eq!(h.services.len(), 2);
        assert_eq!(h.services[0].extrainfo.as_deref(), Some("a & b"));
        assert_eq!(
            h.services[0].scripts[0],
            ("http-server-header".into(), "App-webs/".into())
        );
        assert_eq!(h.services[1].port, 37777);
    }

    #[test]
    fn refuses_entities_and_foreign_roots() {
        let e = parse_nmap(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun [<!ENTITY a \"b\">]>\n<nmaprun/>",
            "d.xml",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("DOCTYPE"), "{e}");
        for d in [
            "<!DOCTYPE nmaprun SYSTEM \"file:///etc/passwd\">",
            "<!DOCTYPE nmaprun PUBLIC \"x\" \"y\">",
        ] {
            assert!(
                parse_nmap(&format!("{d}<nmaprun/>"), "d.xml").is_err(),
                "{d}"
            );
        }
        assert!(parse_nmap("<!DOCTYPE nmaprun>\n<nmaprun/>", "ok.xml").is_ok());
        let e = parse_nmap("<nmaprun><host>&x;</host></nmaprun>", "e.xml").unwrap_err();
        assert!(e.message.contains("&x;"), "{e}");
        let e = parse_nmap("<nmaprun><host comment=\"&x;\"/></nmaprun>", "e.xml").unwrap_err();
        assert!(e.message.contains("attribute"), "{e}");
        let e = parse_nmap("<root/>", "r.xml").unwrap_err();
        assert!(e.message.contains("<root>"), "{e}");
        assert!(parse_nmap("", "z.xml").is_err());
        assert!(parse_nmap("<nmaprun><host>", "t.xml").is_err());
        assert!(parse_nmap("<nmaprun><host></nmaprun>", "t.xml").is_err());
        let deep = format!("<nmaprun>{}", "<a>".repeat(100));
        assert!(parse_nmap(&deep, "deep.xml")
            .unwrap_err()
            .message
            .contains("deeper"));
    }

    #[test]
    fn lines_stay_right_across_many_hosts() {
        // line_at counts on from its last answer: every host and a late
        // error must still get the line it is on.
        let mut x = String::from("<nmaprun>\n");
        for i in 0..500 {
            x.push_str(&format!(
                "<host>\n<address addr=\"10.0.{}.{}\" addrtype=\"ipv4\"/>\n</host>\n",
                i / 256,
                i % 256
            ));
        }
        x.push_str("<host>\n<address addr=\"zz\" addrtype=\"mac\"/>\n</host>\n</nmaprun>\n");
        let s = parse_nmap(&x, "many.xml").unwrap();
        assert_eq!(s.hosts.len(), 501);
        for (i, h) in s.hosts.iter().enumerate() {
            assert_eq!(h.source.line, Some(2 + 3 * i), "host {i}");
        }
        assert_eq!(s.errors.len(), 1);
        assert_eq!(s.errors[0].line, Some(2 + 3 * 500 + 1));
    }

    #[test]
    fn bad_addresses_are_located_not_fatal() {
        let s = parse_nmap(
            "<nmaprun>\n<host><address addr=\"zz\" addrtype=\"mac\"/>\n<address addr=\"1.2.3\" addrtype=\"ipv4\"/></host></nmaprun>",
            "b.xml",
        )
        .unwrap();
        assert_eq!(s.hosts.len(), 1);
        assert_eq!(s.errors.len(), 2);
        assert_eq!(s.errors[1].line, Some(3));
    }
}
