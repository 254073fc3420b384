//! Integration tests for the built-in catalog (`catalog/` at the repository root):
//! it loads and lints clean, every covered vendor is cited and has rules, the rules
//! hit what the research says they should, and they stay quiet on look-alikes.

use uproot_catalog::{Catalog, CompiledCatalog, Diagnostic, Fields, Kind, Level};

const COVERED: &[&str] = &["kaspersky", "huawei", "zte", "hytera", "hikvision", "dahua"];
const CARRIERS: &[&str] = &["china-mobile", "china-telecom", "pacnet", "china-unicom"];
const DEBIAN_GO: &str = "Debian Go Packaging Team <team+pkg-go@tracker.debian.org>";

fn builtin() -> Catalog {
    Catalog::builtin().expect("the built-in catalog loads")
}

fn compiled() -> CompiledCatalog {
    builtin().compile().expect("the built-in catalog compiles")
}

fn errors(diags: &[Diagnostic]) -> Vec<&Diagnostic> {
    diags.iter().filter(|d| d.level == Level::Error).collect()
}

/// Ids of the rules of `kind` that match.
fn hits(c: &CompiledCatalog, kind: Kind, f: &Fields) -> Vec<String> {
    let mut v: Vec<String> = c
        .matching(kind, f)
        .into_iter()
        .map(|r| r.indicator.id.clone())
        .collect();
    v.sort();
    v
}

/// Vendor ids of the rules of `kind` that match, deduplicated.
fn vendors(c: &CompiledCatalog, kind: Kind, f: &Fields) -> Vec<String> {
    let mut v: Vec<String> = c
        .matching(kind, f)
        .into_iter()
        .map(|r| c.vendor_of(r).id.clone())
        .collect();
    v.sort();
    v.dedup();
    v
}

fn package<'a>(name: &'a str, publisher: Option<&'a str>, source: &'a str) -> Fields<'a> {
    Fields {
        name: Some(name),
        publisher,
        package_source: Some(source),
        ..Fields::default()
    }
}

fn named(name: &str) -> Fields<'_> {
    Fields {
        name: Some(name),
        ..Fields::default()
    }
}

// ---------------------------------------------------------------- loading and lint

#[test]
fn builtin_catalog_lints_without_errors() {
    let c = builtin();
    let diags = c.lint();
    let errs = errors(&diags);
    assert!(
        errs.is_empty(),
        "built-in catalog has lint errors:\n{}",
        diags
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The only warnings allowed are the carriers' deliberate lack of indicators.
    for d in &diags {
        assert!(
            d.code == "no-indicators" && CARRIERS.contains(&d.item.as_str()),
            "unexpected warning: {d}"
        );
    }
}

#[test]
fn every_covered_vendor_has_indicators_and_cites_its_authorities() {
    let c = builtin();
    for id in COVERED {
        let v = c
            .vendor(id)
            .unwrap_or_else(|| panic!("vendor `{id}` missing"));
        assert!(!v.indicators.is_empty(), "vendor `{id}` has no indicators");
        assert!(!v.products.is_empty(), "vendor `{id}` has no products");
        assert!(
            !v.authorities.is_empty(),
            "vendor `{id}` cites no authority"
        );
        assert!(!v.action.trim().is_empty(), "vendor `{id}` has no action");
        for a in &v.authorities {
            assert!(
                c.authority(&a.id).is_some(),
                "vendor `{id}` cites unknown authority `{}`",
                a.id
            );
        }
    }
    for id in ["huawei", "zte", "hytera", "hikvision", "dahua"] {
        let v = c.vendor(id).unwrap();
        let got: Vec<(&str, &str)> = v
            .authorities
            .iter()
            .map(|a| (a.id.as_str(), a.since.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("ndaa-fy19-889a", "2019-08-13"),
                ("ndaa-fy19-889b", "2020-08-13"),
                ("fcc-covered-list", "2021-03-12")
            ],
            "authorities of `{id}`"
        );
    }
    let k = c.vendor("kaspersky").unwrap();
    for a in [
        "bod-17-01",
        "ndaa-fy18-1634",
        "fcc-covered-list",
        "bis-2024-kaspersky",
    ] {
        assert!(
            k.authorities.iter().any(|x| x.id == a),
            "kaspersky does not cite {a}"
        );
    }
}

#[test]
fn use_conditioned_vendors_state_the_condition() {
    let c = builtin();
    for id in ["hytera", "hikvision", "dahua"] {
        let cond = c
            .vendor(id)
            .unwrap()
            .condition
            .as_deref()
            .unwrap_or_else(|| panic!("`{id}` has no condition"));
        for phrase in [
            "public safety",
            "Government facilities",
            "critical infrastructure",
            "national security",
        ] {
            assert!(
                cond.contains(phrase),
                "condition of `{id}` lacks \"{phrase}\""
            );
        }
    }
    for id in ["kaspersky", "huawei", "zte"] {
        assert!(
            c.vendor(id).unwrap().condition.is_none(),
            "`{id}` is covered unconditionally"
        );
    }
}

#[test]
fn carriers_cite_the_fcc_list_and_explain_why_they_have_no_indicators() {
    let c = builtin();
    for (id, since) in [
        ("china-mobile", "2022-03-25"),
        ("china-telecom", "2022-03-25"),
        ("pacnet", "2022-09-20"),
        ("china-unicom", "2022-09-20"),
    ] {
        let v = c
            .vendor(id)
            .unwrap_or_else(|| panic!("carrier `{id}` missing"));
        assert_eq!(v.authorities.len(), 1);
        assert_eq!(
            (
                v.authorities[0].id.as_str(),
                v.authorities[0].since.as_str()
            ),
            ("fcc-covered-list", since)
        );
        assert!(v.indicators.is_empty());
        assert!(
            v.note.as_deref().is_some_and(|n| n.contains("§2.6")),
            "`{id}` note must explain the gap"
        );
    }
}

#[test]
fn every_indicator_is_sourced_and_labelled() {
    let c = builtin();
    for v in &c.vendors {
        for i in &v.indicators {
            assert!(
                i.id.starts_with(&format!("{}.", v.id)),
                "indicator `{}` is not prefixed by its vendor",
                i.id
            );
            assert!(i.confidence.is_some(), "`{}` has no confidence", i.id);
            let src = i.source.as_deref().unwrap_or_default();
            assert!(
                src.contains("indicators.md §"),
                "`{}` does not cite its indicators.md section: {src}",
                i.id
            );
            assert!(i.description.is_some(), "`{}` has no description", i.id);
        }
    }
}

// ---------------------------------------------------------------- packages

#[test]
fn lookalike_packages_match_no_package_rule() {
    let c = compiled();
    let benign: &[(&str, &str)] = &[
        ("kestrel", DEBIAN_GO),
        ("kaspad", DEBIAN_GO),
        ("kasp", DEBIAN_GO),
        ("kaspersky-is-not-here", DEBIAN_GO),
        ("hikari", DEBIAN_GO),
        ("dahlia", DEBIAN_GO),
        ("huaweicloud-sdk-go", DEBIAN_GO),
        ("golang-github-huaweicloud-huaweicloud-sdk-go-v3", DEBIAN_GO),
        ("aztec", DEBIAN_GO),
        ("hyperscan", DEBIAN_GO),
        // Organisations whose names contain a vendor's letters.
        ("aztech-driver", "Aztech Systems Ltd"),
        ("ztec-tools", "ZTEC Instruments, Inc."),
        ("naztec", "Naztec, Inc."),
        ("scale-reader", "Shanghai Dahua Scale Factory"),
    ];
    for source in [
        "dpkg",
        "rpm",
        "apk",
        "pacman",
        "windows-uninstall",
        "mac-app",
    ] {
        for (name, publisher) in benign {
            let got = hits(&c, Kind::Package, &package(name, Some(publisher), source));
            assert!(
                got.is_empty(),
                "{source} package `{name}` ({publisher}) matched {got:?}"
            );
        }
    }
    // A distribution package whose maintainer merely has a vendor e-mail address is
    // community packaging, not the vendor shipping software.
    let maintainers = [
        "Jane Doe <jane.doe@huawei.com>",
        "Li Wei <li.wei@zte.com.cn>",
        "Chen <chen@hikvision.com>",
        "Wang <wang@dahuatech.com>",
        "Zhao <zhao@hytera.com>",
    ];
    for source in ["dpkg", "rpm", "apk", "pacman"] {
        for maintainer in maintainers {
            let got = hits(
                &c,
                Kind::Package,
                &package("libfoo", Some(maintainer), source),
            );
            assert!(
                got.is_empty(),
                "{source} maintainer `{maintainer}` matched {got:?}"
            );
        }
    }
    // …while the vendor itself as maintainer does match.
    for (maintainer, vendor) in [
        (
            "Huawei Technologies Co., Ltd. <support@huawei.com>",
            "huawei",
        ),
        ("ZTE Corporation", "zte"),
        ("Hikvision <support@hikvision.com>", "hikvision"),
        ("Zhejiang Dahua Technology Co., Ltd.", "dahua"),
        ("Hytera Communications Corporation Limited", "hytera"),
    ] {
        assert_eq!(
            vendors(
                &c,
                Kind::Package,
                &package("vendor-tool", Some(maintainer), "rpm")
            ),
            [vendor],
            "{maintainer}"
        );
    }
}

#[test]
fn kaspersky_packages_match() {
    let c = compiled();
    let got = hits(
        &c,
        Kind::Package,
        &package("kesl", Some("AO Kaspersky Lab <x@kaspersky.com>"), "dpkg"),
    );
    assert_eq!(
        got,
        ["kaspersky.any.package-maintainer", "kaspersky.kesl.package"]
    );
    // The name alone is enough.
    assert_eq!(
        hits(&c, Kind::Package, &package("kesl", Some(DEBIAN_GO), "rpm")),
        ["kaspersky.kesl.package"]
    );
    // So is the maintainer.
    assert_eq!(
        hits(
            &c,
            Kind::Package,
            &package("something-new", Some("Kaspersky Lab JSC"), "rpm")
        ),
        ["kaspersky.any.package-maintainer"]
    );
}

#[test]
fn windows_uninstall_entries_match_their_products() {
    let c = compiled();
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "Kaspersky Endpoint Security for Windows",
            None,
            "kaspersky.kes-windows.uninstall",
        ),
        (
            "Kaspersky Security Center Network Agent",
            None,
            "kaspersky.klnagent.uninstall",
        ),
        (
            "Agent d'administration de Kaspersky Security Center",
            None,
            "kaspersky.klnagent.uninstall",
        ),
        (
            "Console d'administration de Kaspersky Security Center",
            None,
            "kaspersky.ksc-console.uninstall",
        ),
        ("Kaspersky Endpoint Agent", None, "kaspersky.kea.uninstall"),
        (
            "Kaspersky Internet Security",
            None,
            "kaspersky.kaspersky-consumer.uninstall",
        ),
        (
            "Kaspersky Anti-Virus 6.0 for Windows Workstations",
            None,
            "kaspersky.kaspersky-consumer.uninstall",
        ),
        (
            "Kaspersky Total Security",
            None,
            "kaspersky.kaspersky-consumer.uninstall",
        ),
        (
            "Kaspersky Password Manager",
            None,
            "kaspersky.kpm.uninstall",
        ),
        (
            "Kaspersky Security for Windows Server",
            None,
            "kaspersky.ksws.uninstall",
        ),
        (
            "Kaspersky Small Office Security",
            None,
            "kaspersky.ksos.uninstall",
        ),
        (
            "Kaspersky PURE 3.0",
            None,
            "kaspersky.kaspersky-legacy.uninstall",
        ),
        ("HiSuite", None, "huawei.hisuite.uninstall"),
        (
            "SmartPSSLite 1.003.0000006.0",
            None,
            "dahua.smartpss.uninstall",
        ),
        ("iVMS-4200", None, "hikvision.ivms-4200.uninstall"),
        ("SADP", Some("Hikvision"), "hikvision.sadp.uninstall"),
        ("Hytera CPS", None, "hytera.cps.uninstall"),
    ];
    for (name, publisher, want) in cases {
        let got = hits(
            &c,
            Kind::Package,
            &package(name, *publisher, "windows-uninstall"),
        );
        assert!(
            got.iter().any(|g| g == want),
            "`{name}` matched {got:?}, expected {want}"
        );
        // Names from the Uninstall key mean nothing to a Linux package database.
        let linux = hits(&c, Kind::Package, &package(name, None, "dpkg"));
        assert!(
            !linux.iter().any(|g| g == want),
            "`{name}` from dpkg matched {want}"
        );
    }
    // "SADP" alone is too short to trust without the publisher.
    assert!(hits(
        &c,
        Kind::Package,
        &package("SADP", None, "windows-uninstall")
    )
    .is_empty());
}

#[test]
fn every_tpar_removal_list_name_is_covered() {
    // The Broadcom TPAR list (indicators.md §1.1, GH #30297191561).
    let c = compiled();
    for name in [
        "Kaspersky Endpoint Security",
        "Kaspersky AES Encryption Module",
        "Kaspersky Anti-Virus for Windows Servers",
        "Kaspersky Security for Windows Servers",
        "Kaspersky Anti-Virus for Windows Workstations",
        "Kaspersky PURE",
        "Kaspersky Small Office Security",
        "Kaspersky AntiVirus / Kaspersky Internet Security",
        "Kaspersky Endpoint Security 8 for Windows Console Plug-in",
        "Kaspersky Anti-Virus SOS",
        "Kaspersky Security Center Network Agent",
    ] {
        let got = hits(&c, Kind::Package, &package(name, None, "windows-uninstall"));
        assert!(!got.is_empty(), "`{name}` is not matched by name");
    }
}

#[test]
fn windows_publishers_match() {
    let c = compiled();
    for (publisher, vendor) in [
        ("AO Kaspersky Lab", "kaspersky"),
        ("Kaspersky Lab ZAO", "kaspersky"),
        ("Huawei Technologies Co., Ltd.", "huawei"),
        ("Dahua Technology Co.,Ltd", "dahua"),
        ("ZTE Corporation", "zte"),
        (
            "Hangzhou Hikvision Digital Technology Co., Ltd.",
            "hikvision",
        ),
        ("Hytera Communications Corporation Limited", "hytera"),
    ] {
        let got = vendors(
            &c,
            Kind::Package,
            &package("Some Program", Some(publisher), "windows-uninstall"),
        );
        assert_eq!(got, [vendor], "publisher `{publisher}`");
    }
}

#[test]
fn sbom_suppliers_match_legal_names_only() {
    let c = compiled();
    for (supplier, vendor) in [
        ("AO Kaspersky Lab", "kaspersky"),
        ("Huawei Technologies Co., Ltd.", "huawei"),
        ("ZTE Corporation", "zte"),
        (
            "Hangzhou Hikvision Digital Technology Co., Ltd.",
            "hikvision",
        ),
        ("Zhejiang Dahua Technology Co., Ltd.", "dahua"),
        ("Hytera Communications Corporation Limited", "hytera"),
    ] {
        let f = Fields {
            name: Some("component"),
            publisher: Some(supplier),
            ..Fields::default()
        };
        assert_eq!(
            vendors(&c, Kind::SbomComponent, &f),
            [vendor],
            "supplier `{supplier}`"
        );
    }
    // Kaspresso and other KasperskyLab open-source projects are a policy call, not a hit.
    for supplier in [
        "KasperskyLab",
        "Debian",
        "Aztech Electronics Pte Ltd",
        "someone@huawei.com",
    ] {
        let f = Fields {
            name: Some("component"),
            publisher: Some(supplier),
            ..Fields::default()
        };
        assert!(
            vendors(&c, Kind::SbomComponent, &f).is_empty(),
            "supplier `{supplier}` matched"
        );
    }
}

fn sbom<'a>(ecosystem: &'a str, namespace: Option<&'a str>, name: &'a str) -> Fields<'a> {
    Fields {
        name: Some(name),
        ecosystem: Some(ecosystem),
        namespace,
        ..Fields::default()
    }
}

#[test]
fn sbom_purl_namespaces_match_their_vendor_and_ecosystem_only() {
    let c = compiled();
    for (eco, ns, name, want) in [
        (
            "maven",
            Some("com.huawei.hms"),
            "push",
            "huawei.hms-sdk.maven-group",
        ),
        (
            "maven",
            Some("com.huawei.hms.flutter"),
            "x",
            "huawei.hms-sdk.maven-group",
        ),
        (
            "maven",
            Some("com.huawei.agconnect"),
            "agcp",
            "huawei.hms-sdk.maven-group",
        ),
        (
            "maven",
            Some("com.huawei.android.hms"),
            "push",
            "huawei.hms-sdk.maven-group-legacy",
        ),
        (
            "npm",
            Some("@hmscore"),
            "react-native-hms-location",
            "huawei.hms-sdk.npm-scope",
        ),
        ("pub", None, "huawei_push", "huawei.hms-sdk.pub-package"),
        (
            "maven",
            Some("com.hikvision"),
            "mv-camera-control",
            "hikvision.hikvision-any.maven-group",
        ),
        (
            "generic",
            None,
            "libhcnetsdk.so",
            "hikvision.hcnetsdk.sbom-name",
        ),
        (
            "generic",
            None,
            "HCNetSDK.dll",
            "hikvision.hcnetsdk.sbom-name",
        ),
        ("generic", None, "libdhnetsdk.so", "dahua.netsdk.sbom-name"),
    ] {
        assert_eq!(
            hits(&c, Kind::SbomComponent, &sbom(eco, ns, name)),
            [want],
            "{eco} {ns:?} {name}"
        );
    }
    // The ecosystem is part of the rule: the same namespace in another
    // ecosystem, a look-alike namespace, or no ecosystem at all is not a hit.
    for (eco, ns, name) in [
        ("npm", Some("com.huawei.hms"), "push"),
        ("maven", Some("com.huaweicloud.sdk"), "huaweicloud-sdk-core"),
        ("maven", Some("com.huawei.hmsx"), "push"),
        (
            "maven",
            Some("com.kaspersky.android-components"),
            "kaspresso",
        ),
        ("npm", Some("@hmscoreish"), "x"),
        ("pypi", None, "huawei_push"),
    ] {
        assert!(
            hits(&c, Kind::SbomComponent, &sbom(eco, ns, name)).is_empty(),
            "{eco} {ns:?} {name} matched"
        );
    }
    let no_ecosystem = Fields {
        name: Some("push"),
        namespace: Some("com.huawei.hms"),
        ..Fields::default()
    };
    assert!(hits(&c, Kind::SbomComponent, &no_ecosystem).is_empty());
}

#[test]
fn purl_fields_are_only_allowed_on_sbom_rules() {
    let mut c = builtin();
    c.merge_str(
        "user.toml",
        r#"
[[vendor]]
id = "huawei"
name = "Huawei Technologies Co., Ltd."
action = "Remove it."

[[vendor.indicator]]
id = "huawei.hms-sdk.package-with-namespace"
product = "hms-sdk"
kind = "package"
match = { name = ["push"], namespace_glob = ["com.huawei.hms"], ecosystem = ["maven"] }
confidence = "official"
source = "test"
"#,
    )
    .expect("fragment parses");
    let diags = c.lint();
    let bad: Vec<_> = errors(&diags)
        .into_iter()
        .filter(|d| d.code == "field-not-allowed")
        .map(|d| d.message.clone())
        .collect();
    assert_eq!(bad.len(), 2, "{diags:#?}");
    assert!(
        bad.iter().any(|m| m.contains("`namespace_glob`")),
        "{bad:?}"
    );
    assert!(bad.iter().any(|m| m.contains("`ecosystem`")), "{bad:?}");
}

#[test]
fn a_bad_namespace_regex_fails_compilation() {
    let mut c = builtin();
    c.merge_str(
        "user.toml",
        r#"
[[vendor]]
id = "huawei"
name = "Huawei Technologies Co., Ltd."
action = "Remove it."

[[vendor.indicator]]
id = "huawei.hms-sdk.broken"
product = "hms-sdk"
kind = "sbom-component"
match = { namespace_regex = "com.huawei.(hms" }
confidence = "official"
source = "test"
"#,
    )
    .expect("fragment parses");
    let err = c
        .compile()
        .expect_err("a broken namespace regex must not compile");
    let text = err.to_string();
    assert!(
        text.contains("huawei.hms-sdk.broken") && text.contains("bad-pattern"),
        "{text}"
    );
}

// ---------------------------------------------------------------- certificates, signers

#[test]
fn kaspersky_root_certificate_matches() {
    let c = compiled();
    let subject = "CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab";
    let f = Fields {
        subject: Some(subject),
        issuer: Some(subject),
        ..Fields::default()
    };
    assert_eq!(
        hits(&c, Kind::Certificate, &f),
        ["kaspersky.tls-root.certificate"]
    );
    let other = Fields {
        subject: Some("CN=ISRG Root X1,O=Internet Security Research Group,C=US"),
        ..Fields::default()
    };
    assert!(hits(&c, Kind::Certificate, &other).is_empty());
}

#[test]
fn signers_match() {
    let c = compiled();
    let team = Fields {
        id: Some("2Y8XE5CQ94"),
        ..Fields::default()
    };
    assert_eq!(hits(&c, Kind::Signer, &team), ["kaspersky.any.team-id"]);
    let subject = Fields {
        subject: Some("CN=AO Kaspersky Lab, O=AO Kaspersky Lab, L=Moscow, C=RU"),
        ..Fields::default()
    };
    assert_eq!(
        hits(&c, Kind::Signer, &subject),
        ["kaspersky.any.authenticode-signer"]
    );
    let other = Fields {
        subject: Some("CN=Microsoft Windows, O=Microsoft Corporation"),
        id: Some("UBF8T346G9"),
        ..Fields::default()
    };
    assert!(hits(&c, Kind::Signer, &other).is_empty());
}

// ---------------------------------------------------------------- services, processes, drivers

#[test]
fn windows_services_match() {
    let c = compiled();
    for (name, want) in [
        ("AVP.KES.21.19", "kaspersky.kes-windows.service"),
        ("avpsus.KES.21.19", "kaspersky.kes-windows.service"),
        ("AVP21.3", "kaspersky.any.windows-service"),
        ("AVP15", "kaspersky.any.windows-service"),
        ("KAVFS", "kaspersky.ksws.service"),
        ("kavfsgt", "kaspersky.ksws.service"),
        ("ksnproxy", "kaspersky.ksc.ksnproxy-service"),
        ("kladminserver", "kaspersky.ksc.windows-service"),
        ("klnagent", "kaspersky.klnagent.service"),
        ("ZTEusbmdm6k", "zte.usb-modem.service"),
    ] {
        assert_eq!(
            hits(&c, Kind::Service, &named(name)),
            [want],
            "service `{name}`"
        );
    }
    // The Linux unit is matched once, by the Linux rule.
    assert_eq!(
        hits(&c, Kind::Service, &named("kladminserver_srv.service")),
        ["kaspersky.ksc.service"]
    );
    for name in ["AVPx", "avpn", "avahi-daemon", "kavita", "sshd"] {
        assert!(
            hits(&c, Kind::Service, &named(name)).is_empty(),
            "service `{name}` matched"
        );
    }
}

#[test]
fn processes_match() {
    let c = compiled();
    for (name, want) in [
        ("avp.exe", "kaspersky.any.windows-process"),
        ("AVPUI.EXE", "kaspersky.any.windows-process"),
        ("klnagent.exe", "kaspersky.klnagent.windows-process"),
        ("kavfs.exe", "kaspersky.ksws.process"),
        ("kavremover.exe", "kaspersky.kavremover.process"),
        ("HiSuite.exe", "huawei.hisuite.process"),
        ("SmartPSS.exe", "dahua.smartpss.process"),
    ] {
        assert_eq!(
            hits(&c, Kind::Process, &named(name)),
            [want],
            "process `{name}`"
        );
    }
    // agent.exe is generic; only the Endpoint Agent install path makes it Kaspersky.
    assert!(hits(&c, Kind::Process, &named("agent.exe")).is_empty());
    let kea = Fields {
        name: Some("agent.exe"),
        exec: Some(r"C:\Program Files (x86)\Kaspersky Lab\Endpoint Agent\agent.exe"),
        ..Fields::default()
    };
    assert_eq!(
        hits(&c, Kind::Process, &kea),
        [
            "kaspersky.any.windows-process-path",
            "kaspersky.kea.process"
        ]
    );
    let other = Fields {
        name: Some("agent.exe"),
        exec: Some(r"C:\Program Files\Other\agent.exe"),
        ..Fields::default()
    };
    assert!(hits(&c, Kind::Process, &other).is_empty());
}

#[test]
fn drivers_match_by_name_and_altitude() {
    let c = compiled();
    for (name, want) in [
        ("klif.sys", "kaspersky.any.minifilter-driver"),
        ("Klifsm.sys", "kaspersky.any.minifilter-driver"),
        ("KLIF.KES-21-9.sys", "kaspersky.any.driver"),
        ("klupd_KES-21-9_arkmon.sys", "kaspersky.any.driver"),
        ("klupd_K4W-21-25_arkmon.sys", "kaspersky.any.driver"),
        ("kneps.sys", "kaspersky.any.driver"),
        ("kldlndis_sha1.sys", "kaspersky.any.driver-kldl"),
        ("klhk.sys", "kaspersky.any.driver-klhk"),
        ("com.kaspersky.kext.klif", "kaspersky.kaspersky-mac.kext"),
        (
            "com.kaspersky.kext.kimul.44",
            "kaspersky.kaspersky-mac.kext",
        ),
        ("ewusbnet.sys", "huawei.usb-modem.driver"),
    ] {
        assert_eq!(
            hits(&c, Kind::Driver, &named(name)),
            [want],
            "driver `{name}`"
        );
    }
    for name in [
        "WdFilter.sys",
        "klscan.sys.bak",
        "tcpip.sys",
        "com.apple.kext.foo",
    ] {
        assert!(
            hits(&c, Kind::Driver, &named(name)).is_empty(),
            "driver `{name}` matched"
        );
    }
    // A renamed driver still sits at Kaspersky's altitude.
    for altitude in [320400, 389510, 44890, 87200] {
        let f = Fields {
            name: Some("renamed.sys"),
            altitude: Some(altitude),
            ..Fields::default()
        };
        assert_eq!(
            hits(&c, Kind::Driver, &f),
            ["kaspersky.any.minifilter-altitude"],
            "altitude {altitude}"
        );
    }
    // WdFilter's altitude (Microsoft Defender) is not Kaspersky's.
    let defender = Fields {
        name: Some("WdFilter.sys"),
        altitude: Some(328010),
        ..Fields::default()
    };
    assert!(hits(&c, Kind::Driver, &defender).is_empty());
    let rule = c
        .rules()
        .iter()
        .find(|r| r.indicator.id == "kaspersky.any.minifilter-altitude")
        .unwrap();
    assert_eq!(
        rule.indicator.matcher.altitude.len(),
        26,
        "every Kaspersky altitude in §1.4 table A"
    );
}

// ---------------------------------------------------------------- registry, files, bundles

#[test]
fn registry_keys_match_case_insensitively() {
    let c = compiled();
    for (path, want) in [
        (r"HKLM\SOFTWARE\KasperskyLab", "kaspersky.any.registry-root"),
        (
            r"HKLM\SOFTWARE\Wow6432Node\KasperskyLab",
            "kaspersky.any.registry-root",
        ),
        (
            r"HKLM\SOFTWARE\KasperskyLab\protected\KES11\environment",
            "kaspersky.any.registry-product",
        ),
        (
            r"HKLM\SOFTWARE\WOW6432Node\KasperskyLab\protected\AVP21.3\environment",
            "kaspersky.any.registry-product",
        ),
        (
            r"HKLM\SOFTWARE\Huawei\PCManager",
            "huawei.pc-manager.registry",
        ),
    ] {
        let f = Fields {
            path: Some(path),
            ..Fields::default()
        };
        assert_eq!(hits(&c, Kind::RegistryKey, &f), [want], "key `{path}`");
    }
    let other = Fields {
        path: Some(r"HKLM\SOFTWARE\Microsoft\Windows Defender"),
        ..Fields::default()
    };
    assert!(hits(&c, Kind::RegistryKey, &other).is_empty());
}

#[test]
fn file_paths_match() {
    let c = compiled();
    for (path, want) in [
        ("/opt/kaspersky/kesl", "kaspersky.kesl.paths"),
        (
            "/Program Files (x86)/Kaspersky Lab/NetworkAgent",
            "kaspersky.klnagent.windows-paths",
        ),
        (
            "/Program Files (x86)/Kaspersky Lab/KES.21.19",
            "kaspersky.kes-windows.windows-paths",
        ),
        (
            "/ProgramData/Kaspersky Lab/AVP21.3",
            "kaspersky.kaspersky-consumer.data",
        ),
        (
            "/Library/LaunchDaemons/com.kaspersky.kav.plist",
            "kaspersky.kaspersky-mac.launchd",
        ),
        (
            "/Users/alice/Library/Preferences/com.kaspersky.kav.plist",
            "kaspersky.kaspersky-mac.data",
        ),
        (
            "/Program Files (x86)/HiSuite/HiSuite.exe",
            "huawei.hisuite.paths",
        ),
        (
            "/Program Files (x86)/iVMS-4200 Site",
            "hikvision.ivms-4200.paths",
        ),
        (
            "/Program Files/Hikvision/iVMS-4200Client",
            "hikvision.ivms-4200.paths",
        ),
    ] {
        let f = Fields {
            path: Some(path),
            ..Fields::default()
        };
        assert_eq!(hits(&c, Kind::File, &f), [want], "path `{path}`");
    }
    for path in [
        "/opt/kestrel",
        "/Program Files/Kaspersky Lab Fan Club",
        "/usr/bin/kav",
    ] {
        let f = Fields {
            path: Some(path),
            ..Fields::default()
        };
        assert!(hits(&c, Kind::File, &f).is_empty(), "path `{path}` matched");
    }
    let probes = c.catalog().probe_paths();
    assert!(probes
        .iter()
        .any(|p| p == "/Program Files (x86)/Kaspersky Lab/NetworkAgent"));
    assert!(
        probes.iter().all(|p| p.starts_with('/')),
        "probe paths are absolute inside the root"
    );
}

#[test]
fn bundles_receipts_and_extensions_match() {
    let c = compiled();
    for (id, want) in [
        ("com.kaspersky.kav", "kaspersky.kaspersky-mac.app-bundle"),
        ("com.kaspersky.kav.sysext", "kaspersky.kaspersky-mac.sysext"),
        ("com.kms.free", "kaspersky.kaspersky-mobile.app-id"),
        (
            "com.kaspersky.safekids",
            "kaspersky.kaspersky-mobile.app-id",
        ),
    ] {
        let f = Fields {
            id: Some(id),
            ..Fields::default()
        };
        assert_eq!(hits(&c, Kind::AppBundle, &f), [want], "bundle `{id}`");
    }
    // Kaspresso, Kaspersky's open-source UI-test framework, is not AV presence.
    let kaspresso = Fields {
        id: Some("com.kaspersky.kaspresso.sample"),
        ..Fields::default()
    };
    assert!(hits(&c, Kind::AppBundle, &kaspresso).is_empty());

    let receipt = package("com.kaspersky.kav.core", None, "mac-receipt");
    assert_eq!(
        hits(&c, Kind::Package, &receipt),
        ["kaspersky.kaspersky-mac.receipt"]
    );

    for id in [
        "ahkjpbeeocnddjkakilopmfdlnjdpcdm",
        "urladvisor@kaspersky.com",
        "wvkbd@kaspersky.com",
    ] {
        let f = Fields {
            id: Some(id),
            ..Fields::default()
        };
        assert_eq!(
            vendors(&c, Kind::BrowserExtension, &f),
            ["kaspersky"],
            "extension `{id}`"
        );
    }
}

// ---------------------------------------------------------------- hardware: OUI, USB

#[test]
fn oui_organisations_map_to_exactly_one_vendor() {
    let c = compiled();
    // Every spelling counted in shared/corpora/README.md §5 ("OUI registries").
    for (org, vendor) in [
        ("HUAWEI TECHNOLOGIES CO.,LTD", "huawei"),
        ("Huawei Device Co., Ltd.", "huawei"),
        ("Huawei Technologies Co., Ltd.", "huawei"),
        ("Huawei Technologies Co.,Ltd", "huawei"),
        ("Huawei Symantec Technologies Co.,Ltd.", "huawei"),
        ("zte corporation", "zte"),
        (
            "Hangzhou Hikvision Digital Technology Co.,Ltd.",
            "hikvision",
        ),
        ("Zhejiang Dahua Technology Co., Ltd.", "dahua"),
        ("ZHEJIANG DAHUA TECHNOLOGYCO.,LTD", "dahua"),
        ("Hytera Communications Co .,ltd", "hytera"),
        ("Hytera Communications Co.,ltd", "hytera"),
        ("Hytera Communications Corporation Limited", "hytera"),
        // Affiliates under their own names (catalog/AFFILIATES.md).
        ("Prama Hikvision India Private Limited", "hikvision"),
        ("Hangzhou Ezviz Software Co.,Ltd.", "hikvision"),
        ("Hangzhou Hikrobot Technology Co., Ltd.", "hikvision"),
        ("Zhejiang HuaRay Technology Co.,Ltd", "dahua"),
        ("Hisilicon Technologies Co., Ltd", "huawei"),
        ("ChengDu TD Tech", "huawei"),
        ("TD Tech", "huawei"),
        ("Nubia Technology Co.,Ltd.", "zte"),
    ] {
        let f = Fields {
            publisher: Some(org),
            id: Some("00:11:22"),
            ..Fields::default()
        };
        assert_eq!(
            vendors(&c, Kind::MacOui, &f),
            [vendor],
            "OUI organisation `{org}`"
        );
    }
    // Look-alikes from the same registries, companies the covered vendor has
    // sold (Honor, H3C, Lorex, Sepura, Teltronic S.A.U.) and registrants whose
    // link is unverified (Shanghai Zte Technologies, Huacheng, Microimage,
    // Prama India): catalog/AFFILIATES.md.
    for org in [
        "Aztech Electronics Pte Ltd",
        "Aztek Networks, Inc.",
        "ZTEC Instruments, Inc.",
        "ANHUI WANZTEN P&T CO., LTD",
        "Naztec, Inc.",
        "Kaztek Systems",
        "AZTEQ Mobile",
        "Shenztech Ltd",
        "Shanghai Dahua Scale Factory",
        "Shanghai Zte Technologies Co.,Ltd",
        "Honor Device Co., Ltd.",
        "New H3C Technologies Co., Ltd",
        "Lorex Technology Inc.",
        "Sepura Plc",
        "Teltronic S.A.U.",
        "Hangzhou Huacheng Network Technology Co.,Ltd",
        "Hangzhou Microimage Software Co., Ltd",
        "Prama India Private Limited",
        "Hella Sonnen- und Wetterschutztechnik GmbH",
        "Apple, Inc.",
    ] {
        let f = Fields {
            publisher: Some(org),
            ..Fields::default()
        };
        assert!(
            vendors(&c, Kind::MacOui, &f).is_empty(),
            "OUI organisation `{org}` matched"
        );
    }
}

#[test]
fn usb_vendor_ids_match() {
    let c = compiled();
    for (id, vendor) in [
        ("12d1", "huawei"),
        ("12D1", "huawei"),
        ("19d2", "zte"),
        ("238b", "hytera"),
    ] {
        let f = Fields {
            id: Some(id),
            ..Fields::default()
        };
        assert_eq!(
            vendors(&c, Kind::UsbDevice, &f),
            [vendor],
            "USB vendor id {id}"
        );
    }
    let f = Fields {
        id: Some("046d"),
        ..Fields::default()
    };
    assert!(vendors(&c, Kind::UsbDevice, &f).is_empty());
}

// ---------------------------------------------------------------- user fragments

#[test]
fn lint_names_user_rules_without_source_or_confidence() {
    let mut c = builtin();
    c.merge_str(
        "user.toml",
        r#"
[[vendor]]
id = "kaspersky"
name = "AO Kaspersky Lab"
action = "Remove it."

[[vendor.indicator]]
id = "kaspersky.kesl.local-nosource"
product = "kesl"
kind = "file"
match = { path = ["/srv/kesl-mirror"] }
confidence = "official"

[[vendor.indicator]]
id = "kaspersky.kesl.local-noconfidence"
product = "kesl"
kind = "file"
match = { path = ["/srv/kesl-cache"] }
source = "our own install notes"
"#,
    )
    .expect("fragment parses");
    let diags = c.lint();
    let errs = errors(&diags);
    let find = |code: &str, item: &str| {
        errs.iter()
            .any(|d| d.code == code && d.item == item && d.file == "user.toml")
    };
    assert!(
        find("missing-source", "kaspersky.kesl.local-nosource"),
        "{diags:#?}"
    );
    assert!(
        find("missing-confidence", "kaspersky.kesl.local-noconfidence"),
        "{diags:#?}"
    );
    assert_eq!(
        errs.len(),
        2,
        "only the two user rules are wrong: {diags:#?}"
    );
    let shown = errs
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        shown.contains("user.toml") && shown.contains("kaspersky.kesl.local-nosource"),
        "{shown}"
    );
}

#[test]
fn user_fragment_can_add_a_vendor() {
    let mut c = builtin();
    c.merge_str(
        "user.toml",
        r#"
[[vendor]]
id = "acme"
name = "ACME Surveillance Ltd"
action = "Replace it."
authorities = [{ id = "fcc-covered-list", since = "2024-01-01" }]

[[vendor.product]]
id = "agent"
name = "ACME Agent"
platforms = ["linux"]

[[vendor.indicator]]
id = "acme.agent.package"
product = "agent"
kind = "package"
match = { name = ["acme-agent"] }
confidence = "official"
source = "acme.example/docs/install"
"#,
    )
    .expect("fragment parses");
    assert!(errors(&c.lint()).is_empty(), "{:#?}", c.lint());
    assert_eq!(c.origin("acme.agent.package"), "user.toml");
    let compiled = c.compile().unwrap();
    assert_eq!(
        vendors(
            &compiled,
            Kind::Package,
            &package("acme-agent", None, "dpkg")
        ),
        ["acme"]
    );
    // The built-in vendors are still all there.
    for id in COVERED.iter().chain(CARRIERS) {
        assert!(c.vendor(id).is_some(), "`{id}` lost after merge");
    }
}

#[test]
fn user_fragment_replaces_an_indicator_with_the_same_id() {
    let mut c = builtin();
    let before = c.vendor("kaspersky").unwrap().indicators.len();
    c.merge_str(
        "user.toml",
        r#"
[[vendor]]
id = "kaspersky"
name = "AO Kaspersky Lab"
action = "Remove it."

[[vendor.indicator]]
id = "kaspersky.kesl.package"
product = "kesl"
kind = "package"
match = { name = ["kesl-custom-build"] }
confidence = "official"
source = "internal repackaging notes"
"#,
    )
    .expect("fragment parses");
    let k = c.vendor("kaspersky").unwrap();
    assert_eq!(k.indicators.len(), before, "replaced, not appended");
    assert!(
        !k.authorities.is_empty(),
        "reopening a vendor keeps its authorities"
    );
    assert_eq!(c.origin("kaspersky.kesl.package"), "user.toml");
    let (_, ind) = c.indicator("kaspersky.kesl.package").unwrap();
    assert_eq!(ind.source.as_deref(), Some("internal repackaging notes"));
    assert!(errors(&c.lint()).is_empty(), "{:#?}", c.lint());
    let compiled = c.compile().unwrap();
    assert_eq!(
        hits(
            &compiled,
            Kind::Package,
            &package("kesl-custom-build", None, "rpm")
        ),
        ["kaspersky.kesl.package"]
    );
    assert!(hits(&compiled, Kind::Package, &package("kesl", None, "rpm")).is_empty());
}
