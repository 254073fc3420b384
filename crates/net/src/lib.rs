//! Network evidence for covered-vendor devices that run no agent (Section
//! 889 telecom and video-surveillance equipment: Huawei, ZTE, Hikvision,
//! Dahua, Hytera).
//!
//! Each input becomes plain [`NetDevice`] records: nmap XML ([`nmap`]),
//! asset CSV exports ([`assets`]), ISC dhcpd and dnsmasq leases
//! ([`leases`]) and the live neighbour table ([`neigh`]: rtnetlink
//! `RTM_GETNEIGH` for IPv4 and IPv6, `/proc/net/arp` as the fallback).
//! [`scan`] matches their MACs against a compact covered-vendor OUI table
//! compiled into the binary ([`oui`]: MA-L, MA-M and MA-S, longest prefix
//! wins), flags randomised and multicast MACs as unknowable, and decides
//! coverage from the user's [`UseContext`]: Huawei and ZTE are covered
//! unconditionally, Hikvision, Dahua and Hytera only for the uses the FCC
//! names.
//!
//! ```
//! use uproot_net::{match_devices, Coverage, NetDevice, SourceKind, UseContext};
//! use uproot_net::{mac::Mac, oui::Table};
//!
//! let mut d = NetDevice::new(SourceKind::Csv, "assets.csv", Some(2));
//! d.mac = Mac::parse("BC-5E-33-01-02-03");
//! d.ips.push("10.20.0.5".parse().unwrap());
//! let ctx = UseContext::from_toml(
//!     "[[subnet]]\ncidr = \"10.20.0.0/16\"\nuse = \"public-safety\"\n",
//!     "use.toml",
//! )
//! .unwrap();
//! let r = match_devices(vec![d], &ctx, Table::builtin());
//! assert_eq!(r.findings[0].vendor.id(), "hikvision");
//! assert_eq!(r.findings[0].coverage, Coverage::Covered);
//! ```
#![deny(missing_docs)]

pub mod assets;
pub mod banner;
pub mod context;
pub mod csvtext;
pub mod device;
pub mod error;
pub mod leases;
pub mod mac;
pub mod neigh;
pub mod nmap;
pub mod oui;
mod scan;

pub use assets::CsvMapping;
pub use context::{UseContext, UseTag, FCC_CONDITION};
pub use device::{NetDevice, Service, Source, SourceKind};
pub use error::NetError;
pub use oui::{update_table, Vendor, REGISTRY_DATE};
pub use scan::{match_devices, scan, Coverage, NetFinding, NetInputs, NetReport, Unknowable};
