//! `scan` end to end over files: every input kind, merging by MAC, the use
//! context, unknowable MACs, banners and located errors.

use std::path::PathBuf;
use uproot_net::mac::MacClass;
use uproot_net::neigh::ProcArp;
use uproot_net::{scan, Coverage, CsvMapping, NetInputs, UseContext, Vendor};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const NMAP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" version="7.94">
<host><status state="up"/>
<address addr="10.20.0.5" addrtype="ipv4"/>
<address addr="BC:5E:33:01:02:03" addrtype="mac" vendor="Hangzhou Hikvision Digital Technology"/>
<ports><port protocol="tcp" portid="80"><state state="open"/><service name="http"/>
<script id="http-server-header" output="App-webs/"/></port></ports>
</host>
<host><status state="up"/>
<address addr="192.168.9.9" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="37777"><state state="open"/></port></ports>
</host>
<host><status state="up"/><address addr="192.168.9.10" addrtype="ipv4"/>
<address addr="DA:A1:19:00:00:01" addrtype="mac"/></host>
<runstats><hosts up="3" down="0" total="3"/></runstats>
</nmaprun>"#;

#[test]
fn every_input_merged_and_judged() {
    let d = tempfile::tempdir().unwrap();
    let nmap = write(&d, "scan.xml", NMAP);
    let csv = write(
        &d,
        "assets.csv",
        "Asset,IP,Hardware Address,Site\ncam-5,10.20.0.5,bc5e.3301.0203,HQ\nrouter,10.9.0.1,80-38-BC-00-00-01,Branch\ndvr,10.30.0.4,74C929000002,Substation\nbad,10.9.0.2,not-a-mac,HQ\n",
    );
    let leases = write(
        &d,
        "dnsmasq.leases",
        "1714600000 9c:06:6e:00:00:07 172.16.0.7 radio-7 *\n1714600001 74:a7:8e:00:00:08 172.16.0.8 * *\n",
    );
    let isc = write(
        &d,
        "dhcpd.leases",
        "lease 10.40.0.9 {\n  hardware ethernet 74:c9:29:00:00:09;\n  client-hostname \"nvr\";\n}\n",
    );
    let arp = write(
        &d,
        "arp",
        "IP address       HW type     Flags       HW address            Mask     Device\n10.20.0.5 0x1 0x2 bc:5e:33:01:02:03 * eth0\n10.0.0.1 0x1 0x2 01:00:5e:00:00:fb * eth0\n",
    );
    let ctx = UseContext::from_toml(
        "[[subnet]]\ncidr = \"10.20.0.0/16\"\nuse = \"government-facility-security\"\n[[subnet]]\ncidr = \"10.40.0.0/16\"\nuse = \"other\"\n[[group]]\nname = \"substation\"\nuse = \"critical-infrastructure\"\n",
        "use.toml",
    )
    .unwrap();
    let inputs = NetInputs {
        nmap: vec![nmap],
        csv: vec![csv],
        dhcp_leases: vec![leases, isc],
        neighbor_sources: vec![Box::new(ProcArp { path: arp })],
        ..NetInputs::default()
    };
    let r = scan(&inputs, &ctx);
    assert_eq!(r.registry_date, uproot_net::REGISTRY_DATE);
    // One located error: the CSV row with a non-MAC.
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert!(
        r.errors[0].to_string().contains("assets.csv:5:"),
        "{}",
        r.errors[0]
    );

    let by = |m: &str| r.findings.iter().find(|f| f.mac.to_string() == m).unwrap();
    let hik = by("bc:5e:33:01:02:03");
    assert_eq!(hik.vendor, Vendor::Hikvision);
    assert_eq!(hik.sources.len(), 3, "nmap + csv + arp merged");
    assert_eq!(hik.coverage, Coverage::Covered);
    assert_eq!(hik.use_match.as_ref().unwrap().from, "subnet 10.20.0.0/16");
    assert_eq!(hik.hostnames, ["cam-5"]);
    assert_eq!(hik.vendor_hints, ["Hangzhou Hikvision Digital Technology"]);
    assert_eq!(hik.corroboration, ["tcp/80 http-server-header: App-webs/"]);

    let huawei = by("80:38:bc:00:00:01");
    assert_eq!(
        (huawei.vendor, huawei.coverage, huawei.condition),
        (Vendor::Huawei, Coverage::Covered, None)
    );
    let zte = by("74:a7:8e:00:00:08");
    assert_eq!((zte.vendor, zte.coverage), (Vendor::Zte, Coverage::Covered));

    let dvr = by("74:c9:29:00:00:02");
    assert_eq!(
        (dvr.vendor, dvr.coverage),
        (Vendor::Dahua, Coverage::Covered)
    );
    assert_eq!(dvr.use_match.as_ref().unwrap().from, "group substation");
    let nvr = by("74:c9:29:00:00:09");
    assert_eq!(nvr.coverage, Coverage::UseNotCovered);
    let radio = by("9c:06:6e:00:00:07");
    assert_eq!(
        (radio.vendor, radio.coverage),
        (Vendor::Hytera, Coverage::PossiblyCovered)
    );
    assert!(radio.condition.unwrap().contains("public safety"));
    assert_eq!(r.findings.len(), 6);

    // The randomised MAC from nmap and the multicast one from ARP.
    let classes: Vec<MacClass> = r.unknowable.iter().map(|u| u.class).collect();
    assert_eq!(
        classes,
        [MacClass::Multicast, MacClass::LocallyAdministered]
    );
    // The MAC-less host with Dahua's SDK port open: a hint, not a finding.
    assert_eq!(r.banner_hints.len(), 1);
    assert_eq!(r.banner_hints[0].vendor, Vendor::Dahua);
    assert_eq!(r.banner_hints[0].ips[0].to_string(), "192.168.9.9");
    // The report serialises.
    let _ = format!("{:?}", r);
}

#[test]
fn bad_files_are_located_errors_and_others_go_on() {
    let d = tempfile::tempdir().unwrap();
    let xxe = write(
        &d,
        "xxe.xml",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE external [\n<!ENTITY ee SYSTEM \"file:///etc/passwd\">\n]>\n<root>&ee;</root>",
    );
    let leases = write(&d, "l.leases", "lease 1.2.3.4 {\n");
    let ok = write(&d, "ok.leases", "1 80:38:bc:00:00:01 10.0.0.1 * *\n");
    let inputs = NetInputs {
        nmap: vec![xxe, d.path().join("missing.xml")],
        csv: vec![write(&d, "c.csv", "a,b\n1,2\n")],
        csv_mapping: CsvMapping::default(),
        dhcp_leases: vec![leases, ok],
        ..NetInputs::default()
    };
    let r = scan(&inputs, &UseContext::default());
    let msgs: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(msgs.len(), 4, "{msgs:?}");
    assert!(msgs[0].contains("xxe.xml:2: a DOCTYPE"), "{}", msgs[0]);
    assert!(msgs[1].contains("missing.xml"), "{}", msgs[1]);
    assert!(msgs[2].contains("c.csv:1: no MAC column"), "{}", msgs[2]);
    assert!(
        msgs[3].contains("l.leases:1: lease block is not closed"),
        "{}",
        msgs[3]
    );
    assert_eq!(r.findings.len(), 1);
}
