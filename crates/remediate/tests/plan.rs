//! Plans from synthetic inventories, matched by the real matcher against the
//! built-in catalog: step order per OS, inputs, and what is never automated.

use uproot_inventory::{
    Certificate, Driver, FileEntry, Host, Inventory, KernelModule, Package, PackageSource,
    RegistryKey, Service,
};
use uproot_remediate::{plan, render, Action, Plan};
use uproot_report::{CatalogInfo, Report};

fn report(os: &str, live: bool, inv: Inventory) -> Report {
    let catalog = uproot_catalog::Catalog::builtin()
        .unwrap()
        .compile()
        .unwrap();
    let findings = uproot_matcher::match_inventory(&catalog, &inv);
    let host = Host {
        hostname: "test-host".into(),
        os: os.into(),
        distro: Some(if os == "linux" { "debian" } else { os }.into()),
        root: if live {
            "/".into()
        } else {
            "/mnt/image".into()
        },
        live,
        ..Host::default()
    };
    Report::new(
        host,
        CatalogInfo {
            version: "test".into(),
            overlays: vec![],
        },
        inv,
        findings,
        vec![],
        "2026-01-01T00:00:00Z".into(),
    )
}

fn kinds(p: &Plan) -> Vec<&'static str> {
    p.steps.iter().map(|s| s.action.kind()).collect()
}

/// Every finding is acted on by a step or listed as unplanned, with a reason.
fn assert_covers_every_finding(r: &Report, p: &Plan) {
    for f in &r.findings {
        let in_step = p.steps.iter().any(|s| s.finding_ids.contains(&f.id));
        let unplanned = p.unplanned.iter().any(|u| u.finding_id == f.id);
        assert!(in_step || unplanned, "finding not covered: {}", f.summary);
    }
}

fn kaspersky_ca(location: &str) -> Certificate {
    Certificate {
        subject: "O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate".into(),
        issuer: "O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate".into(),
        serial: "4b4c0001".into(),
        sha256: "4671b6ad117a57ab19598ec7bfab360da4365234c26b9d676cd42f1a25cba010".into(),
        sha1: "1e40027ca39e271e7bd113e9e267273c3d335c88".into(),
        not_after: "2043-12-27".into(),
        is_ca: true,
        location: location.into(),
    }
}

const KES_CODE: &str = "{C9EF800D-54AA-4F60-AB96-5A3966550F53}";
const AGENT_CODE: &str = "{0F05E4E5-5A89-482C-9A62-47CC58643788}";

fn windows_inventory() -> Inventory {
    let mut inv = Inventory::default();
    let software = "/Windows/System32/config/SOFTWARE";
    // Network Agent first in the inventory: the plan must still put KES first.
    let mut agent = Package::new(
        "Kaspersky Security Center Network Agent",
        "14.0.0.10902",
        PackageSource::WindowsUninstall,
        &format!(
            "{software}\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{AGENT_CODE}"
        ),
    );
    agent.id = Some(AGENT_CODE.into());
    agent.vendor = Some("AO Kaspersky Lab".into());
    agent.scope = Some("machine".into());
    inv.packages.push(agent);
    let mut kes = Package::new(
        "Kaspersky Endpoint Security for Windows",
        "12.7.0.533",
        PackageSource::WindowsUninstall,
        &format!("{software}\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{KES_CODE}"),
    );
    kes.id = Some(KES_CODE.into());
    kes.vendor = Some("AO Kaspersky Lab".into());
    kes.scope = Some("machine".into());
    kes.uninstall = Some(format!("MsiExec.exe /X{KES_CODE}"));
    inv.packages.push(kes);
    inv.drivers.push(Driver {
        name: "klif".into(),
        file: Some(r"\SystemRoot\System32\DRIVERS\klif.sys".into()),
        driver_type: "fs-driver".into(),
        start: Some("boot".into()),
        altitudes: vec![320400],
        team_id: None,
        location: "/Windows/System32/config/SYSTEM\\ControlSet001\\Services\\klif".into(),
    });
    inv.certificates.push(kaspersky_ca(&format!(
        "{software}\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\1E40027CA39E271E7BD113E9E267273C3D335C88"
    )));
    inv.registry_keys.push(RegistryKey {
        path: r"HKLM\SOFTWARE\KasperskyLab".into(),
        values: Default::default(),
        location: software.into(),
    });
    inv.registry_keys.push(RegistryKey {
        path: r"HKLM\SOFTWARE\KasperskyLab\protected\KES.21.19\environment".into(),
        values: [(
            "ProductName".to_owned(),
            "Kaspersky Endpoint Security for Windows".to_owned(),
        )]
        .into(),
        location: software.into(),
    });
    inv.files.push(FileEntry {
        path: "/Program Files (x86)/Kaspersky Lab".into(),
        file_type: "dir".into(),
        size: None,
    });
    inv
}

#[test]
fn windows_plan_uninstalls_kes_then_agent_then_fallback_ca_drivers_registry_files() {
    let r = report("windows", false, windows_inventory());
    let p = plan(&r);
    assert_eq!(p.os, "windows");
    assert_eq!(
        kinds(&p),
        [
            "msi-uninstall",
            "msi-uninstall",
            "manual",
            "windows-remove-certificate",
            "windows-delete-service",
            "delete-path",
            "windows-delete-registry-key",
            "delete-path",
        ],
        "{}",
        render::text(&p)
    );
    // KES before the Network Agent that manages it, whatever the inventory order.
    let Action::MsiUninstall {
        product_code,
        properties,
        ..
    } = &p.steps[0].action
    else {
        unreachable!()
    };
    assert_eq!(product_code, KES_CODE);
    assert_eq!(
        properties
            .iter()
            .map(|m| m.property.as_str())
            .collect::<Vec<_>>(),
        ["KLLOGIN", "KLPASSWD"]
    );
    assert_eq!(p.steps[0].requires_input, ["KLLOGIN", "KLPASSWD"]);
    let Action::MsiUninstall {
        product_code,
        properties,
        ..
    } = &p.steps[1].action
    else {
        unreachable!()
    };
    assert_eq!(product_code, AGENT_CODE);
    assert_eq!(properties[0].property, "KLUNINSTPASSWD");
    assert_eq!(properties[0].encoding.as_deref(), Some("utf16le-hex"));
    // The documented fallback is a manual step, never run.
    let Action::Manual { instructions } = &p.steps[2].action else {
        unreachable!()
    };
    assert!(instructions.contains("kavremover"));
    // Root CA by thumbprint from the named store.
    assert_eq!(
        p.steps[3].action,
        Action::WindowsRemoveCertificate {
            store_location: "LocalMachine".into(),
            store: "Root".into(),
            thumbprint: "1E40027CA39E271E7BD113E9E267273C3D335C88".into(),
        }
    );
    // Driver leftovers: the service key, then the driver file.
    assert_eq!(
        p.steps[4].action,
        Action::WindowsDeleteService {
            name: "klif".into(),
            driver: true
        }
    );
    assert_eq!(
        p.steps[5].action,
        Action::DeletePath {
            paths: vec!["/Windows/System32/DRIVERS/klif.sys".into()],
            what: "driver file".into()
        }
    );
    // The nested registry key folds into its parent.
    assert_eq!(
        p.steps[6].action,
        Action::WindowsDeleteRegistryKey {
            key: r"HKLM\SOFTWARE\KasperskyLab".into()
        }
    );
    assert_eq!(p.steps[6].finding_ids.len(), 2);
    // Inputs are declared, marked, and never guessed: the plan shows placeholders.
    let names: Vec<&str> = p.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["KLLOGIN", "KLPASSWD", "KLUNINSTPASSWD"]);
    assert!(
        p.inputs
            .iter()
            .find(|i| i.name == "KLPASSWD")
            .unwrap()
            .secret
    );
    assert!(
        !p.inputs
            .iter()
            .find(|i| i.name == "KLLOGIN")
            .unwrap()
            .secret
    );
    assert_eq!(
        p.steps[0].commands[0],
        [
            "msiexec.exe",
            "/x",
            KES_CODE,
            "KLLOGIN=<KLLOGIN>",
            "KLPASSWD=<KLPASSWD>",
            "/qn",
            "/norestart"
        ]
    );
    let json = render::json(&p);
    assert!(json.contains("\"schema\": \"uproot.plan/1\""));
    assert_covers_every_finding(&r, &p);

    let script = render::script(&p);
    assert!(script.starts_with("#Requires -RunAsAdministrator"));
    assert!(script.contains("$KLPASSWD = $env:UPROOT_INPUT_KLPASSWD"));
    assert!(script.contains("if ($null -eq $KLPASSWD) { throw"));
    assert!(script.contains("(Hex-UTF16LE $KLUNINSTPASSWD)"));
    assert!(script.contains("Remove-Item -LiteralPath $c"));
    assert!(script.contains("Remove-NamedPath '\\Program Files (x86)\\Kaspersky Lab'"));
}

#[test]
fn an_embedded_engine_gets_a_manual_step_never_a_delete() {
    let mut inv = windows_inventory();
    inv.signers.push(uproot_inventory::CodeSigner {
        path: "/Program Files/OtherVendor/engine/kavbase.dll".into(),
        format: "authenticode".into(),
        subject: Some("C=RU, O=AO Kaspersky Lab, CN=AO Kaspersky Lab".into()),
        chain: vec![],
        team_id: None,
        enclosing: Some("/Program Files/OtherVendor".into()),
    });
    let r = report("windows", false, inv);
    let embedded = r
        .findings
        .iter()
        .find(|f| f.embedded_in.is_some())
        .expect("embedded finding");
    let p = plan(&r);
    let step = p
        .steps
        .iter()
        .find(|s| s.finding_ids.contains(&embedded.id))
        .unwrap();
    assert!(step.is_manual(), "{step:?}");
    assert!(!p
        .steps
        .iter()
        .flat_map(|s| s.action.deletable_paths())
        .any(|path| path.contains("OtherVendor")));
    assert_eq!(
        p.steps.last().unwrap().id,
        step.id,
        "manual steps come last"
    );
}

fn macos_inventory() -> Inventory {
    let mut inv = Inventory::default();
    let mut app = Package::new(
        "Kaspersky",
        "21.3.10.391",
        PackageSource::MacApp,
        "/Applications/Kaspersky.app/Contents/Info.plist",
    );
    app.id = Some("com.kaspersky.kav".into());
    app.install_location = Some("/Applications/Kaspersky.app".into());
    inv.packages.push(app);
    let mut receipt = Package::new(
        "com.kaspersky.kav.core",
        "21.3.10.391",
        PackageSource::MacReceipt,
        "/var/db/receipts/com.kaspersky.kav.core.plist",
    );
    receipt.id = Some("com.kaspersky.kav.core".into());
    receipt.state = Some("installed".into());
    inv.packages.push(receipt);
    inv.services.push(Service {
        name: "com.kaspersky.kav".into(),
        scope: "launchd-daemon".into(),
        exec: Some("/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav".into()),
        description: None,
        enabled: true,
        start: Some("auto".into()),
        location: "/Library/LaunchDaemons/com.kaspersky.kav.plist".into(),
    });
    inv.drivers.push(Driver {
        name: "com.kaspersky.kav.sysext".into(),
        file: Some("/Library/SystemExtensions/5A1C0D3E-7B2F-4E4A-9C61-0F2B8D7E4A10/com.kaspersky.kav.sysext.systemextension".into()),
        driver_type: "system-extension".into(),
        start: Some("activated_enabled".into()),
        altitudes: vec![],
        team_id: Some("2Y8XE5CQ94".into()),
        location: "/Library/SystemExtensions/db.plist".into(),
    });
    inv.signers.push(uproot_inventory::CodeSigner {
        path: "/Library/SystemExtensions/5A1C0D3E-7B2F-4E4A-9C61-0F2B8D7E4A10/com.kaspersky.kav.sysext.systemextension/Contents/MacOS/com.kaspersky.kav.sysext".into(),
        format: "apple".into(),
        subject: Some("com.kaspersky.kav.sysext".into()),
        chain: vec![],
        team_id: Some("2Y8XE5CQ94".into()),
        enclosing: None,
    });
    inv
}

#[test]
fn macos_plan_unloads_launchd_then_bundle_receipt_and_system_extension() {
    let r = report("macos", false, macos_inventory());
    let p = plan(&r);
    assert_eq!(
        kinds(&p),
        [
            "launchd-remove",
            "delete-path",
            "pkgutil-forget",
            "system-extension-uninstall"
        ],
        "{}",
        render::text(&p)
    );
    assert_eq!(
        p.steps[0].action,
        Action::LaunchdRemove {
            label: "com.kaspersky.kav".into(),
            plist: "/Library/LaunchDaemons/com.kaspersky.kav.plist".into(),
            domain: "system".into(),
        }
    );
    assert_eq!(
        p.steps[1].action,
        Action::DeletePath {
            paths: vec!["/Applications/Kaspersky.app".into()],
            what: "application bundle".into()
        }
    );
    assert_eq!(
        p.steps[2].action,
        Action::PkgutilForget {
            id: "com.kaspersky.kav.core".into()
        }
    );
    assert_eq!(
        p.steps[2].commands,
        [["pkgutil", "--forget", "com.kaspersky.kav.core"]]
    );
    assert_eq!(
        p.steps[3].commands,
        [[
            "systemextensionsctl",
            "uninstall",
            "2Y8XE5CQ94",
            "com.kaspersky.kav.sysext"
        ]]
    );
    // Files inside /Library/SystemExtensions go with the extension, never a direct delete.
    assert!(!p
        .steps
        .iter()
        .flat_map(|s| s.action.deletable_paths())
        .any(|path| path.starts_with("/Library/SystemExtensions")));
    assert_covers_every_finding(&r, &p);
    let script = render::script(&p);
    assert!(script.starts_with("#!/bin/sh\n"));
    assert!(script.contains("launchctl bootout 'system/com.kaspersky.kav'"));
    assert!(
        script.contains("systemextensionsctl uninstall '2Y8XE5CQ94' 'com.kaspersky.kav.sysext'")
    );
}

fn linux_inventory() -> Inventory {
    let mut inv = Inventory::default();
    let mut kesl = Package::new(
        "kesl",
        "12.1.0-1297",
        PackageSource::Dpkg,
        "/var/lib/dpkg/status",
    );
    kesl.state = Some("installed".into());
    kesl.vendor = Some("AO Kaspersky Lab <support@kaspersky.com>".into());
    inv.packages.push(kesl);
    let mut agent = Package::new(
        "klnagent64",
        "14.2.0-23324",
        PackageSource::Rpm,
        "/var/lib/rpm/rpmdb.sqlite",
    );
    agent.vendor = Some("AO Kaspersky Lab".into());
    inv.packages.push(agent);
    inv.services.push(Service {
        name: "kesl.service".into(),
        scope: "system".into(),
        exec: Some("/var/opt/kaspersky/kesl/install-current/etc/init.d/kesl start".into()),
        description: None,
        enabled: true,
        start: None,
        location: "/usr/lib/systemd/system/kesl.service".into(),
    });
    inv.kernel_modules.push(KernelModule {
        name: "kav4fs_oas".into(),
        loaded: false,
        location: "/lib/modules/6.1.0-uproot/extra/kav4fs_oas.ko".into(),
    });
    inv.certificates
        .push(kaspersky_ca("/etc/ssl/certs/ca-certificates.crt"));
    inv.certificates.push(kaspersky_ca(
        "/usr/local/share/ca-certificates/kaspersky-root.crt",
    ));
    for (path, t) in [
        ("/opt/kaspersky", "dir"),
        ("/opt/kaspersky/kesl", "dir"),
        ("/var/opt/kaspersky/kesl", "dir"),
    ] {
        inv.files.push(FileEntry {
            path: path.into(),
            file_type: t.into(),
            size: None,
        });
    }
    inv
}

#[test]
fn linux_plan_orders_packages_units_modules_ca_then_leftovers() {
    for live in [false, true] {
        let r = report("linux", live, linux_inventory());
        let p = plan(&r);
        assert_eq!(
            kinds(&p),
            [
                "remove-packages",
                "remove-packages",
                "remove-service",
                "remove-kernel-module",
                "remove-ca-certificate",
                "delete-path",
                "delete-path",
            ],
            "{}",
            render::text(&p)
        );
        let dpkg = &p.steps[0].commands[0];
        let rpm = &p.steps[1].commands[0];
        if live {
            assert_eq!(dpkg, &["apt-get", "purge", "-y", "kesl"]);
            assert_eq!(&rpm[..2], ["dnf", "remove"]);
        } else {
            assert_eq!(
                dpkg,
                &[
                    "dpkg",
                    "--root=/mnt/image",
                    "--log=/mnt/image/var/log/dpkg.log",
                    "--purge",
                    "kesl"
                ]
            );
            assert_eq!(
                rpm,
                &[
                    "rpm",
                    "--root",
                    "/mnt/image",
                    "--dbpath",
                    "/var/lib/rpm",
                    "--define",
                    "_db_backend sqlite",
                    "-e",
                    "klnagent64"
                ]
            );
        }
        // Both sightings of the CA are one step: delete the file, cut the block from the bundle.
        let Action::RemoveCaCertificate {
            paths,
            refresh,
            link_dirs,
            ..
        } = &p.steps[4].action
        else {
            unreachable!()
        };
        assert_eq!(
            paths,
            &[
                "/etc/ssl/certs/ca-certificates.crt",
                "/usr/local/share/ca-certificates/kaspersky-root.crt"
            ]
        );
        assert_eq!(refresh, &["update-ca-certificates"]);
        assert_eq!(link_dirs, &["/etc/ssl/certs"]);
        assert_eq!(
            p.steps[4].commands.is_empty(),
            !live,
            "update-ca-certificates runs only live"
        );
        // Nested leftovers fold into their parent: /opt/kaspersky/kesl goes with /opt/kaspersky.
        assert_eq!(p.steps[5].action.deletable_paths(), ["/opt/kaspersky"]);
        assert_eq!(p.steps[5].finding_ids.len(), 2);
        assert_eq!(
            p.steps[6].action.deletable_paths(),
            ["/var/opt/kaspersky/kesl"]
        );
        // modprobe only on a live host.
        assert_eq!(p.steps[3].commands.iter().any(|c| c[0] == "modprobe"), live);
        assert_covers_every_finding(&r, &p);
    }
}

#[test]
fn hostile_names_and_system_paths_never_become_commands_or_deletes() {
    let mut inv = Inventory::default();
    // A package that would be an option to dpkg, from a hostile image.
    let mut evil = Package::new(
        "--admindir=/",
        "1",
        PackageSource::Dpkg,
        "/var/lib/dpkg/status",
    );
    evil.vendor = Some("AO Kaspersky Lab".into());
    inv.packages.push(evil);
    let r = report("linux", false, inv);
    assert_eq!(r.findings.len(), 1, "the publisher rule must catch it");
    let p = plan(&r);
    assert_eq!(kinds(&p), ["manual"]);
    assert!(p.steps[0].commands.is_empty());

    // A finding for a system directory (a user rule naming /opt) is never deleted.
    let mut inv = Inventory::default();
    inv.files.push(FileEntry {
        path: "/opt".into(),
        file_type: "dir".into(),
        size: None,
    });
    let mut r = report("linux", false, inv);
    let catalog_finding = report("linux", false, {
        let mut i = Inventory::default();
        i.files.push(FileEntry {
            path: "/opt/kaspersky".into(),
            file_type: "dir".into(),
            size: None,
        });
        i
    })
    .findings
    .remove(0);
    let mut f = catalog_finding.clone();
    f.id = "opt".into();
    f.evidence.key = "/opt".into();
    f.evidence.source = "/opt".into();
    r.findings = vec![f];
    let p = plan(&r);
    assert!(p.steps.is_empty(), "{}", render::text(&p));
    assert_eq!(p.unplanned.len(), 1);
    assert!(p.unplanned[0].reason.contains("never deletes"));
}

#[test]
fn the_same_report_gives_the_same_plan() {
    let r = report("linux", false, linux_inventory());
    assert_eq!(render::json(&plan(&r)), render::json(&plan(&r)));
}
