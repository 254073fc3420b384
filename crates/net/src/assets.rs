//! Asset-inventory CSV exports: one device per row. The MAC column is found
//! by header name, else by content; `--csv-map mac=Hardware Address,ip=IP`
//! names columns explicitly.

use crate::csvtext;
use crate::device::{NetDevice, SourceKind};
use crate::error::NetError;
use crate::mac::Mac;
use std::net::IpAddr;

/// Which column holds what. Values are header names (case-insensitive).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvMapping {
    /// MAC address column.
    pub mac: Option<String>,
    /// IP address column.
    pub ip: Option<String>,
    /// Host or asset name column.
    pub name: Option<String>,
    /// Asset group column (matched against the use context's groups).
    pub group: Option<String>,
    /// Vendor / manufacturer column (shown, never matched).
    pub vendor: Option<String>,
}

impl CsvMapping {
    /// Parse `mac=Hardware Address,ip=IP,name=Asset,group=Site,vendor=Make`.
    pub fn parse(spec: &str) -> Result<CsvMapping, String> {
        let mut m = CsvMapping::default();
        for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected key=Header"))?;
            let v = Some(v.trim().to_string());
            match k.trim() {
                "mac" => m.mac = v,
                "ip" => m.ip = v,
                "name" => m.name = v,
                "group" => m.group = v,
                "vendor" => m.vendor = v,
                other => {
                    return Err(format!(
                        "unknown key {other:?}: expected mac, ip, name, group or vendor"
                    ))
                }
            }
        }
        Ok(m)
    }
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

const MAC_NAMES: &[&str] = &[
    "mac",
    "macaddress",
    "macaddr",
    "hardwareaddress",
    "hwaddress",
    "hwaddr",
    "physicaladdress",
    "ethernetaddress",
    "ethernetmac",
    "lladdr",
    "bssid",
];
const IP_NAMES: &[&str] = &[
    "ip",
    "ipaddress",
    "ipv4",
    "ipv4address",
    "ipaddr",
    "ipv6",
    "ipv6address",
    "address",
];
const NAME_NAMES: &[&str] = &[
    "hostname",
    "name",
    "host",
    "assetname",
    "asset",
    "devicename",
    "device",
    "dnsname",
    "fqdn",
];
const GROUP_NAMES: &[&str] = &[
    "group",
    "assetgroup",
    "site",
    "location",
    "zone",
    "department",
    "segment",
];
const VENDOR_NAMES: &[&str] = &["vendor", "manufacturer", "make", "macvendor", "oui"];

fn by_name(header: &[String], names: &[&str]) -> Option<usize> {
    let n: Vec<String> = header.iter().map(|h| norm(h)).collect();
    names
        .iter()
        .find_map(|want| n.iter().position(|h| h == want))
}

fn explicit(
    header: &[String],
    want: &Option<String>,
    file: &str,
) -> Result<Option<usize>, NetError> {
    let Some(w) = want else { return Ok(None) };
    header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(w.trim()))
        .map(Some)
        .ok_or_else(|| {
            NetError::at(
                file,
                1,
                format!("no column named {w:?} (columns: {})", header.join(", ")),
            )
        })
}

/// Parse an asset CSV. Rows whose MAC cell is not a MAC become located
/// errors; the row is kept as an IP-only device.
pub fn parse_assets(
    text: &str,
    file: &str,
    mapping: &CsvMapping,
) -> Result<(Vec<NetDevice>, Vec<NetError>), NetError> {
    let mut out = Vec::new();
    let errs = read_assets(text, file, mapping, |d| out.push(d))?;
    Ok((out, errs))
}

/// [`parse_assets`], handing each device to `sink` as its row is read. A
/// file-level error can come after some rows were handed over (a broken
/// quote further down); [`scan`](crate::scan()) checks the quoting first.
pub(crate) fn read_assets(
    text: &str,
    file: &str,
    mapping: &CsvMapping,
    mut sink: impl FnMut(NetDevice),
) -> Result<Vec<NetError>, NetError> {
    let err = |(l, m): (usize, String)| NetError::at(file, l, m);
    // Records are read one at a time: a million-row export is never held as
    // a million field vectors. Only the rows needed to find the MAC column
    // by content are buffered.
    let mut recs = csvtext::Records::new(text);
    let Some(first) = recs.next() else {
        return Err(NetError::file(file, "empty CSV: no header row"));
    };
    let header: Vec<String> = first
        .map_err(err)?
        .1
        .into_iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    // A malformed file is reported as such, not as a missing column: the
    // whole-file reader found the quoting error before looking at columns.
    let refuse = |e: NetError, recs: csvtext::Records<'_>| -> NetError {
        recs.filter_map(Result::err).next().map_or(e, err)
    };
    let pick = |want: &Option<String>, names: &[&str]| -> Result<Option<usize>, NetError> {
        Ok(match explicit(&header, want, file)? {
            Some(i) => Some(i),
            None if want.is_none() => by_name(&header, names),
            None => None,
        })
    };
    let cols = (|| {
        Ok::<_, NetError>((
            pick(&mapping.mac, MAC_NAMES)?,
            pick(&mapping.ip, IP_NAMES)?,
            pick(&mapping.name, NAME_NAMES)?,
            pick(&mapping.group, GROUP_NAMES)?,
            pick(&mapping.vendor, VENDOR_NAMES)?,
        ))
    })();
    let (mut mac_col, ip_col, name_col, group_col, vendor_col) = match cols {
        Ok(c) => c,
        Err(e) => return Err(refuse(e, recs)),
    };
    let mut head: Vec<csvtext::Record> = Vec::new();
    if mac_col.is_none() {
        // By content: the column where most of the first 200 filled cells
        // are MACs.
        for r in recs.by_ref().take(200) {
            head.push(r.map_err(err)?);
        }
        let mut best = (0usize, None);
        for c in 0..header.len() {
            let cells: Vec<&str> = head
                .iter()
                .filter_map(|(_, r)| r.get(c).map(|s| s.trim()))
                .filter(|s| !s.is_empty())
                .collect();
            let hits = cells.iter().filter(|s| Mac::parse(s).is_some()).count();
            if hits * 2 > cells.len() && hits > best.0 {
                best = (hits, Some(c));
            }
        }
        mac_col = best.1;
    }
    let Some(mac_col) = mac_col else {
        let e = NetError::at(
            file,
            1,
            format!(
                "no MAC column found by name or content (columns: {}); name it with mac=HEADER",
                header.join(", ")
            ),
        );
        return Err(refuse(e, recs));
    };
    fn cell(r: &[String], c: Option<usize>) -> Option<&str> {
        c.and_then(|c| r.get(c))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
    let mut errs = Vec::new();
    for rec in head.into_iter().map(Ok).chain(recs) {
        let (line, r) = rec.map_err(err)?;
        if r.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut d = NetDevice::new(SourceKind::Csv, file, Some(line));
        if let Some(m) = cell(&r, Some(mac_col)) {
            match Mac::parse(m) {
                Some(mac) => d.mac = Some(mac),
                None => errs.push(NetError::at(
                    file,
                    line,
                    format!("column {:?}: {m:?} is not a MAC address", header[mac_col]),
                )),
            }
        }
        if let Some(ip) = cell(&r, ip_col) {
            // Some exports list several addresses in one cell.
            for part in ip.split([';', ' ', '|']).filter(|p| !p.is_empty()) {
                match part.parse::<IpAddr>() {
                    Ok(a) => d.ips.push(a),
                    Err(_) => errs.push(NetError::at(
                        file,
                        line,
                        format!("{part:?} is not an IP address"),
                    )),
                }
            }
        }
        d.hostname = cell(&r, name_col).map(str::to_string);
        d.group = cell(&r, group_col).map(str::to_string);
        d.vendor_hint = cell(&r, vendor_col).map(str::to_string);
        sink(d);
    }
    Ok(errs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names() {
        let csv = "Asset Name,IP Address,MAC Address,Site\ncam1,10.0.0.5,BC-5E-33-00-00-01,HQ\nsrv,10.0.0.6,,DC\n";
        let (d, e) = parse_assets(csv, "a.csv", &CsvMapping::default()).unwrap();
        assert!(e.is_empty());
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].mac.unwrap().to_string(), "bc:5e:33:00:00:01");
        assert_eq!(d[0].hostname.as_deref(), Some("cam1"));
        assert_eq!(d[0].group.as_deref(), Some("HQ"));
        assert_eq!(d[0].source.line, Some(2));
        assert!(d[1].mac.is_none());
    }

    #[test]
    fn by_content_every_format() {
        let csv = "id,thing,where\n1,bc5e.3300.0001,a\n2,74C929000002,b\n3,80:38:bc:00:00:03,c\n";
        let (d, e) = parse_assets(csv, "b.csv", &CsvMapping::default()).unwrap();
        assert!(e.is_empty());
        assert_eq!(d.iter().filter(|d| d.mac.is_some()).count(), 3);
    }

    #[test]
    fn content_detection_past_the_sampled_rows() {
        // The first 200 rows pick the column; rows after them are read too,
        // with their own line numbers.
        let mut csv = String::from("id,thing\n");
        for i in 0..450 {
            csv.push_str(&format!(
                "{i},80:38:bc:00:{:02x}:{:02x}\n",
                i / 256,
                i % 256
            ));
        }
        let (d, e) = parse_assets(&csv, "n.csv", &CsvMapping::default()).unwrap();
        assert!(e.is_empty());
        assert_eq!(d.len(), 450);
        assert_eq!(d[449].source.line, Some(451));
        assert_eq!(d[449].mac.unwrap().to_string(), "80:38:bc:00:01:c1");
    }

    #[test]
    fn quoting_error_wins_over_missing_column() {
        // As when the whole file was split first: a broken quote is the
        // problem to report, wherever it is.
        let e = parse_assets(
            "id,thing\n1,x\n2,\"open\n3,y\n",
            "q.csv",
            &CsvMapping::default(),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("unterminated"), "{e}");
        let m = CsvMapping::parse("mac=Nope").unwrap();
        let e = parse_assets("MAC\n\"x\n", "q.csv", &m).unwrap_err();
        assert!(e.message.contains("unterminated"), "{e}");
        let e = parse_assets(
            "MAC\n80:38:bc:00:00:01\n\"x\n",
            "q.csv",
            &CsvMapping::default(),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
    }

    #[test]
    fn explicit_mapping_and_errors() {
        let m = CsvMapping::parse("mac=Hardware Address, ip=IP ,name=Asset").unwrap();
        let csv = "Asset,IP,Hardware Address,MAC\nx,10.0.0.1;10.0.0.2,9c-06-6e-00-00-01,zz\ny,nope,garbage,\n";
        let (d, e) = parse_assets(csv, "c.csv", &m).unwrap();
        assert_eq!(d[0].mac.unwrap().to_string(), "9c:06:6e:00:00:01");
        assert_eq!(d[0].ips.len(), 2);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].line, Some(3));
        assert!(e[0].to_string().starts_with("c.csv:3:"));
        let bad = CsvMapping::parse("mac=Nope").unwrap();
        assert!(parse_assets(csv, "c.csv", &bad)
            .unwrap_err()
            .message
            .contains("Nope"));
        assert!(CsvMapping::parse("colour=x").is_err());
        assert!(CsvMapping::parse("mac").is_err());
        assert!(parse_assets("a,b\n1,2\n", "d.csv", &CsvMapping::default()).is_err());
        assert!(parse_assets("", "e.csv", &CsvMapping::default()).is_err());
    }
}
