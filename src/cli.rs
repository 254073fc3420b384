//! Command-line interface definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Find covered-vendor software (Kaspersky, Huawei, ZTE, Hytera, Hikvision,
/// Dahua) on a host or a mounted image, and report it with the legal
/// authority and the action each finding requires.
///
/// Exit codes: 0 clean, 1 covered software found, 2 error (or a source
/// could not be read and nothing was found).
#[derive(Debug, Parser)]
#[command(name = "uproot", version, about, long_about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a host (live), a mounted disk image / unpacked root, or a container image.
    ///
    /// Reads package databases (dpkg, rpm in sqlite/BerkeleyDB/ndb, apk,
    /// pacman, snap, flatpak), systemd units, kernel modules, CA stores, browser
    /// extensions, install paths, processes (live only) and product settings.
    /// Never executes anything it finds and never writes under the root.
    Scan(ScanArgs),
    /// Check SBOMs (CycloneDX 1.1–1.7 JSON/XML, SPDX 2.2/2.3 JSON/tag-value)
    /// for covered-vendor components, with the path that pulls each one in.
    ///
    /// Components are matched on their supplier, publisher, manufacturer and
    /// authors, their purl namespace and, per ecosystem, their name. Schema
    /// violations are reported as errors naming the file and the element.
    Sbom(SbomArgs),
    /// Find Section 889 network equipment (Huawei, ZTE, Hikvision, Dahua,
    /// Hytera) by MAC prefix in nmap XML, asset CSVs, DHCP leases or the live
    /// neighbour table.
    ///
    /// Prefixes are matched against the IEEE registry (MA-L, MA-M, MA-S),
    /// including affiliates registered under their own names (EZVIZ,
    /// HiSilicon, Nubia, …; catalog/AFFILIATES.md); randomised and multicast
    /// MACs are listed as unknowable, never matched.
    /// Hikvision, Dahua and Hytera are covered only in public-safety,
    /// government-facility or critical-infrastructure use: tag subnets or
    /// asset groups with --context to turn "possibly covered" into "covered".
    Net(NetArgs),
    /// The covered-vendor catalog: list, show, lint; signed bundles (keygen,
    /// pack, verify, update, diff); the MAC prefix table (oui-update).
    Catalog(CatalogArgs),
    /// Explainable risk assessment of each finding and of the host.
    Assess(crate::assess_cmd::AssessArgs),
    /// The ordered removal steps for each finding, per OS (text, JSON or a script).
    Plan(crate::plan_cmd::PlanArgs),
    /// Carry out the plan. A dry run that prints the plan unless --apply is given.
    Remove(crate::remove_cmd::RemoveArgs),
    /// Rescan, compare with the findings before removal, check that replacement
    /// protection is active, and write a signed evidence record.
    Verify(crate::verify_cmd::VerifyArgs),
    /// Create or show this host's evidence-signing key (ed25519).
    Key(crate::key_cmd::KeyArgs),
    /// Check evidence records.
    Evidence(crate::evidence_cmd::EvidenceArgs),
    /// Run the fleet server: agent API, admin API, dashboard and exports.
    Serve(crate::serve_cmd::ServeArgs),
    /// Enroll this host with a fleet server, then scan and report on a schedule.
    Agent(crate::agent_cmd::AgentArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Human-readable, grouped by vendor.
    Table,
    /// The versioned `uproot.report/1` document.
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards.
    Sarif,
    /// One row per finding.
    Csv,
    /// A CycloneDX 1.5 JSON SBOM of the inventory, with findings as properties.
    Cyclonedx,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Args)]
pub struct CatalogOpt {
    /// Extra catalog file (TOML); its rules add to or replace the built-in ones. Repeatable.
    #[arg(long = "catalog", value_name = "FILE", global = true)]
    pub catalog: Vec<PathBuf>,
    /// Public key (minisign format) trusted to sign catalog bundles, besides
    /// the project's release key built into the binary. Repeatable.
    #[arg(long = "trusted-key", value_name = "FILE", global = true)]
    pub trusted_keys: Vec<PathBuf>,
    /// Do not trust the built-in release key: only bundles signed by a
    /// `--trusted-key` are accepted (an agency that re-signs what it approved).
    #[arg(long = "no-builtin-key", global = true)]
    pub no_builtin_key: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Root directory to scan: a mounted image or unpacked container. Default: this host, live.
    #[arg(long, value_name = "DIR", conflicts_with = "image")]
    pub root: Option<PathBuf>,
    /// Container image to scan without a container engine: a `docker save`
    /// tarball, or an OCI image layout (directory or tar). Layers are read in
    /// place and merged with their whiteouts; each finding names the layer
    /// (digest and Dockerfile step) that put its evidence there.
    #[arg(long, value_name = "FILE")]
    pub image: Option<PathBuf>,
    /// Platform to pick from a multi-platform image (`linux/arm64`, `linux/arm/v7`).
    /// Default: linux/amd64.
    #[arg(long, value_name = "OS/ARCH", requires = "image")]
    pub platform: Option<String>,
    /// Do not check each layer blob against its sha256 digest. Faster (the
    /// scan then reads little more than the tar headers), but the layer
    /// digests in the findings are then only what the manifest claims.
    #[arg(long, requires = "image")]
    pub no_verify_digests: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Skip collectors by name, comma-separated or repeated. Linux: dpkg, rpm, apk, pacman,
    /// snap, flatpak, systemd, kmod, procs. Windows: windows-uninstall, windows-services,
    /// windows-registry-keys, windows-certs, windows-protection. macOS: macos-apps,
    /// macos-receipts, launchd, macos-extensions. Every OS: certs, browser, paths, settings.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Also sweep the file tree: report covered code signers (Authenticode on PE
    /// files, Apple Team IDs on Mach-O) and catalog file names, wherever they lie.
    /// Reads only headers and signature tables, in parallel.
    #[arg(long)]
    pub deep: bool,
    /// Directory inside the root to sweep (repeatable; implies --deep). Default: the whole root.
    #[arg(long = "path", value_name = "DIR")]
    pub paths: Vec<String>,
    /// Colour the table output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}

#[derive(Debug, Args)]
pub struct NetArgs {
    /// nmap XML output (`nmap -oX`). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub nmap: Vec<PathBuf>,
    /// Asset export CSV with a MAC column (found by header and content). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub csv: Vec<PathBuf>,
    /// Column mapping for --csv, e.g. `mac=Hardware Address,ip=IP,name=Asset,group=Site`.
    #[arg(long, value_name = "MAP")]
    pub csv_map: Option<String>,
    /// ISC dhcpd.leases / dhcpd6.leases or dnsmasq leases file; DHCPv6
    /// clients are matched by the MAC inside a DUID-LL or DUID-LLT. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub dhcp_leases: Vec<PathBuf>,
    /// Read this host's neighbour table (netlink; /proc/net/arp as a fallback).
    #[arg(long)]
    pub neighbors: bool,
    /// Use tags (TOML: `[[subnet]] cidr = "10.20.0.0/16"  use = "public-safety"`,
    /// `[[group]] name = "Substation CCTV"  use = "critical-infrastructure"`).
    #[arg(long, value_name = "FILE")]
    pub context: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour the table output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// SBOM files; the format is detected from the content.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Do not report schema violations (components are matched either way).
    #[arg(long)]
    pub no_validate: bool,
    /// Refuse SBOM files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = uproot_sbom::Limits::default().max_bytes)]
    pub max_bytes: u64,
    /// Colour the table output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}

#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    pub action: CatalogAction,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}

#[derive(Debug, Subcommand)]
pub enum CatalogAction {
    /// List vendors, their authorities and indicator counts.
    List,
    /// Show one vendor, product (vendor/product), indicator or authority by id.
    Show {
        /// Vendor, `vendor/product`, indicator or authority id.
        id: String,
    },
    /// Check every rule; fails (exit 1) on a rule without source or confidence, or a broken pattern.
    Lint,
    /// Create a catalog-signing key pair (minisign format): FILE (0600) and FILE.pub.
    Keygen {
        /// Secret key file to create; never overwritten.
        file: PathBuf,
        /// Encrypt the secret key with the password on this file's first line
        /// (minisign's scrypt box; recommended for a release key).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// Sign the catalog in DIR (catalog.toml, authorities.toml, vendors/*.toml)
    /// into a bundle that records its version, date and the indicators it changes.
    Pack {
        /// Directory shaped like the repository's `catalog/`.
        dir: PathBuf,
        /// Secret key from `uproot catalog keygen` or `minisign -G`.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// The secret key's password, on this file's first line (for an
        /// encrypted key; uproot never prompts).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// Re-issue serial of the same catalog version.
        #[arg(long, default_value_t = 0)]
        serial: u32,
        /// The bundle this one replaces, to record changes against (default: the built-in catalog).
        #[arg(long, value_name = "BUNDLE")]
        previous: Option<PathBuf>,
        /// Bundle file to write.
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
    },
    /// Check a bundle: signature by a trusted key, every file's hash, and that the catalog lints clean.
    Verify {
        /// Bundle file.
        file: PathBuf,
    },
    /// Verify and install a bundle for scans on this host; refuses unsigned,
    /// untrusted, tampered and older bundles.
    Update {
        /// Bundle file.
        file: PathBuf,
        /// State directory (default: $UPROOT_STATE_DIR/catalog or /var/lib/uproot/catalog).
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
    },
    /// Rebuild the covered-vendor MAC prefix table from a newer IEEE registry
    /// (a directory holding oui.csv, mam.csv, oui36.csv, iab.csv or oui.txt, as
    /// Debian's ieee-data ships in /usr/share/ieee-data); `uproot net` uses it
    /// instead of the built-in table.
    OuiUpdate {
        /// Registry directory.
        #[arg(long, value_name = "DIR")]
        ieee: PathBuf,
        /// Table file to write (default: $UPROOT_STATE_DIR/oui/covered-oui.tsv
        /// or /var/lib/uproot/oui/covered-oui.tsv).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Accept a registry older than the one built in.
        #[arg(long)]
        allow_older: bool,
    },
    /// What NEW adds, removes or changes relative to OLD (bundles or catalog directories).
    Diff {
        /// Old bundle file or catalog directory.
        old: PathBuf,
        /// New bundle file or catalog directory.
        new: PathBuf,
    },
}

/// Which host a remediation command works on: a fresh scan of a root (or of
/// this host), or a saved `uproot scan --format json` report.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Root directory to scan (a mounted image or a chroot). Default: this host, live.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Use this saved JSON report instead of scanning.
    #[arg(long, value_name = "FILE", conflicts_with = "root")]
    pub report: Option<PathBuf>,
    /// Skip collectors, as for `scan`.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Include the deep sweep, as for `scan --deep`.
    #[arg(long)]
    pub deep: bool,
    #[command(flatten)]
    pub catalog: CatalogOpt,
}
