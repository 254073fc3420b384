//! DHCPv6 leases written by the real servers: dnsmasq 2.90 and ISC dhcpd
//! 4.4.3 leasing to ISC dhclient -6 over a veth pair whose client end has
//! the Hikvision MAC bc:5e:33:6a:0b:1c (tests/fixtures/dhcp/RECIPE.md).
//! dhclient makes its DUID from that MAC, so the covered vendor must be
//! found from DHCPv6 leases alone, with the DUID named as the MAC's origin.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use uproot_net::leases::parse_leases;
use uproot_net::{scan, Coverage, NetInputs, UseContext, Vendor};

const CLIENT_MAC: &str = "bc:5e:33:6a:0b:1c";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dhcp")
        .join(name)
}

/// The addresses the file itself lists, read with plain text splitting
/// rather than the parser: for dnsmasq the third field of every line whose
/// address is IPv6; for dhcpd every `iaaddr` argument.
fn v6_addresses_in(name: &str) -> Vec<IpAddr> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                ["iaaddr", a, "{"] => a.parse().ok(),
                [_, _, a, _, _] if a.contains(':') => a.parse().ok(),
                _ => None,
            }
        })
        .collect()
}

/// The fixture's devices; a real server's file must read without an error.
fn parse_clean(name: &str) -> Vec<uproot_net::NetDevice> {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let (devices, errors) = parse_leases(&text, name).unwrap();
    assert!(errors.is_empty(), "{name}: {errors:?}");
    devices
}

#[test]
fn dnsmasq_v6_leases_name_the_hikvision_client_by_its_duid() {
    let devices = parse_clean("dnsmasq.leases");
    let v6: Vec<_> = devices.iter().filter(|d| d.ips[0].is_ipv6()).collect();
    let want = v6_addresses_in("dnsmasq.leases");
    // One IA_TA and one IA_NA from the DUID-LL client, one IA_NA from the
    // DUID-LLT client (RECIPE.md).
    assert_eq!(want.len(), 3, "fixture changed? {want:?}");
    assert_eq!(v6.iter().map(|d| d.ips[0]).collect::<Vec<_>>(), want);
    let mut types: Vec<String> = v6
        .iter()
        .map(|d| d.duid.as_ref().unwrap().type_name())
        .collect();
    types.sort();
    assert_eq!(types, ["DUID-LL", "DUID-LL", "DUID-LLT"]);
    for d in &v6 {
        assert_eq!(d.mac.unwrap().to_string(), CLIENT_MAC);
        let from = d.source.mac_from.as_deref().unwrap();
        assert!(from.starts_with("link-layer address in the DHCPv6 client DUID-LL"));
        assert!(from.contains(&d.duid.as_ref().unwrap().hex()), "{from}");
    }
    // The DHCPv4 lease states its MAC: no DUID, no origin note.
    let v4 = devices.iter().find(|d| d.ips[0].is_ipv4()).unwrap();
    assert_eq!(v4.mac.unwrap().to_string(), CLIENT_MAC);
    assert_eq!(
        (v4.duid.as_ref(), v4.source.mac_from.as_ref()),
        (None, None)
    );
}

#[test]
fn dhcpd6_leases_name_the_hikvision_client_by_its_duid() {
    let devices = parse_clean("dhcpd6.leases");
    // ia-na, ia-ta, ia-pd; the server-duid line is no lease.
    assert_eq!(devices.len(), 3, "{devices:?}");
    for d in &devices {
        assert_eq!(d.mac.unwrap().to_string(), CLIENT_MAC);
        assert_eq!(d.duid.as_ref().unwrap().type_name(), "DUID-LLT");
        assert_eq!(d.status.as_deref(), Some("active"));
        assert!(d.source.mac_from.as_deref().unwrap().contains("DUID-LLT"));
    }
    let addrs: Vec<IpAddr> = devices.iter().flat_map(|d| d.ips.clone()).collect();
    assert_eq!(addrs, v6_addresses_in("dhcpd6.leases"));
    assert_eq!(addrs.len(), 2);
    // The delegated /56 comes from the `prefix6 2001:db8:88a:: … /56` pool.
    let pd: Vec<&String> = devices.iter().flat_map(|d| &d.prefixes).collect();
    assert_eq!(pd.len(), 1);
    assert!(
        pd[0].starts_with("2001:db8:88a:") && pd[0].ends_with("/56"),
        "{pd:?}"
    );
}

#[test]
fn scan_merges_v4_and_v6_leases_into_one_hikvision_finding() {
    let r = scan(
        &NetInputs {
            dhcp_leases: vec![fixture("dnsmasq.leases"), fixture("dhcpd6.leases")],
            ..NetInputs::default()
        },
        &UseContext::default(),
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
    let f = &r.findings[0];
    assert_eq!(f.mac.to_string(), CLIENT_MAC);
    assert_eq!(f.vendor, Vendor::Hikvision);
    assert_eq!(f.coverage, Coverage::PossiblyCovered);
    let dnsmasq = std::fs::read_to_string(fixture("dnsmasq.leases")).unwrap();
    let v4 = dnsmasq.lines().next().unwrap().split_whitespace().nth(2);
    let mut want: Vec<IpAddr> = vec![v4.unwrap().parse().unwrap()];
    want.extend(v6_addresses_in("dnsmasq.leases"));
    want.extend(v6_addresses_in("dhcpd6.leases"));
    let mut got = f.ips.clone();
    got.sort();
    want.sort();
    want.dedup();
    assert_eq!(got, want);
    assert!(f.hostnames.contains(&"ds-2cd2143g0-i".to_string()));
    // One source per lease; only the DHCPv4 one read the MAC directly.
    assert_eq!(f.sources.len(), 7);
    let direct: Vec<_> = f.sources.iter().filter(|s| s.mac_from.is_none()).collect();
    assert_eq!(direct.len(), 1);
    assert!(direct[0].file.ends_with("dnsmasq.leases") && direct[0].line == Some(1));
}

/// Every prefix of the real files, and each with one byte flipped: never a
/// panic, every error located, and a MAC said to come from a DUID is the
/// one that DUID embeds (what the fuzz target checks, on the real shapes).
#[test]
fn cut_and_corrupted_real_files_are_reported_not_panicked() {
    for name in ["dnsmasq.leases", "dhcpd6.leases"] {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let mut inputs: Vec<String> = (0..text.len())
            .filter(|i| text.is_char_boundary(*i))
            .map(|i| text[..i].to_string())
            .collect();
        for (i, c) in text.char_indices().step_by(3) {
            for with in ['\\', '"', '{', ':', '7', 'x', '\n'] {
                inputs.push(format!("{}{with}{}", &text[..i], &text[i + c.len_utf8()..]));
            }
        }
        for t in &inputs {
            match parse_leases(t, name) {
                Ok((devices, errors)) => {
                    assert!(errors.iter().all(|e| e.file == name && e.line.is_some()));
                    for d in &devices {
                        if d.source.mac_from.is_some() {
                            assert_eq!(d.mac, d.duid.as_ref().and_then(|u| u.mac()), "{t}");
                        }
                    }
                }
                Err(e) => assert_eq!(e.file, name),
            }
        }
    }
}
