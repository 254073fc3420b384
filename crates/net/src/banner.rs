//! Service banners as corroborating evidence (never a finding by
//! themselves): Hikvision's web servers announce `App-webs`, `DNVRS-Webs`,
//! `DVRDVS-Webs` or `Hikvision-Webs`; Dahua's SDK listens on TCP 37777 and
//! UDP 37778 (indicators.md §2.3, §2.4).

use crate::device::{NetDevice, Source};
use crate::oui::Vendor;
use serde::Serialize;
use std::net::IpAddr;

/// One banner or port that points at a vendor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BannerHint {
    /// The vendor it points at.
    pub vendor: Vendor,
    /// What was seen, e.g. `tcp/80 http-server-header: App-webs/`.
    pub evidence: String,
    /// The device's addresses.
    pub ips: Vec<IpAddr>,
    /// Where it was read.
    pub source: Source,
}

const HIKVISION_SERVERS: &[&str] = &["app-webs", "dnvrs-webs", "dvrdvs-webs", "hikvision-webs"];

/// The hints one device's services carry.
pub fn hints(d: &NetDevice) -> Vec<BannerHint> {
    let mut out = Vec::new();
    let mut push = |vendor, evidence: String| {
        out.push(BannerHint {
            vendor,
            evidence,
            ips: d.ips.clone(),
            source: d.source.clone(),
        })
    };
    for s in &d.services {
        let at = format!("{}/{}", s.protocol, s.port);
        let mut texts: Vec<(String, &str)> = s
            .scripts
            .iter()
            .filter(|(id, _)| {
                matches!(
                    id.as_str(),
                    "http-server-header" | "banner" | "rtsp-methods"
                )
            })
            .map(|(id, o)| (id.clone(), o.as_str()))
            .collect();
        if let Some(p) = &s.product {
            texts.push(("product".into(), p));
        }
        for (what, t) in texts {
            let l = t.to_ascii_lowercase();
            if HIKVISION_SERVERS.iter().any(|h| l.contains(h)) || l.contains("hikvision") {
                push(Vendor::Hikvision, format!("{at} {what}: {}", t.trim()));
            } else if l.contains("dahua") {
                push(Vendor::Dahua, format!("{at} {what}: {}", t.trim()));
            }
        }
        let open = s.state == "open" || s.state.is_empty();
        if open
            && ((s.protocol == "tcp" && s.port == 37777)
                || (s.protocol == "udp" && s.port == 37778))
        {
            push(Vendor::Dahua, format!("{at} open (Dahua SDK port)"));
        }
    }
    out
}
