//! DHCP leases (ISC dhcpd and dnsmasq), asset CSV and /proc/net/arp
//! readers (uproot-net): never panic; errors name the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uproot_net::{assets, leases, neigh, CsvMapping};

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
                // still evidence), but never without a located error.
                assert!(devices.iter().all(|d| !d.ips.is_empty()) || !errors.is_empty());
            }
            Err(e) => assert_eq!(e.file, "dhcpd.leases"),
        }
    }
    if let Err(e) = assets::parse_assets(&text, "assets.csv", &CsvMapping::default()) {
        assert_eq!(e.file, "assets.csv");
    }
    let _ = neigh::parse_proc_arp(&text, "/proc/net/arp");
    let mut out = Vec::new();
    let _ = neigh::parse_neigh_dump(data, &|i| format!("if{i}"), &mut out);
});
