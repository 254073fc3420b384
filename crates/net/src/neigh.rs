//! The live neighbour table: the kernel's ARP (IPv4) and NDP (IPv6) cache.
//!
//! [`Netlink`] sends one `RTM_GETNEIGH` dump request and parses the reply
//! itself ([`parse_neigh_dump`], pure, tested on bytes); [`ProcArp`] reads
//! `/proc/net/arp` (IPv4 only). [`Live`] tries netlink and falls back to
//! the proc file. Both read the network namespace of the calling thread,
//! so `ip netns exec NS uproot net --neighbors` reads NS's table.

use crate::device::{NetDevice, SourceKind};
use crate::error::NetError;
use crate::mac::Mac;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

/// One neighbour-table entry with a link-layer address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Neighbor {
    /// The neighbour's IP.
    pub ip: IpAddr,
    /// Its hardware address.
    pub mac: Mac,
    /// Interface name (or `if<N>` when the name is unknown).
    pub interface: String,
    /// `REACHABLE`, `STALE`, `PERMANENT`, … (netlink) or `flags 0x2` (proc).
    pub state: String,
}

impl Neighbor {
    /// As a device record from `source`.
    pub fn to_device(&self, source: &str) -> NetDevice {
        let mut d = NetDevice::new(SourceKind::Neighbors, source, None);
        d.mac = Some(self.mac);
        d.ips.push(self.ip);
        d.interface = Some(self.interface.clone());
        d.status = Some(self.state.clone());
        d
    }
}

/// Anything that yields neighbour entries: the kernel, a proc file, a test.
pub trait NeighborSource {
    /// Shown as the device's source file.
    fn label(&self) -> String;
    /// Read the table.
    fn read(&self) -> Result<Vec<Neighbor>, NetError>;
}

/// `/proc/net/arp` (or a copy of it at another path).
#[derive(Debug, Clone)]
pub struct ProcArp {
    /// Usually `/proc/net/arp`.
    pub path: PathBuf,
}

impl Default for ProcArp {
    fn default() -> Self {
        ProcArp {
            path: PathBuf::from("/proc/net/arp"),
        }
    }
}

impl NeighborSource for ProcArp {
    fn label(&self) -> String {
        self.path.display().to_string()
    }
    fn read(&self) -> Result<Vec<Neighbor>, NetError> {
        let text = crate::error::read_text(&self.path)?;
        parse_proc_arp(&text, &self.label())
    }
}

/// Parse `/proc/net/arp`. Incomplete entries (flags 0, all-zero address)
/// are skipped.
pub fn parse_proc_arp(text: &str, file: &str) -> Result<Vec<Neighbor>, NetError> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.starts_with("IP address") => {}
        _ => {
            return Err(NetError::at(
                file,
                1,
                "not /proc/net/arp: expected the 'IP address' header",
            ))
        }
    }
    let mut out = Vec::new();
    for (i, l) in lines {
        let f: Vec<&str> = l.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 6 {
            return Err(NetError::at(file, i + 1, "expected 6 columns"));
        }
        let ip: Ipv4Addr = f[0]
            .parse()
            .map_err(|_| NetError::at(file, i + 1, format!("{:?} is not an IPv4 address", f[0])))?;
        let flags = u32::from_str_radix(f[2].trim_start_matches("0x"), 16)
            .map_err(|_| NetError::at(file, i + 1, format!("bad flags {:?}", f[2])))?;
        // ATF_COM (0x2): the entry is complete.
        if flags & 0x2 == 0 {
            continue;
        }
        let Some(mac) = Mac::parse(f[3]) else {
            // Non-Ethernet hardware (e.g. 20-byte InfiniBand) or all zeros.
            continue;
        };
        out.push(Neighbor {
            ip: IpAddr::V4(ip),
            mac,
            interface: f[5].to_string(),
            state: format!("flags {}", f[2]),
        });
    }
    Ok(out)
}

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWNEIGH: u16 = 28;
const RTM_GETNEIGH: u16 = 30;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;
const AF_INET: u8 = 2;
const AF_INET6: u8 = 10;
const NUD_INCOMPLETE: u16 = 0x01;
const NUD_FAILED: u16 = 0x20;

/// The `RTM_GETNEIGH` dump request for all address families.
pub fn getneigh_request(seq: u32) -> Vec<u8> {
    let mut b = Vec::with_capacity(28);
    b.extend_from_slice(&28u32.to_ne_bytes());
    b.extend_from_slice(&RTM_GETNEIGH.to_ne_bytes());
    b.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes());
    // struct ndmsg: family AF_UNSPEC, padding, ifindex 0, state, flags, type.
    b.extend_from_slice(&[0u8; 12]);
    b
}

fn state_name(s: u16) -> String {
    let names = [
        (0x01, "INCOMPLETE"),
        (0x02, "REACHABLE"),
        (0x04, "STALE"),
        (0x08, "DELAY"),
        (0x10, "PROBE"),
        (0x20, "FAILED"),
        (0x40, "NOARP"),
        (0x80, "PERMANENT"),
    ];
    let v: Vec<&str> = names
        .iter()
        .filter(|(b, _)| s & b != 0)
        .map(|(_, n)| *n)
        .collect();
    if v.is_empty() {
        "NONE".into()
    } else {
        v.join("|")
    }
}

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

/// Parse one datagram of an `RTM_GETNEIGH` dump. Appends entries that have
/// an Ethernet address; returns `Ok(true)` once `NLMSG_DONE` is seen. Errors
/// name the message by its index in the datagram. `ifname` maps an
/// interface index to a name.
pub fn parse_neigh_dump(
    buf: &[u8],
    ifname: &dyn Fn(u32) -> String,
    out: &mut Vec<Neighbor>,
) -> Result<bool, String> {
    let mut off = 0usize;
    let mut n = 0usize;
    while off + 16 <= buf.len() {
        n += 1;
        let len = u32_at(buf, off).unwrap_or(0) as usize;
        let ty = u16_at(buf, off + 4).unwrap_or(0);
        if len < 16 || off + len > buf.len() {
            return Err(format!("message {n}: length {len} runs past the datagram"));
        }
        let body = &buf[off + 16..off + len];
        match ty {
            NLMSG_DONE => return Ok(true),
            NLMSG_ERROR => {
                let code = body
                    .get(..4)
                    .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                    .unwrap_or(-1);
                if code != 0 {
                    return Err(format!(
                        "message {n}: kernel error {}",
                        std::io::Error::from_raw_os_error(-code)
                    ));
                }
            }
            RTM_NEWNEIGH => {
                if body.len() < 12 {
                    return Err(format!("message {n}: ndmsg shorter than 12 bytes"));
                }
                let family = body[0];
                let ifindex = u32_at(body, 4).unwrap_or(0);
                let state = u16_at(body, 8).unwrap_or(0);
                let mut ip = None;
                let mut mac = None;
                let mut a = 12usize;
                while a + 4 <= body.len() {
                    let alen = usize::from(u16_at(body, a).unwrap_or(0));
                    let aty = u16_at(body, a + 2).unwrap_or(0) & 0x3fff;
                    if alen < 4 || a + alen > body.len() {
                        return Err(format!("message {n}: attribute length {alen} is invalid"));
                    }
                    let v = &body[a + 4..a + alen];
                    match (aty, family, v.len()) {
                        (NDA_DST, AF_INET, 4) => {
                            ip = Some(IpAddr::V4(Ipv4Addr::new(v[0], v[1], v[2], v[3])))
                        }
                        (NDA_DST, AF_INET6, 16) => {
                            let o: [u8; 16] = v.try_into().unwrap_or([0; 16]);
                            ip = Some(IpAddr::V6(Ipv6Addr::from(o)));
                        }
                        (NDA_LLADDR, _, 6) => mac = Some(Mac([v[0], v[1], v[2], v[3], v[4], v[5]])),
                        _ => {}
                    }
                    a += (alen + 3) & !3;
                }
                let usable = state & (NUD_INCOMPLETE | NUD_FAILED) == 0;
                if let (Some(ip), Some(mac), true) = (ip, mac, usable) {
                    if mac.0 != [0; 6] {
                        out.push(Neighbor {
                            ip,
                            mac,
                            interface: ifname(ifindex),
                            state: state_name(state),
                        });
                    }
                }
            }
            _ => {}
        }
        off += (len + 3) & !3;
    }
    Ok(false)
}

/// Interface index → name from `/sys/class/net/*/ifindex`, read per call
/// (ip netns exec mounts the namespace's own sysfs).
fn sys_ifname(idx: u32) -> String {
    let found = std::fs::read_dir("/sys/class/net").ok().and_then(|rd| {
        rd.flatten().find_map(|e| {
            let i = std::fs::read_to_string(e.path().join("ifindex")).ok()?;
            (i.trim().parse::<u32>().ok()? == idx)
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
    });
    found.unwrap_or_else(|| format!("if{idx}"))
}

/// The kernel neighbour table over rtnetlink (IPv4 and IPv6).
#[derive(Debug, Clone, Copy, Default)]
pub struct Netlink;

impl NeighborSource for Netlink {
    fn label(&self) -> String {
        "netlink:RTM_GETNEIGH".into()
    }

    #[cfg(target_os = "linux")]
    fn read(&self) -> Result<Vec<Neighbor>, NetError> {
        use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};
        let e = |m: String| NetError::file(self.label(), m);
        let mut s = Socket::new(NETLINK_ROUTE).map_err(|x| e(format!("socket: {x}")))?;
        s.bind_auto().map_err(|x| e(format!("bind: {x}")))?;
        s.send_to(&getneigh_request(1), &SocketAddr::new(0, 0), 0)
            .map_err(|x| e(format!("send: {x}")))?;
        let mut out = Vec::new();
        let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
        // A dump of a million entries is far beyond any real table.
        for _ in 0..100_000 {
            buf.clear();
            let (n, _) = s
                .recv_from(&mut buf, 0)
                .map_err(|x| e(format!("recv: {x}")))?;
            if n > buf.len() {
                return Err(e(format!("datagram of {n} bytes truncated")));
            }
            if parse_neigh_dump(&buf, &sys_ifname, &mut out).map_err(e)? {
                return Ok(out);
            }
        }
        Err(e("the dump did not end".into()))
    }

    #[cfg(not(target_os = "linux"))]
    fn read(&self) -> Result<Vec<Neighbor>, NetError> {
        Err(NetError::file(self.label(), "netlink exists only on Linux"))
    }
}

/// Netlink first; `/proc/net/arp` when netlink fails (the netlink error is
/// then returned beside the entries).
#[derive(Debug, Clone, Default)]
pub struct Live;

impl Live {
    /// Entries, the source that produced them, and any netlink error.
    pub fn read_with_fallback(
        &self,
    ) -> (Result<Vec<Neighbor>, NetError>, String, Option<NetError>) {
        match Netlink.read() {
            Ok(v) => (Ok(v), Netlink.label(), None),
            Err(e) => {
                let p = ProcArp::default();
                (p.read(), p.label(), Some(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_arp() {
        let t = "IP address       HW type     Flags       HW address            Mask     Device\n\
                 192.168.1.1      0x1         0x2         bc:5e:33:aa:bb:cc     *        eth0\n\
                 192.168.1.9      0x1         0x0         00:00:00:00:00:00     *        eth0\n\
                 10.0.0.2         0x1         0x6         80:38:bc:00:00:01     *        br0\n";
        let v = parse_proc_arp(t, "/proc/net/arp").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].mac.to_string(), "bc:5e:33:aa:bb:cc");
        assert_eq!(v[1].interface, "br0");
        assert_eq!(parse_proc_arp("x\n", "p").unwrap_err().line, Some(1));
        let e = parse_proc_arp("IP address\nzz 0x1 0x2 a * e\n", "p").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(
            parse_proc_arp("IP address\n1.2.3.4 0x1\n", "p")
                .unwrap_err()
                .line,
            Some(2)
        );
    }

    fn msg(ty: u16, body: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&(16 + body.len() as u32).to_ne_bytes());
        m.extend_from_slice(&ty.to_ne_bytes());
        m.extend_from_slice(&[0u8; 10]);
        m.extend_from_slice(body);
        while m.len() % 4 != 0 {
            m.push(0);
        }
        m
    }

    fn neigh(family: u8, ifindex: u32, state: u16, dst: &[u8], ll: Option<&[u8]>) -> Vec<u8> {
        let mut b = vec![family, 0, 0, 0];
        b.extend_from_slice(&ifindex.to_ne_bytes());
        b.extend_from_slice(&state.to_ne_bytes());
        b.extend_from_slice(&[0, 1]);
        let mut attr = |ty: u16, v: &[u8]| {
            b.extend_from_slice(&(4 + v.len() as u16).to_ne_bytes());
            b.extend_from_slice(&ty.to_ne_bytes());
            b.extend_from_slice(v);
            while b.len() % 4 != 0 {
                b.push(0);
            }
        };
        attr(NDA_DST, dst);
        if let Some(l) = ll {
            attr(NDA_LLADDR, l);
        }
        b
    }

    #[test]
    fn dump_v4_v6_and_states() {
        let hik = [0xbc, 0x5e, 0x33, 1, 2, 3];
        let mut buf = msg(
            RTM_NEWNEIGH,
            &neigh(AF_INET, 2, 0x02, &[10, 0, 0, 2], Some(&hik)),
        );
        let v6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];
        buf.extend(msg(
            RTM_NEWNEIGH,
            &neigh(AF_INET6, 3, 0x04, &v6, Some(&hik)),
        ));
        buf.extend(msg(
            RTM_NEWNEIGH,
            &neigh(AF_INET, 2, NUD_INCOMPLETE, &[10, 0, 0, 3], None),
        ));
        buf.extend(msg(
            RTM_NEWNEIGH,
            &neigh(AF_INET, 2, NUD_FAILED, &[10, 0, 0, 4], Some(&hik)),
        ));
        let mut out = Vec::new();
        let name = |i: u32| format!("eth{i}");
        assert!(!parse_neigh_dump(&buf, &name, &mut out).unwrap());
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].ip.to_string(), "10.0.0.2");
        assert_eq!(out[0].state, "REACHABLE");
        assert_eq!(out[0].interface, "eth2");
        assert_eq!(out[1].ip.to_string(), "2001:db8::9");
        assert!(parse_neigh_dump(&msg(NLMSG_DONE, &[0; 4]), &name, &mut out).unwrap());
        let err = parse_neigh_dump(&msg(NLMSG_ERROR, &(-1i32).to_ne_bytes()), &name, &mut out);
        assert!(err.unwrap_err().contains("message 1"));
        let mut bad = msg(RTM_NEWNEIGH, &neigh(AF_INET, 2, 2, &[1, 2, 3, 4], None));
        bad[0] = 200;
        assert!(parse_neigh_dump(&bad, &name, &mut out).is_err());
        let mut bad = msg(RTM_NEWNEIGH, &neigh(AF_INET, 2, 2, &[1, 2, 3, 4], None));
        bad[28] = 200;
        assert!(parse_neigh_dump(&bad, &name, &mut out)
            .unwrap_err()
            .contains("attribute"));
        assert_eq!(getneigh_request(7).len(), 28);
    }
}
