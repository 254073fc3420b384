//! DHCP leases (ISC dhcpd and dnsmasq, DHCPv4 and DHCPv6 with their
//! DUIDs), asset CSV and /proc/net/arp readers (uproot-net): never panic;
//! errors name the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_net::{assets, leases, mac::Duid, neigh, CsvMapping};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for r in [
        leases::parse_leases(&text, "dhcpd.leases"),
        leases::parse_isc(&text, "dhcpd.leases"),
        Ok(leases::parse_dnsmasq(&text, "dhcpd.leases")),
    ] {
        match r {
            Ok((devices, errors)) => {
                assert!(errors
                    .iter()
                    .all(|e| e.file == "dhcpd.leases" && e.line.is_some()));
                // A lease whose address does not parse is kept (its MAC is
                // still evidence), but never without a located error; a
                // DHCPv6 lease may hold only a delegated prefix, or (all its
                // addresses released) only its client DUID.
                assert!(
                    devices
                        .iter()
                        .all(|d| !d.ips.is_empty() || !d.prefixes.is_empty() || d.duid.is_some())
                        || !errors.is_empty()
                );
                // A MAC said to come from a DUID is the one that DUID embeds.
                for d in &devices {
                    if d.source.mac_from.is_some() {
                        assert_eq!(d.mac, d.duid.as_ref().and_then(Duid::mac));
                    }
                }
            }
            Err(e) => assert_eq!(e.file, "dhcpd.leases"),
        }
    }
    if let Err(e) = assets::parse_assets(&text, "assets.csv", &CsvMapping::default()) {
        assert_eq!(e.file, "assets.csv");
    }
    // Raw DUID octets: only LL/LLT over Ethernet (hardware type 1) give a MAC.
    if let Ok(d) = Duid::from_bytes(data) {
        if d.mac().is_some() {
            assert_eq!(d.hardware_type(), Some(1));
        }
        let _ = d.to_string();
    }
    let _ = neigh::parse_proc_arp(&text, "/proc/net/arp");
    let mut out = Vec::new();
    let _ = neigh::parse_neigh_dump(data, &|i| format!("if{i}"), &mut out);
});
