//! A realistic report for the CycloneDX tests: packages from four package
//! managers (one of them the covered `kesl`), a kernel module, trusted
//! certificates (one of them Kaspersky's interception root), a leftover file,
//! a service, and SBOM components, matched against the built-in catalog and
//! assessed, as `uproot scan` would.

use uproot_inventory::{
    Certificate, FileEntry, Host, Inventory, KernelModule, Package, PackageSource, SbomComponent,
    Service,
};
use uproot_report::{CatalogInfo, Report};

pub fn pkg(name: &str, version: &str, source: PackageSource, arch: Option<&str>) -> Package {
    let location = match source {
        PackageSource::Dpkg => "/var/lib/dpkg/status",
        PackageSource::Rpm => "/var/lib/rpm/rpmdb.sqlite",
        PackageSource::Apk => "/lib/apk/db/installed",
        PackageSource::Pacman => "/var/lib/pacman/local",
        _ => "SOFTWARE",
    };
    let mut p = Package::new(name, version, source, location);
    p.arch = arch.map(str::to_owned);
    p.state = Some("installed".into());
    p
}

pub fn inventory() -> Inventory {
    let mut inv = Inventory::default();
    let mut libc = pkg(
        "libc6",
        "2.36-9+deb12u4",
        PackageSource::Dpkg,
        Some("amd64"),
    );
    libc.vendor = Some("GNU Libc Maintainers <debian-glibc@lists.debian.org>".into());
    let mut kesl = pkg("kesl", "12.1.0-1297", PackageSource::Dpkg, Some("amd64"));
    kesl.vendor = Some("AO Kaspersky Lab".into());
    inv.packages = vec![
        libc,
        kesl,
        pkg("bash", "1:5.2.15-2+b2", PackageSource::Dpkg, Some("amd64")),
        pkg(
            "openssl-libs",
            "1:3.0.7-27.el9",
            PackageSource::Rpm,
            Some("x86_64"),
        ),
        pkg("musl", "1.2.4-r2", PackageSource::Apk, Some("x86_64")),
        pkg("pacman", "6.0.2-9", PackageSource::Pacman, Some("x86_64")),
        pkg(
            "7-Zip 23.01 (x64)",
            "23.01",
            PackageSource::WindowsUninstall,
            None,
        ),
    ];
    inv.kernel_modules.push(KernelModule {
        name: "ext4".into(),
        loaded: true,
        location: "/proc/modules".into(),
    });
    inv.certificates = vec![
        Certificate {
            subject: "C=RU, O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate"
                .into(),
            issuer: "C=RU, O=AO Kaspersky Lab, CN=Kaspersky Anti-Virus Personal Root Certificate"
                .into(),
            serial: "00c3f2".into(),
            sha256: "8d1f9a8b1e6a36d9cbd3c2b6a1f5e2f0b1c4a9e8d7f6e5d4c3b2a19080706050".into(),
            sha1: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567".into(),
            not_after: "2031-01-01T00:00:00Z".into(),
            is_ca: true,
            location: "/etc/ssl/certs/ca-certificates.crt".into(),
        },
        Certificate {
            subject: "C=US, O=Internet Security Research Group, CN=ISRG Root X1".into(),
            issuer: "C=US, O=Internet Security Research Group, CN=ISRG Root X1".into(),
            serial: "8210cfb0d240e3594463e0bb63828b00".into(),
            sha256: "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6".into(),
            sha1: "cabd2a79a1076a31f21d253635cb039d4329a5e8".into(),
            not_after: "2035-06-04T11:04:38Z".into(),
            is_ca: true,
            location: "/etc/ssl/certs/ca-certificates.crt".into(),
        },
    ];
    inv.files.push(FileEntry {
        path: "/var/opt/kaspersky/kesl".into(),
        file_type: "dir".into(),
        size: None,
    });
    inv.services.push(Service {
        name: "kesl.service".into(),
        scope: "system".into(),
        exec: Some("/var/opt/kaspersky/kesl/install-current/etc/init.d/kesl start".into()),
        description: None,
        enabled: true,
        start: None,
        location: "/etc/systemd/system/kesl.service".into(),
    });
    let sbom = "/srv/sboms/acme-app.cdx.json";
    let mut hms = SbomComponent {
        name: "push".into(),
        version: Some("6.11.0.300".into()),
        group: Some("com.huawei.hms".into()),
        purl: Some("pkg:maven/com.huawei.hms/push@6.11.0.300".into()),
        ecosystem: Some("maven".into()),
        namespace: Some("com.huawei.hms".into()),
        component_type: Some("library".into()),
        bom_ref: Some("hms-push".into()),
        location: sbom.into(),
        ..SbomComponent::default()
    };
    hms.path = vec!["acme-app@2.3".into(), hms.label()];
    let mut kav = SbomComponent {
        name: "kav-sdk".into(),
        version: Some("8.1".into()),
        supplier: Some("AO Kaspersky Lab".into()),
        manufacturer: Some("AO Kaspersky Lab".into()),
        authors: vec!["Kaspersky SDK team".into()],
        // A 1.6 type in the input must not leak into a 1.5 BOM.
        component_type: Some("cryptographic-asset".into()),
        location: sbom.into(),
        ..SbomComponent::default()
    };
    kav.path = vec!["acme-app@2.3".into(), "vendor-sdk@1.0".into(), kav.label()];
    let mut clean = SbomComponent {
        name: "commons-lang3".into(),
        version: Some("3.14.0".into()),
        group: Some("org.apache.commons".into()),
        purl: Some("pkg:maven/org.apache.commons/commons-lang3@3.14.0".into()),
        ecosystem: Some("maven".into()),
        namespace: Some("org.apache.commons".into()),
        publisher: Some("The Apache Software Foundation".into()),
        location: sbom.into(),
        ..SbomComponent::default()
    };
    clean.path = vec!["acme-app@2.3".into(), clean.label()];
    inv.sbom_components = vec![hms, kav, clean];
    inv
}

pub fn host() -> Host {
    Host {
        hostname: "web1".into(),
        os: "linux".into(),
        distro: Some("debian".into()),
        distro_version: Some("12".into()),
        pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
        kernel: Some("6.1.0-18-amd64".into()),
        machine_id: Some("0123456789abcdef0123456789abcdef".into()),
        root: "/".into(),
        live: true,
    }
}

pub fn report() -> Report {
    let catalog = uproot_catalog::Catalog::builtin().expect("built-in catalog");
    let compiled = catalog.compile().expect("built-in catalog compiles");
    let inv = inventory();
    let findings = uproot_matcher::match_inventory(&compiled, &inv);
    let assessment = uproot_assess::assess(
        &findings,
        &inv,
        &catalog,
        "2026-11-29",
        &uproot_assess::Protection::unknown(),
    );
    let mut r = Report::new(
        host(),
        CatalogInfo {
            version: catalog.version(),
            overlays: vec![],
        },
        inv,
        findings,
        vec![],
        "2026-11-29T10:00:00Z".into(),
    );
    r.apply_assessment(assessment);
    r
}
