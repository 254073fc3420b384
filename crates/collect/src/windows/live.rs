//! The running registry (Windows only): each hive is saved to a file with
//! `RegSaveKeyExW` and parsed by the same offline reader as a disk image, so a
//! live scan and an image scan give the same inventory.
//!
//! The live hive files are open and locked by the kernel, so they cannot be
//! read directly; `RegSaveKeyExW` writes a consistent copy, and needs
//! `SeBackupPrivilege` enabled (administrators hold it, disabled). Loaded user
//! hives are `HKU\<SID>`; users who are not logged on have no loaded hive, and
//! their `NTUSER.DAT` is read from disk like an image's.
//!
//! This module cannot be built on the Linux CI, so it is kept to a few direct
//! calls. It calls the Win32 API, which is `unsafe`: the workspace's
//! `unsafe_code = "forbid"` must become `"deny"` for it to compile (the module
//! allows it locally). Every pointer passed is to a live local or a
//! NUL-terminated UTF-16 buffer owned by the caller.
#![allow(unsafe_code)]

use std::os::windows::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_SUCCESS, HANDLE, LUID};
use windows_sys::Win32::Security::{
    AdjustTokenPrivileges, LookupPrivilegeValueW, LUID_AND_ATTRIBUTES, SE_BACKUP_NAME,
    SE_PRIVILEGE_ENABLED, TOKEN_ADJUST_PRIVILEGES, TOKEN_PRIVILEGES,
};
use windows_sys::Win32::System::Registry::{
    RegCloseKey, RegEnumKeyExW, RegOpenKeyExW, RegSaveKeyExW, HKEY, HKEY_LOCAL_MACHINE, HKEY_USERS,
    KEY_READ, REG_LATEST_FORMAT,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

use super::hive::Hive;
use super::source::{MachineHive, OfflineRegistry, RegistrySource, UserHive};
use crate::{Output, Root};

/// Hives of the running system.
pub struct LiveRegistry {
    offline: OfflineRegistry,
}

impl LiveRegistry {
    /// Reads the running registry; `root` (the live `C:\`) supplies the
    /// `NTUSER.DAT` files of users who are not logged on.
    pub fn new(root: &Root) -> Self {
        LiveRegistry {
            offline: OfflineRegistry::new(root),
        }
    }
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(Some(0)).collect()
}

fn wide_path(p: &Path) -> Vec<u16> {
    p.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// Enables SeBackupPrivilege for this process (idempotent).
fn enable_backup_privilege() -> Result<(), String> {
    let mut token: HANDLE = std::ptr::null_mut();
    // SAFETY: out-pointer to a local; the pseudo-handle needs no closing.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES, &mut token) } == 0 {
        return Err(format!(
            "OpenProcessToken: {}",
            std::io::Error::last_os_error()
        ));
    }
    let mut luid = LUID {
        LowPart: 0,
        HighPart: 0,
    };
    // SAFETY: SE_BACKUP_NAME is a static NUL-terminated string; out-pointer to a local.
    let ok = unsafe { LookupPrivilegeValueW(std::ptr::null(), SE_BACKUP_NAME, &mut luid) } != 0;
    let tp = TOKEN_PRIVILEGES {
        PrivilegeCount: 1,
        Privileges: [LUID_AND_ATTRIBUTES {
            Luid: luid,
            Attributes: SE_PRIVILEGE_ENABLED,
        }],
    };
    // SAFETY: `tp` lives across the call; no previous state is requested.
    let ok = ok
        && unsafe {
            AdjustTokenPrivileges(token, 0, &tp, 0, std::ptr::null_mut(), std::ptr::null_mut())
        } != 0;
    let err = std::io::Error::last_os_error();
    // SAFETY: `token` was opened above.
    unsafe { CloseHandle(token) };
    // AdjustTokenPrivileges succeeds without granting when the privilege is not held
    // (ERROR_NOT_ALL_ASSIGNED); RegSaveKeyExW then fails and says so.
    if ok {
        Ok(())
    } else {
        Err(format!("enabling SeBackupPrivilege: {err}"))
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// Saves `parent\subkey` to a new temporary file and returns its bytes.
fn save(parent: HKEY, subkey: &str) -> Result<Vec<u8>, String> {
    enable_backup_privilege()?;
    let file: PathBuf = std::env::temp_dir().join(format!(
        "uproot-{}-{}.hiv",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let name = wide(subkey);
    let mut key: HKEY = std::ptr::null_mut();
    // SAFETY: `name` is NUL-terminated and outlives the call; out-pointer to a local.
    let rc = unsafe { RegOpenKeyExW(parent, name.as_ptr(), 0, KEY_READ, &mut key) };
    if rc != ERROR_SUCCESS {
        return Err(format!(
            "opening {subkey}: {}",
            std::io::Error::from_raw_os_error(rc as i32)
        ));
    }
    let path = wide_path(&file);
    // SAFETY: `key` is open; `path` is NUL-terminated; default security.
    let rc = unsafe { RegSaveKeyExW(key, path.as_ptr(), std::ptr::null(), REG_LATEST_FORMAT) };
    // SAFETY: `key` was opened above.
    unsafe { RegCloseKey(key) };
    let result = if rc == ERROR_SUCCESS {
        std::fs::read(&file).map_err(|e| format!("reading saved {subkey}: {e}"))
    } else {
        Err(format!(
            "saving {subkey}: {}",
            std::io::Error::from_raw_os_error(rc as i32)
        ))
    };
    let _ = std::fs::remove_file(&file);
    result
}

/// Names of the subkeys of `HKEY_USERS` that are loaded user hives.
fn loaded_user_sids() -> Vec<String> {
    let mut sids = Vec::new();
    for index in 0..4096u32 {
        let mut buf = [0u16; 256];
        let mut len = buf.len() as u32;
        // SAFETY: `buf` and `len` are locals; class and time are not requested.
        let rc = unsafe {
            RegEnumKeyExW(
                HKEY_USERS,
                index,
                buf.as_mut_ptr(),
                &mut len,
                std::ptr::null(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if rc != ERROR_SUCCESS {
            break; // ERROR_NO_MORE_ITEMS, or a failure: stop either way
        }
        let name = String::from_utf16_lossy(&buf[..(len as usize).min(buf.len())]);
        // Accounts (S-1-5-21-…, Entra ID S-1-12-1-…); not `.DEFAULT`, the well-known
        // service SIDs, or the `_Classes` hives.
        if (name.starts_with("S-1-5-21-") || name.starts_with("S-1-12-1-"))
            && !name.ends_with("_Classes")
        {
            sids.push(name);
        }
    }
    sids
}

impl RegistrySource for LiveRegistry {
    fn machine(&self, which: MachineHive, out: &mut Output) -> Option<Hive> {
        match save(HKEY_LOCAL_MACHINE, which.name())
            .map(|b| Hive::from_bytes(b, &which.root_path()))
        {
            Ok(Ok(h)) => Some(h),
            Ok(Err(e)) => {
                out.error(which.root_path(), e.to_string());
                None
            }
            Err(e) => {
                // Typically not elevated. The hive files are locked while Windows
                // runs, so there is nothing to fall back to.
                out.error(which.root_path(), e);
                None
            }
        }
    }

    fn users(&self, software: Option<&mut Hive>, out: &mut Output) -> Vec<UserHive> {
        let on_disk = self.offline.profiles(software, out);
        let mut hives = Vec::new();
        let loaded = loaded_user_sids();
        for sid in &loaded {
            let profile = on_disk
                .iter()
                .find(|p| p.sid.as_deref() == Some(sid.as_str()))
                .map(|p| p.name.clone())
                .unwrap_or_else(|| sid.clone());
            let location = format!("HKU\\{sid}");
            match save(HKEY_USERS, sid).map(|b| Hive::from_bytes(b, &location)) {
                Ok(Ok(hive)) => hives.push(UserHive {
                    profile,
                    sid: Some(sid.clone()),
                    hive,
                }),
                Ok(Err(e)) => out.error(&location, e.to_string()),
                Err(e) => out.error(&location, e),
            }
        }
        for p in on_disk {
            if p.sid.as_ref().is_some_and(|s| loaded.contains(s)) {
                continue; // read from the live copy above
            }
            match Hive::open(self.offline.root(), &p.hive_path) {
                Ok(hive) => hives.push(UserHive {
                    profile: p.name,
                    sid: p.sid,
                    hive,
                }),
                Err(e) => out.error(&p.hive_path, e.to_string()),
            }
        }
        hives
    }
}
