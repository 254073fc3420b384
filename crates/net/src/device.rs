//! The plain record every input turns into.

use crate::mac::{Duid, Mac};
use serde::Serialize;
use std::net::IpAddr;

/// Which kind of input a device came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// nmap XML (`-oX`).
    Nmap,
    /// An asset-inventory CSV export.
    Csv,
    /// ISC dhcpd or dnsmasq leases.
    DhcpLeases,
    /// The live neighbour table (netlink or /proc/net/arp).
    Neighbors,
}

/// Where one device record was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Input kind.
    pub kind: SourceKind,
    /// File path, or `netlink:RTM_GETNEIGH` / `/proc/net/arp`.
    pub file: String,
    /// 1-based line of the record (the `<host>` element, CSV row, lease).
    pub line: Option<usize>,
    /// How the MAC was learnt when the input did not state it as a hardware
    /// address (a DHCPv6 client DUID), in words for the auditor. Absent
    /// from JSON when the MAC was read as such.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_from: Option<String>,
}

/// One open (or otherwise reported) port with what nmap learnt about it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Service {
    /// `tcp`, `udp`, `sctp`.
    pub protocol: String,
    /// Port number.
    pub port: u16,
    /// `open`, `closed`, `filtered`, …
    pub state: String,
    /// nmap's service name (`http`, `rtsp`).
    pub name: Option<String>,
    /// `product` attribute (e.g. `Hikvision IPCam control port`).
    pub product: Option<String>,
    /// `version` attribute.
    pub version: Option<String>,
    /// `extrainfo` attribute.
    pub extrainfo: Option<String>,
    /// `devicetype` attribute.
    pub devicetype: Option<String>,
    /// Script outputs (`http-server-header`, `banner`, …) as (id, output).
    pub scripts: Vec<(String, String)>,
}

/// A device seen on the network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NetDevice {
    /// Hardware address, when the input had one.
    pub mac: Option<Mac>,
    /// IPv4 and IPv6 addresses.
    pub ips: Vec<IpAddr>,
    /// Host name (DNS PTR, DHCP client-hostname, asset name).
    pub hostname: Option<String>,
    /// Where it was read.
    pub source: Source,
    /// The vendor the input itself claims (nmap's `vendor` attribute, a
    /// CSV vendor column). Never used to match; shown beside the OUI verdict.
    pub vendor_hint: Option<String>,
    /// Asset group (a CSV column), for use-context tagging.
    pub group: Option<String>,
    /// nmap host status (`up`, `down`), neighbour state (`REACHABLE`), …
    pub status: Option<String>,
    /// Interface (neighbour table only).
    pub interface: Option<String>,
    /// Ports and services (nmap only).
    pub services: Vec<Service>,
    /// The DHCPv6 client identifier (DHCPv6 leases only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duid: Option<Duid>,
    /// IPv6 prefixes delegated to the device (ISC `ia-pd` leases): a router
    /// (a CPE, a gateway) that leased a prefix rather than an address.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub prefixes: Vec<String>,
}

impl NetDevice {
    /// An empty record from a source.
    pub fn new(kind: SourceKind, file: &str, line: Option<usize>) -> NetDevice {
        NetDevice {
            mac: None,
            ips: Vec::new(),
            hostname: None,
            source: Source {
                kind,
                file: file.to_string(),
                line,
                mac_from: None,
            },
            vendor_hint: None,
            group: None,
            status: None,
            interface: None,
            services: Vec::new(),
            duid: None,
            prefixes: Vec::new(),
        }
    }
}
