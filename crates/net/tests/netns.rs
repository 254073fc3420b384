//! A real neighbour table: two network namespaces joined by a veth pair,
//! one end carrying a Hikvision MAC. The reader runs inside the other
//! namespace (`ip netns exec`, re-running this test binary) and must find
//! and match it, over netlink (IPv4 and IPv6) and /proc/net/arp.
//!
//! Needs root and iproute2 (`scripts/ci-services` installs iproute2). Without
//! them the test fails loudly; `UPROOT_SKIP_NETNS=1` turns that into a
//! printed skip for unprivileged developer machines (never set in CI). All traffic
//! stays inside the two namespaces the test creates; a guard deletes them
//! even when an assertion fails.

use std::process::Command;
use uproot_net::neigh::{NeighborSource, Netlink, ProcArp};
use uproot_net::{scan, Coverage, NetInputs, UseContext, Vendor};

const CHILD_ENV: &str = "UPROOT_NETNS_CHILD";

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Deletes the namespaces (and with them the veth pair) on drop.
struct Namespaces(Vec<String>);

impl Drop for Namespaces {
    fn drop(&mut self) {
        for n in &self.0 {
            let _ = ip(&["netns", "del", n]);
        }
    }
}

fn unavailable(why: &str) {
    if std::env::var_os("UPROOT_SKIP_NETNS").is_none() {
        panic!(
            "network-namespace test needs root and iproute2: {why} \
             (run scripts/ci-services; UPROOT_SKIP_NETNS=1 skips it on purpose)"
        );
    }
    eprintln!("skipped on request (UPROOT_SKIP_NETNS): {why}");
}

#[test]
fn neighbour_table_in_a_namespace_finds_the_hikvision_mac() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return; // we are the child; see child_reads_neighbours
    }
    let is_root = std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    if !is_root {
        return unavailable("not root");
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return unavailable("iproute2 `ip` is not installed");
    }
    let pid = std::process::id();
    let tag = format!("{:x}", pid % 0xfffff);
    let (a, b) = (format!("uproot-net-{tag}-a"), format!("uproot-net-{tag}-b"));
    let (va, vb) = (format!("upn{tag}a"), format!("upn{tag}b"));
    let guard = Namespaces(vec![]);
    let mut guard = guard;
    if let Err(e) = ip(&["netns", "add", &a]) {
        return unavailable(&e);
    }
    guard.0.push(a.clone());
    ip(&["netns", "add", &b]).unwrap();
    guard.0.push(b.clone());
    let mac = format!(
        "bc:5e:33:{:02x}:{:02x}:{:02x}",
        (pid >> 16) & 0xff,
        (pid >> 8) & 0xff,
        pid & 0xff
    );
    let net = format!("10.213.{}", pid % 250);
    let (ip_a, ip_b) = (format!("{net}.1"), format!("{net}.2"));
    let v6 = format!("fd00:75:{:x}", pid % 0xffff);
    let (ip6_a, ip6_b) = (format!("{v6}::1"), format!("{v6}::2"));
    for cmd in [
        vec![
            "link", "add", &va, "netns", &a, "type", "veth", "peer", "name", &vb, "netns", &b,
        ],
        vec!["-n", &b, "link", "set", &vb, "address", &mac],
        vec!["-n", &a, "addr", "add", &format!("{ip_a}/24"), "dev", &va],
        vec!["-n", &b, "addr", "add", &format!("{ip_b}/24"), "dev", &vb],
        vec!["-n", &a, "link", "set", "lo", "up"],
        vec!["-n", &b, "link", "set", "lo", "up"],
        vec!["-n", &a, "link", "set", &va, "up"],
        vec!["-n", &b, "link", "set", &vb, "up"],
    ] {
        let owned: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
        let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
        ip(&refs).unwrap();
    }
    // IPv6 is optional (some kernels boot with it disabled).
    let has_v6 = ip(&[
        "-n",
        &a,
        "addr",
        "add",
        &format!("{ip6_a}/64"),
        "dev",
        &va,
        "nodad",
    ])
    .is_ok()
        && ip(&[
            "-n",
            &b,
            "addr",
            "add",
            &format!("{ip6_b}/64"),
            "dev",
            &vb,
            "nodad",
        ])
        .is_ok();
    // Ping from A when ping is installed; the child also sends UDP, which
    // makes the kernel resolve the neighbour either way.
    let pinged = Command::new("ip")
        .args(["netns", "exec", &a, "ping", "-c", "1", "-W", "2", &ip_b])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("ip")
        .args(["netns", "exec", &a])
        .arg(&exe)
        .args([
            "child_reads_neighbours",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("UPROOT_NETNS_PEER4", &ip_b)
        .env(
            "UPROOT_NETNS_PEER6",
            if has_v6 { ip6_b.as_str() } else { "" },
        )
        .env("UPROOT_NETNS_MAC", &mac)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("NETNS-CHILD-OK"),
        "child failed (pinged: {pinged}, ipv6: {has_v6}):\n{stdout}\n{stderr}"
    );
    eprintln!("pinged with ping: {pinged}; ipv6: {has_v6}");
    drop(guard);
    assert!(
        !String::from_utf8_lossy(
            &Command::new("ip")
                .args(["netns", "list"])
                .output()
                .unwrap()
                .stdout
        )
        .contains(&a),
        "namespace {a} was not removed"
    );
}

/// Runs inside namespace A (started by the test above).
#[test]
fn child_reads_neighbours() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let peer4 = std::env::var("UPROOT_NETNS_PEER4").unwrap();
    let peer6 = std::env::var("UPROOT_NETNS_PEER6").unwrap();
    let mac = std::env::var("UPROOT_NETNS_MAC").unwrap();
    let mut peers = vec![peer4.clone()];
    if !peer6.is_empty() {
        peers.push(peer6.clone());
    }
    // Send until the kernel has a usable entry for every peer (ARP / NDP).
    let mut entries = Vec::new();
    for _ in 0..50 {
        for p in &peers {
            let bind = if p.contains(':') {
                "[::]:0"
            } else {
                "0.0.0.0:0"
            };
            let s = std::net::UdpSocket::bind(bind).unwrap();
            let addr = if p.contains(':') {
                format!("[{p}]:9")
            } else {
                format!("{p}:9")
            };
            let _ = s.send_to(b"uproot", addr);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        entries = Netlink.read().unwrap();
        if peers
            .iter()
            .all(|p| entries.iter().any(|e| e.ip.to_string() == *p))
        {
            break;
        }
    }
    for p in &peers {
        let e = entries
            .iter()
            .find(|e| e.ip.to_string() == *p)
            .unwrap_or_else(|| panic!("no neighbour entry for {p}: {entries:?}"));
        assert_eq!(e.mac.to_string(), mac);
        assert!(e.interface.starts_with("upn"), "{}", e.interface);
    }
    let arp = ProcArp::default().read().unwrap();
    assert!(
        arp.iter()
            .any(|e| e.ip.to_string() == peer4 && e.mac.to_string() == mac),
        "{arp:?}"
    );

    // What `uproot net --neighbors` does.
    let r = scan(
        &NetInputs {
            live_neighbors: true,
            ..NetInputs::default()
        },
        &UseContext::default(),
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert!(r.notes.is_empty(), "netlink fell back: {:?}", r.notes);
    let f = r
        .findings
        .iter()
        .find(|f| f.mac.to_string() == mac)
        .unwrap_or_else(|| panic!("not matched: {:?}", r.findings));
    assert_eq!(f.vendor, Vendor::Hikvision);
    assert_eq!(f.prefix, "BC5E33");
    assert_eq!(f.coverage, Coverage::PossiblyCovered);
    assert!(f.condition.is_some());
    assert_eq!(f.ips.len(), peers.len());
    println!("NETNS-CHILD-OK {} {:?}", f.mac, f.ips);
}
