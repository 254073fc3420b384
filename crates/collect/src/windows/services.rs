//! Services and drivers: `SYSTEM\<current control set>\Services`.
//!
//! There is no `CurrentControlSet` in a hive file: it is a link the kernel makes
//! at boot to the set `SYSTEM\Select\Current` names (`1` → `ControlSet001`).
//! The others are last-known-good copies and are not what the machine runs.
//!
//! Each subkey with a `Type` is a service or driver (subkeys without one hold
//! only settings, such as event-log sources):
//!
//! | `Type` | what | goes to |
//! |---|---|---|
//! | 0x1 kernel driver, 0x4 adapter | kernel code | `drivers`, `kernel-driver` |
//! | 0x2 file-system driver, 0x8 recognizer | minifilters, file systems | `drivers`, `fs-driver` |
//! | 0x10 own process, 0x20 shared process (+0x40 user, +0x100 interactive) | Win32 services | `services` |
//!
//! `Start`: 0 boot, 1 system, 2 auto, 3 manual, 4 disabled; a service is
//! `enabled` when it starts on its own (≤ 2). A driver's file is the last
//! component of `ImagePath`; with no `ImagePath` Windows loads
//! `System32\drivers\<name>.sys`, so that name is reported. A minifilter's
//! altitudes are the `Altitude` strings under `Instances\*`, read as integers
//! (a fractional altitude such as `40100.7` keeps its integer part).

use uproot_inventory::{Driver, Service};

use super::hive::{Hive, HiveError, Key};
use super::source::Hives;
use crate::{CollectOptions, Collector, Output, Root};

/// The services-and-drivers collector.
pub struct Services;

/// Most `Instances` subkeys read per driver.
const MAX_INSTANCES: usize = 64;

impl Collector for Services {
    fn name(&self) -> &'static str {
        "windows-services"
    }

    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output) {
        let mut hives = Hives::new(root);
        collect_from(&mut hives, opts, out);
        hives.report(out);
    }
}

/// Reads services and drivers of the current control set from already-open hives.
pub fn collect_from(hives: &mut Hives, _opts: &CollectOptions, out: &mut Output) {
    let Some(hive) = hives.system(out) else {
        return;
    };
    match read_services(hive) {
        Ok(Some(t)) => {
            out.inventory.services.extend(t.services);
            out.inventory.drivers.extend(t.drivers);
        }
        Ok(None) => out.error(
            hive.location(),
            "no control set (Select\\Current names none that exists)",
        ),
        Err(e) => out.error(hive.location(), format!("Services: {e}")),
    }
}

/// What one control set's `Services` key holds.
#[derive(Debug, Clone, Default)]
pub struct ServiceTable {
    /// The control set read, e.g. `ControlSet001`.
    pub control_set: String,
    /// Win32 services.
    pub services: Vec<Service>,
    /// Kernel and file-system drivers.
    pub drivers: Vec<Driver>,
    /// Subkeys with no `Type` (settings only), or a type that is neither.
    pub other_keys: usize,
}

/// The control set in use: `Select\Current` as `ControlSetNNN`, if that key
/// exists. Without `Select` (a partial export) `ControlSet001` is used if present.
pub fn current_control_set(hive: &mut Hive) -> Result<Option<String>, HiveError> {
    let name = match hive.key("Select")?.and_then(|k| k.number("Current")) {
        Some(n) if n < 1000 => format!("ControlSet{n:03}"),
        Some(_) => return Ok(None),
        None => "ControlSet001".to_owned(),
    };
    Ok(hive.key(&name)?.map(|k| k.path().to_owned()))
}

/// Reads the services and drivers of the current control set; `None` when
/// there is none.
pub fn read_services(hive: &mut Hive) -> Result<Option<ServiceTable>, HiveError> {
    let Some(set) = current_control_set(hive)? else {
        return Ok(None);
    };
    let mut table = read_control_set(hive, &set)?;
    table.control_set = set;
    Ok(Some(table))
}

/// Reads `<set>\Services` of a SYSTEM hive.
pub fn read_control_set(hive: &mut Hive, set: &str) -> Result<ServiceTable, HiveError> {
    let mut table = ServiceTable {
        control_set: set.to_owned(),
        ..ServiceTable::default()
    };
    let Some(services) = hive.key(&format!("{set}\\Services"))? else {
        return Ok(table);
    };
    let location = hive.location().to_owned();
    for key in hive.subkeys(&services)? {
        let Some(ty) = key.number("Type") else {
            table.other_keys += 1;
            continue;
        };
        let start = key.number("Start").map(start_name);
        let image = key.text("ImagePath");
        let loc = format!("{location}\\{}", key.path());
        if ty & 0x0f != 0 && ty & !0x0f == 0 {
            let file = image
                .as_deref()
                .map(file_name)
                .filter(|f| !f.is_empty())
                .unwrap_or_else(|| format!("{}.sys", key.name()));
            table.drivers.push(Driver {
                name: key.name().to_owned(),
                file: Some(file),
                driver_type: if ty & 0x0a != 0 {
                    "fs-driver"
                } else {
                    "kernel-driver"
                }
                .into(),
                start,
                altitudes: altitudes(hive, &key)?,
                team_id: None,
                location: loc,
            });
        } else if ty & 0x30 != 0 {
            table.services.push(Service {
                name: key.name().to_owned(),
                scope: "windows".into(),
                exec: image,
                description: key.text("DisplayName"),
                enabled: key.number("Start").is_some_and(|s| s <= 2),
                start,
                location: loc,
            });
        } else {
            table.other_keys += 1;
        }
    }
    Ok(table)
}

/// `Start` as a word; unknown numbers stay numbers.
pub fn start_name(n: u64) -> String {
    match n {
        0 => "boot".into(),
        1 => "system".into(),
        2 => "auto".into(),
        3 => "manual".into(),
        4 => "disabled".into(),
        n => n.to_string(),
    }
}

/// The file name at the end of an `ImagePath` (`System32\DRIVERS\klif.sys` → `klif.sys`).
pub fn file_name(image: &str) -> String {
    let path = image.trim().trim_matches('"');
    path.rsplit(['\\', '/'])
        .next()
        .unwrap_or(path)
        .trim()
        .to_owned()
}

fn altitudes(hive: &mut Hive, driver: &Key) -> Result<Vec<u32>, HiveError> {
    let Some(instances) = hive.subkey(driver, "Instances")? else {
        return Ok(Vec::new());
    };
    let mut alts: Vec<u32> = hive
        .subkeys(&instances)?
        .iter()
        .take(MAX_INSTANCES)
        .filter_map(|i| i.text("Altitude"))
        .filter_map(|a| a.split('.').next()?.trim().parse().ok())
        .collect();
    alts.sort_unstable();
    alts.dedup();
    Ok(alts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_paths_to_file_names() {
        assert_eq!(file_name("System32\\DRIVERS\\klif.sys"), "klif.sys");
        assert_eq!(
            file_name("\\SystemRoot\\system32\\drivers\\tcpip.sys"),
            "tcpip.sys"
        );
        assert_eq!(
            file_name("\"\\??\\C:\\Program Files\\X\\drv.sys\""),
            "drv.sys"
        );
        assert_eq!(start_name(3), "manual");
        assert_eq!(start_name(9), "9");
    }
}
