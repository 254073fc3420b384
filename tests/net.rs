//! End-to-end: `uproot net` on nmap XML, an asset CSV and DHCP leases, with
//! use tags deciding whether conditionally covered vendors are covered.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn uproot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_uproot"))
        .args(args)
        .output()
        .expect("run uproot")
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)))
}

/// The JSON report of a run that must exit 1 (covered equipment found).
fn affected(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    json(o)
}

const NMAP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<nmaprun scanner="nmap" args="nmap -sn 10.20.0.0/24" start="1764400000" version="7.93" xmloutputversion="1.05">
<host><status state="up" reason="arp-response"/>
<address addr="10.20.0.7" addrtype="ipv4"/><address addr="BC:5E:33:12:34:56" addrtype="mac" vendor="Hikvision"/>
<hostnames><hostname name="cam-lobby" type="PTR"/></hostnames></host>
<host><status state="up" reason="arp-response"/>
<address addr="10.30.0.9" addrtype="ipv4"/><address addr="74:C9:29:AA:BB:CC" addrtype="mac"/></host>
<host><status state="up" reason="arp-response"/>
<address addr="10.30.0.10" addrtype="ipv4"/><address addr="02:42:AC:11:00:02" addrtype="mac"/></host>
<host><status state="up" reason="arp-response"/>
<address addr="10.30.0.11" addrtype="ipv4"/><address addr="00:1B:21:01:02:03" addrtype="mac" vendor="Intel Corporate"/></host>
<runstats><finished time="1764400010"/><hosts up="4" down="252" total="256"/></runstats>
</nmaprun>
"#;

const CONTEXT: &str = r#"[[subnet]]
cidr = "10.20.0.0/16"
use = "public-safety"
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn covered_devices_are_found_with_their_use_condition() {
    let tmp = tempfile::tempdir().unwrap();
    let nmap = write(tmp.path(), "scan.xml", NMAP);
    let ctx = write(tmp.path(), "uses.toml", CONTEXT);
    let csv = write(
        tmp.path(),
        "assets.csv",
        "Asset,Hardware Address,IP\nrouter-1,80-38-BC-00-11-22,10.40.0.1\nlaptop,00:1b:21:aa:bb:cc,10.40.0.2\n",
    );
    let leases = write(
        tmp.path(),
        "dhcpd.leases",
        "lease 10.50.0.5 {\n  starts 4 2026/11/26 10:00:00;\n  hardware ethernet 9c:06:6e:01:02:03;\n  client-hostname \"radio-gw\";\n}\n",
    );
    let out = uproot(&[
        "net",
        "--nmap",
        nmap.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--csv-map",
        "mac=Hardware Address,ip=IP,name=Asset",
        "--dhcp-leases",
        leases.to_str().unwrap(),
        "--context",
        ctx.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let r = affected(&out);
    let f = r["findings"].as_array().unwrap();
    let by = |v: &str| {
        f.iter()
            .find(|x| x["vendor"] == v)
            .unwrap_or_else(|| panic!("no {v} finding: {f:#?}"))
    };
    let hik = by("hikvision");
    assert_eq!(hik["kind"], "mac-oui");
    assert_eq!(hik["evidence"]["key"], "bc:5e:33:12:34:56");
    assert_eq!(hik["evidence"]["detail"]["coverage"], "covered", "{hik:#}");
    assert!(hik["evidence"]["detail"]["ips"]
        .as_str()
        .unwrap()
        .contains("10.20.0.7"));
    let dahua = by("dahua");
    assert_eq!(
        dahua["evidence"]["detail"]["coverage"], "possibly-covered",
        "{dahua:#}"
    );
    assert!(
        dahua["condition"].is_string(),
        "the FCC use condition travels with it"
    );
    let huawei = by("huawei");
    assert_eq!(huawei["evidence"]["detail"]["coverage"], "covered");
    assert!(huawei["evidence"]["source"]
        .as_str()
        .unwrap()
        .contains("assets.csv"));
    let hytera = by("hytera");
    assert!(hytera["evidence"]["source"]
        .as_str()
        .unwrap()
        .contains("dhcpd.leases"));
    assert_eq!(
        f.len(),
        4,
        "Intel and the randomised MAC must not match: {f:#?}"
    );
    // The randomised address is listed, unmatched, not dropped.
    let devices = r["inventory"]["network_devices"].as_array().unwrap();
    assert!(devices.iter().any(|d| d["mac"] == "02:42:ac:11:00:02"
        && d["coverage"].as_str().unwrap().starts_with("unknowable")));
    assert!(r["catalog"]["version"]
        .as_str()
        .unwrap()
        .contains("IEEE registry"));
}

#[test]
fn entity_attacks_and_bad_files_are_errors_naming_the_file() {
    // libnmap's defusedxml attack files: a DOCTYPE with entities, and an
    // XInclude document that is not nmap output at all.
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/libnmap/libnmap/test/files");
    assert!(
        dir.exists(),
        "shared corpora must sit beside the repository"
    );
    let mut messages = Vec::new();
    for name in ["defused_et_local_includer.xml", "defused_et_included.xml"] {
        let file = dir.join(name);
        let out = uproot(&["net", "--nmap", file.to_str().unwrap(), "--format", "json"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let r = json(&out);
        let e = &r["errors"][0];
        assert_eq!(e["source"], file.to_str().unwrap());
        let m = e["message"].as_str().unwrap().to_owned();
        assert!(m.contains(&format!("{name}:")), "no line in {m}");
        messages.push(m.to_lowercase());
    }
    assert!(messages[0].contains("doctype"), "{messages:?}");
    assert!(messages[1].contains("not nmap xml"), "{messages:?}");

    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.leases");
    let out = uproot(&[
        "net",
        "--dhcp-leases",
        missing.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nope.leases"));
}

#[test]
fn oui_update_refreshes_the_table_and_refuses_an_older_registry() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("state");
    let ieee = tmp.path().join("ieee");
    std::fs::create_dir_all(&ieee).unwrap();
    // A block the built-in table does not have, registered to Hikvision.
    std::fs::write(
        ieee.join("oui.csv"),
        "Registry,Assignment,Organization Name,Organization Address\n\
         MA-L,F0F0F0,Hangzhou Hikvision Digital Technology Co.,Ltd.,\"No.555 Qianmo Road Hangzhou CN 310051\"\n\
         MA-L,0A0B0C,Example Corp,\"1 Road\"\n",
    )
    .unwrap();
    let leases = write(
        tmp.path(),
        "leases",
        "1764151200 f0:f0:f0:01:02:03 10.0.0.6 cam *\n",
    );
    let net = |state: &Path| {
        Command::new(env!("CARGO_BIN_EXE_uproot"))
            .env("UPROOT_STATE_DIR", state)
            .args([
                "net",
                "--dhcp-leases",
                leases.to_str().unwrap(),
                "--format",
                "json",
            ])
            .output()
            .unwrap()
    };
    assert_eq!(
        net(&state).status.code(),
        Some(0),
        "not in the built-in table"
    );
    let up = Command::new(env!("CARGO_BIN_EXE_uproot"))
        .env("UPROOT_STATE_DIR", &state)
        .args(["catalog", "oui-update", "--ieee", ieee.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let after = net(&state);
    assert_eq!(after.status.code(), Some(1));
    let r = json(&after);
    assert_eq!(r["findings"][0]["vendor"], "hikvision");

    // A registry dated before the built-in one is refused unless asked for.
    let old = tmp.path().join("old");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::copy(ieee.join("oui.csv"), old.join("oui.csv")).unwrap();
    let f = std::fs::File::options()
        .write(true)
        .open(old.join("oui.csv"))
        .unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_500_000_000))
        .unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_uproot"))
        .env("UPROOT_STATE_DIR", tmp.path().join("state2"))
        .args(["catalog", "oui-update", "--ieee", old.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("older than the built-in"));
}

/// A DHCPv6-only device (the ISC `dhcpd -6` leases made by the fixture
/// recipe in crates/net/tests/fixtures/dhcp/) is found through the MAC in
/// its client DUID, and the report says that is where the MAC came from.
#[test]
fn a_dhcpv6_lease_is_matched_through_its_duid() {
    let leases =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/net/tests/fixtures/dhcp/dhcpd6.leases");
    let o = uproot(&[
        "net",
        "--dhcp-leases",
        leases.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let r = affected(&o);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["vendor"] == "hikvision")
        .unwrap_or_else(|| panic!("no hikvision finding: {r}"));
    let dev = &r["inventory"]["network_devices"][0];
    assert_eq!(dev["mac"], "bc:5e:33:6a:0b:1c", "{dev}");
    assert!(
        dev["ips"][0]
            .as_str()
            .unwrap()
            .starts_with("2001:db8:889::"),
        "{dev}"
    );
    // The ISC file leases the same client an address, a temporary address
    // and a prefix: one device, its v6 addresses, the DUID note once.
    assert!(dev["location"].as_str().unwrap().contains("DUID"), "{dev}");
    let source = f["evidence"]["source"].as_str().unwrap();
    assert!(source.contains("dhcpd6.leases:"), "{f}");
    assert_eq!(source.matches("DUID-LLT").count(), 1, "{f}");
}

/// An affiliate registered under its own name (EZVIZ, Hikvision's
/// subsidiary) is found by its own indicator, with the parent's condition;
/// a divested one (Honor, sold by Huawei in 2020) is not a finding.
#[test]
fn affiliates_are_matched_and_divested_companies_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = write(
        tmp.path(),
        "assets.csv",
        // 0C:B9:83 is "Honor Device Co., Ltd." in netaddr 1.3.0's oui.txt.
        "Asset,MAC\ncam-ezviz,20:BB:BC:01:02:03\nphone-honor,0C:B9:83:01:02:03\n",
    );
    let o = uproot(&["net", "--csv", csv.to_str().unwrap(), "--format", "json"]);
    let r = affected(&o);
    let findings = r["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{r}");
    let f = &findings[0];
    assert_eq!(f["vendor"], "hikvision");
    assert_eq!(f["indicator"], "hikvision.network-device.mac-oui-affiliate");
    assert!(
        f["condition"].as_str().unwrap().contains("public safety"),
        "{f}"
    );
    assert!(
        f["indicator_source"].as_str().unwrap().contains("EZVIZ"),
        "{f}"
    );
}
