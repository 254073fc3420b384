//! Which other protection the machine has, for the "is it safe to remove?"
//! check: removing a banned antivirus must not leave a host unprotected.
//!
//! Two sources can be read from the hives:
//!
//! * **Microsoft Defender Antivirus** (`SOFTWARE\Microsoft\Windows Defender`).
//!   It counts as disabled when `DisableAntiSpyware` or `DisableAntiVirus` is 1
//!   there or under `SOFTWARE\Policies\Microsoft\Windows Defender`, when
//!   `Real-Time Protection\DisableRealtimeMonitoring` is 1 in either place, or
//!   when the `WinDefend` service is disabled (`Start` = 4). Otherwise it is
//!   reported enabled.
//! * **Security Center registrations**
//!   (`SOFTWARE\Microsoft\Security Center\Provider\{Av,As,Fw}\{GUID}`), the
//!   store behind WMI's `root\SecurityCenter2` (`AntiVirusProduct` and friends):
//!   `DISPLAYNAME` and `STATE`, the `productState` word. `STATE & 0x3000` is
//!   0x1000 when on (0x2000 snoozed, 0x3000 expired, 0 off), and bit 0x10 is
//!   set when signatures are out of date.
//!
//! What is *not* knowable offline: whether Defender is running in passive mode
//! right now (it steps aside at run time when another antivirus registers,
//! without writing `Disable*`), its real-time state, and how fresh its
//! signatures are. So Defender's `enabled` is its *configured* state, which is
//! what it returns to once the other product is removed. Security Center's
//! `STATE` is the last state the product reported before the image was taken.

use uproot_inventory::ProtectionProduct;

use super::hive::{Hive, HiveError};
use super::services::current_control_set;
use super::source::Hives;
use crate::{CollectOptions, Collector, Output, Root};

/// The protection-state collector.
pub struct Protection;

/// Name used for Defender, as Windows Security shows it.
pub const DEFENDER: &str = "Microsoft Defender Antivirus";
const DEFENDER_KEY: &str = "Microsoft\\Windows Defender";
const DEFENDER_POLICY_KEY: &str = "Policies\\Microsoft\\Windows Defender";
/// Security Center provider kinds and the category each maps to.
pub const PROVIDERS: [(&str, &str); 3] = [
    ("Av", "antivirus"),
    ("As", "antispyware"),
    ("Fw", "firewall"),
];

impl Collector for Protection {
    fn name(&self) -> &'static str {
        "windows-protection"
    }

    fn collect(&self, root: &Root, opts: &CollectOptions, out: &mut Output) {
        let mut hives = Hives::new(root);
        collect_from(&mut hives, opts, out);
        hives.report(out);
    }
}

/// Reads Defender and Security Center state from already-open hives.
pub fn collect_from(hives: &mut Hives, _opts: &CollectOptions, out: &mut Output) {
    let windefend_start = hives
        .system(&mut Output::default())
        .and_then(|sys| windefend_start(sys).ok().flatten());
    let Some(software) = hives.software(out) else {
        return;
    };
    match defender(software, windefend_start) {
        Ok(Some(p)) => out.inventory.protection.push(p),
        Ok(None) => {}
        Err(e) => out.error(software.location(), format!("{DEFENDER_KEY}: {e}")),
    }
    match security_center(software) {
        Ok(ps) => out.inventory.protection.extend(ps),
        Err(e) => out.error(software.location(), format!("Security Center: {e}")),
    }
}

/// `Start` of the `WinDefend` service in the current control set.
pub fn windefend_start(system: &mut Hive) -> Result<Option<u64>, HiveError> {
    let Some(set) = current_control_set(system)? else {
        return Ok(None);
    };
    Ok(system
        .key(&format!("{set}\\Services\\WinDefend"))?
        .and_then(|k| k.number("Start")))
}

/// Defender's configured state, or `None` when the SOFTWARE hive has no
/// Defender key (Windows before 8, or Server without the feature).
pub fn defender(
    software: &mut Hive,
    windefend_start: Option<u64>,
) -> Result<Option<ProtectionProduct>, HiveError> {
    let Some(key) = software.key(DEFENDER_KEY)? else {
        return Ok(None);
    };
    let mut off = windefend_start == Some(4);
    for base in [DEFENDER_KEY, DEFENDER_POLICY_KEY] {
        if let Some(k) = software.key(base)? {
            off |= k.number("DisableAntiSpyware") == Some(1)
                || k.number("DisableAntiVirus") == Some(1);
        }
        if let Some(k) = software.key(&format!("{base}\\Real-Time Protection"))? {
            off |= k.number("DisableRealtimeMonitoring") == Some(1);
        }
    }
    Ok(Some(ProtectionProduct {
        name: DEFENDER.into(),
        category: "antivirus".into(),
        enabled: Some(!off),
        up_to_date: None,
        location: format!("{}\\{}", software.location(), key.path()),
    }))
}

/// `(enabled, up_to_date)` from a Security Center `productState`.
pub fn decode_state(state: u64) -> (bool, bool) {
    (state & 0x3000 == 0x1000, state & 0x10 == 0)
}

/// Products registered with Security Center.
pub fn security_center(software: &mut Hive) -> Result<Vec<ProtectionProduct>, HiveError> {
    let mut found = Vec::new();
    for (kind, category) in PROVIDERS {
        let Some(list) = software.key(&format!("Microsoft\\Security Center\\Provider\\{kind}"))?
        else {
            continue;
        };
        for entry in software.subkeys(&list)? {
            let Some(name) = entry.text("DISPLAYNAME") else {
                continue;
            };
            let state = entry.number("STATE").map(decode_state);
            found.push(ProtectionProduct {
                name,
                category: category.into(),
                enabled: state.map(|s| s.0),
                up_to_date: state.filter(|_| category != "firewall").map(|s| s.1),
                location: format!("{}\\{}", software.location(), entry.path()),
            });
        }
    }
    Ok(found)
}
