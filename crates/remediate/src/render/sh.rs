//! The POSIX sh script for Linux and macOS plans.
//!
//! Every value from the plan is single-quoted; package and unit names were
//! already checked by the planner. Each step checks first whether its effect
//! is in place, so running the script twice is safe.

use std::fmt::Write;

use crate::model::{Action, InitSystem, PackageManager, Plan, Step};
use crate::planner::is_bundle_path;
use crate::safe::sh_quote as q;

const PRELUDE: &str = r#"say() { printf 'uproot: %s\n' "$*"; }
is_live() { [ -z "$R" ]; }

# Refuses a path if one of its parent directories is a symlink (the standard
# top-level aliases /lib -> usr/lib and /var -> private/var excepted).
safe_parents() {
    _p="$R"; _rest="${1#/}"; _top=1
    while [ "${_rest#*/}" != "$_rest" ]; do
        _c="${_rest%%/*}"; _rest="${_rest#*/}"; _p="$_p/$_c"
        if [ -L "$_p" ]; then
            _t=$(readlink "$_p")
            if [ "$_top" = 1 ] && { [ "$_t" = "usr/$_c" ] || [ "$_t" = "/usr/$_c" ] || [ "$_t" = "private/$_c" ] || [ "$_t" = "/private/$_c" ]; }; then
                :
            else
                say "refusing $1: $_p is a symlink"; return 1
            fi
        fi
        _top=0
    done
}

# Deletes a path the plan names. A symlink is removed itself; rm -r never
# follows symlinks inside a directory.
del() {
    safe_parents "$1" || return 1
    if [ -L "$R$1" ] || [ -e "$R$1" ]; then
        rm -rf -- "$R$1"; say "deleted $1"
    else
        say "already gone: $1"
    fi
}

# Removes a symlink (only a symlink).
unlink_link() {
    safe_parents "$1" || return 1
    if [ -L "$R$1" ]; then rm -f -- "$R$1"; say "removed link $1"; fi
}

# SHA-256 (uppercase hex) of each certificate in a PEM or DER file.
pem_fps() {
    _d=$(mktemp -d)
    if grep -q -- '-----BEGIN ' "$1"; then
        awk -v d="$_d" '/^-----BEGIN /{n++; out=d "/b" n} out!="" {print > out} /^-----END /{close(out); out=""}' "$1"
        for _b in "$_d"/b*; do
            [ -f "$_b" ] || continue
            openssl x509 -in "$_b" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g' || true
        done
    else
        openssl x509 -inform DER -in "$1" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g' || true
    fi
    rm -rf -- "$_d"
}

# Rewrites a bundle without the certificate(s) with SHA-256 $2; every other
# byte is kept (except a missing final newline).
pem_strip() {
    safe_parents "$1" || return 1
    _f="$R$1"; _want=$(printf '%s' "$2" | tr 'a-f' 'A-F'); _d=$(mktemp -d)
    awk -v d="$_d" 'BEGIN{out=d "/t0"} /^-----BEGIN /{n++; out=d "/b" n} {print > out} /^-----END /{close(out); out=d "/t" n}' "$_f"
    : > "$_d/new"; _i=0
    while :; do
        if [ -f "$_d/t$_i" ]; then cat "$_d/t$_i" >> "$_d/new"; fi
        _i=$((_i + 1))
        [ -f "$_d/b$_i" ] || break
        _fp=$(openssl x509 -in "$_d/b$_i" -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//; s/://g' || true)
        if [ "$_fp" = "$_want" ]; then say "removing certificate $2 from $1"; else cat "$_d/b$_i" >> "$_d/new"; fi
    done
    if ! cmp -s "$_d/new" "$_f"; then cat "$_d/new" > "$_f"; fi
    rm -rf -- "$_d"
}

# Removes symlinks in directory $1 that point (directly or through another
# removed link) to one of the paths in $2 (newline-separated, in-root).
unlink_links_to() {
    [ -d "$R$1" ] || return 0
    _gone="$2"
    for _pass in 1 2 3; do
        for _l in "$R$1"/*; do
            [ -L "$_l" ] || continue
            _t=$(readlink "$_l")
            case "$_t" in /*) ;; *) _t="$1/$_t" ;; esac
            if printf '%s\n' "$_gone" | grep -qxF -- "$_t"; then
                unlink_link "${_l#"$R"}"
                _gone="$_gone
${_l#"$R"}"
            fi
        done
    done
}
"#;

pub(super) fn render(plan: &Plan) -> String {
    let mut s = String::new();
    let h = &plan.host;
    let _ = writeln!(s, "#!/bin/sh");
    let _ = writeln!(
        s,
        "# uproot removal script ({}, uproot {})",
        plan.schema, plan.tool.version
    );
    let _ = writeln!(
        s,
        "# Host {} ({}), planned for {} from the scan of {} (catalog {}).",
        one_line(&h.hostname),
        plan.os,
        if h.live {
            "the running system".to_owned()
        } else {
            format!("root {}", one_line(&h.root))
        },
        plan.source.report_generated_at,
        plan.source.catalog_version
    );
    let _ = writeln!(s, "#\n# This script REMOVES:");
    for st in plan.steps.iter().filter(|st| !st.is_manual()) {
        let _ = writeln!(s, "#   {:>2}. {}", st.id, one_line(&st.title));
    }
    if plan.steps.iter().any(|st| st.is_manual()) {
        let _ = writeln!(s, "# Steps a person carries out (printed, not run):");
        for st in plan.steps.iter().filter(|st| st.is_manual()) {
            let _ = writeln!(s, "#   {:>2}. {}", st.id, one_line(&st.title));
        }
    }
    let _ = writeln!(
        s,
        "#\n# Review it before running, as root. It is idempotent: every step checks\n\
         # whether its effect is already in place and skips it if so, so it can be\n\
         # run again after a failure. It stops at the first failing step (set -eu).\n\
         #   ROOT=/mnt/image sh uproot-remove.sh   acts on a mounted image or chroot directory\n\
         #   ROOT= sh uproot-remove.sh             acts on the running system\n\
         # Needs: awk, sed, grep, cmp, mktemp, readlink, openssl (certificate steps),\n\
         # and the package tools of the steps (dpkg, rpm, …)."
    );
    let _ = writeln!(s, "set -eu\n");
    let default_root = if h.live {
        String::new()
    } else {
        h.root.clone()
    };
    let _ = writeln!(
        s,
        "# The root this plan was made for; set ROOT to override (empty: the running system)."
    );
    let _ = writeln!(
        s,
        "if [ -z \"${{ROOT+set}}\" ]; then ROOT={}; fi",
        q(&default_root)
    );
    let _ = writeln!(s, "R=\"${{ROOT%/}}\"\n");
    s.push_str(PRELUDE);
    for st in &plan.steps {
        step(&mut s, st);
    }
    let _ = writeln!(
        s,
        "\n# ---------------------------------------------------------------- run"
    );
    for st in &plan.steps {
        let _ = writeln!(s, "step_{}", st.id);
    }
    let _ = writeln!(s, "say \"all {} step(s) done\"", plan.steps.len());
    s
}

fn one_line(s: &str) -> String {
    crate::safe::printable(s)
}

fn words(v: &[String]) -> String {
    v.iter().map(|w| q(w)).collect::<Vec<_>>().join(" ")
}

fn step(s: &mut String, st: &Step) {
    let id = &st.id;
    let _ = writeln!(
        s,
        "\n# ---------------------------------------------------------------- step {id}"
    );
    let _ = writeln!(s, "# {}", one_line(&st.title));
    let _ = writeln!(s, "# Changes: {}", one_line(&st.changes));
    let _ = writeln!(s, "# Verify:  {}", one_line(&st.verify));
    let _ = writeln!(s, "step_{id}() {{");
    let done = format!("    say {}", q(&format!("step {id}: done")));
    let already = format!("say {}", q(&format!("step {id}: already done")));
    match &st.action {
        Action::RemovePackages {
            manager,
            packages,
            db,
            db_backend,
        } => {
            let present = match manager {
                PackageManager::Dpkg => "if is_live; then _s=$(dpkg-query -W -f='${db:Status-Abbrev}' \"$_p\" 2>/dev/null) || _s=''; else _s=$(dpkg-query --admindir=\"$R/var/lib/dpkg\" -W -f='${db:Status-Abbrev}' \"$_p\" 2>/dev/null) || _s=''; fi; case \"$_s\" in ''|?n*) _here=0 ;; *) _here=1 ;; esac".to_owned(),
                PackageManager::Rpm => {
                    let def = db_backend
                        .as_deref()
                        .filter(|b| *b != "bdb")
                        .map(|b| format!(" --define {}", q(&format!("_db_backend {b}"))))
                        .unwrap_or_default();
                    format!(
                        "_here=0; if is_live; then if rpm -q \"$_p\" >/dev/null 2>&1; then _here=1; fi; elif rpm --root \"$R\" --dbpath {}{def} -q \"$_p\" >/dev/null 2>&1; then _here=1; fi",
                        q(db.as_deref().unwrap_or("/var/lib/rpm"))
                    )
                }
                PackageManager::Apk => "_here=0; if grep -qxF -- \"P:$_p\" \"$R/lib/apk/db/installed\" 2>/dev/null; then _here=1; fi".to_owned(),
                PackageManager::Pacman => "_here=0; if pacman --dbpath \"$R/var/lib/pacman\" -Q \"$_p\" >/dev/null 2>&1; then _here=1; fi".to_owned(),
                PackageManager::Snap => "_here=0; if snap list \"$_p\" >/dev/null 2>&1; then _here=1; fi".to_owned(),
                PackageManager::Flatpak => "_here=0; if flatpak info \"$_p\" >/dev/null 2>&1; then _here=1; fi".to_owned(),
            };
            let _ = writeln!(s, "    _todo=''");
            let _ = writeln!(s, "    for _p in {}; do", words(packages));
            let _ = writeln!(s, "        {present}");
            let _ = writeln!(
                s,
                "        if [ \"$_here\" = 1 ]; then _todo=\"$_todo $_p\"; fi"
            );
            let _ = writeln!(s, "    done");
            let _ = writeln!(s, "    if [ -z \"$_todo\" ]; then {already}; return 0; fi");
            let _ = writeln!(
                s,
                "    # Package names were checked by uproot: plain words, safe to split."
            );
            match manager {
                PackageManager::Dpkg => {
                    let allowed: String =
                        packages.iter().map(|p| format!(" -e {}", q(p))).collect();
                    let _ = writeln!(s, "    if is_live; then");
                    let _ = writeln!(
                        s,
                        "        _extra=$(apt-get -s purge $_todo | awk '/^(Purg|Remv) /{{print $2}}' | sed 's/:.*//' | grep -vxF{allowed} || true)"
                    );
                    let _ = writeln!(s, "        if [ -n \"$_extra\" ]; then say \"apt would also remove: $_extra (not in the plan); stopping\"; return 1; fi");
                    let _ = writeln!(
                        s,
                        "        DEBIAN_FRONTEND=noninteractive apt-get purge -y $_todo"
                    );
                    let _ = writeln!(s, "    else");
                    let _ = writeln!(s, "        _log=/dev/null; if [ -d \"$R/var/log\" ]; then _log=\"$R/var/log/dpkg.log\"; fi");
                    let _ = writeln!(
                        s,
                        "        dpkg --root=\"$R\" --log=\"$_log\" --purge $_todo"
                    );
                    let _ = writeln!(s, "    fi");
                }
                PackageManager::Rpm => {
                    let def = db_backend
                        .as_deref()
                        .filter(|b| *b != "bdb")
                        .map(|b| format!(" --define {}", q(&format!("_db_backend {b}"))))
                        .unwrap_or_default();
                    let _ = writeln!(s, "    if is_live; then");
                    let _ = writeln!(s, "        rpm -e --test $_todo || {{ say 'other packages depend on these; stopping'; return 1; }}");
                    let _ = writeln!(s, "        if command -v dnf >/dev/null 2>&1; then dnf remove -y --setopt=clean_requirements_on_remove=False $_todo");
                    let _ = writeln!(s, "        elif command -v yum >/dev/null 2>&1; then yum remove -y --setopt=clean_requirements_on_remove=False $_todo");
                    let _ = writeln!(
                        s,
                        "        else zypper --non-interactive remove --no-clean-deps $_todo; fi"
                    );
                    let _ = writeln!(s, "    else");
                    let _ = writeln!(
                        s,
                        "        rpm --root \"$R\" --dbpath {}{def} -e $_todo",
                        q(db.as_deref().unwrap_or("/var/lib/rpm"))
                    );
                    let _ = writeln!(s, "    fi");
                }
                PackageManager::Apk => {
                    let _ = writeln!(s, "    if is_live; then apk del $_todo; else apk --root \"$R\" del $_todo; fi");
                }
                PackageManager::Pacman => {
                    let _ = writeln!(s, "    if is_live; then pacman -R --noconfirm $_todo; else pacman --sysroot \"$R\" -R --noconfirm $_todo; fi");
                }
                PackageManager::Snap => {
                    let _ = writeln!(
                        s,
                        "    for _p in $_todo; do snap remove --purge \"$_p\"; done"
                    );
                }
                PackageManager::Flatpak => {
                    let _ = writeln!(s, "    flatpak uninstall -y --noninteractive $_todo");
                }
            }
            let _ = writeln!(s, "{done}");
        }
        Action::RemoveService {
            init,
            name,
            file,
            link_dir,
        } => {
            let _ = writeln!(s, "    _f={}; _did=0", q(file));
            let _ = writeln!(
                s,
                "    if [ -e \"$R$_f\" ] || [ -L \"$R$_f\" ]; then _did=1"
            );
            match init {
                InitSystem::Systemd if link_dir == "/etc/systemd/system" => {
                    let _ = writeln!(s, "        if is_live; then systemctl disable --now {} || say 'systemctl disable failed (ignored)'; fi", q(name));
                }
                InitSystem::Sysv => {
                    let _ = writeln!(s, "        if is_live; then service {} stop || say 'service stop failed (ignored)'; fi", q(name));
                }
                InitSystem::Systemd => {}
            }
            let _ = writeln!(s, "    fi");
            match init {
                InitSystem::Systemd => {
                    let _ = writeln!(
                        s,
                        "    for _l in \"$R\"{d}/*.wants/{n} \"$R\"{d}/*.requires/{n} \"$R\"{d}/*.upholds/{n}; do",
                        d = q(link_dir),
                        n = q(name)
                    );
                }
                InitSystem::Sysv => {
                    let _ = writeln!(
                        s,
                        "    for _l in \"$R\"{d}/rc[0-6S].d/[SK][0-9][0-9]{n}; do",
                        d = q(link_dir),
                        n = q(name)
                    );
                }
            }
            let _ = writeln!(
                s,
                "        if [ -L \"$_l\" ]; then unlink_link \"${{_l#\"$R\"}}\"; _did=1; fi"
            );
            let _ = writeln!(s, "    done");
            let _ = writeln!(s, "    del \"$_f\"");
            if *init == InitSystem::Systemd && link_dir == "/etc/systemd/system" {
                let _ = writeln!(
                    s,
                    "    if is_live && [ \"$_did\" = 1 ]; then systemctl daemon-reload || true; fi"
                );
            }
            let _ = writeln!(
                s,
                "    if [ \"$_did\" = 0 ]; then {already}; else say {}; fi",
                q(&format!("step {id}: done"))
            );
        }
        Action::RemoveKernelModule {
            module,
            file,
            kernel,
        } => {
            let _ = writeln!(s, "    _did=0");
            let _ = writeln!(
                s,
                "    if is_live && grep -q {} /proc/modules; then modprobe -r {}; _did=1; fi",
                q(&format!("^{module} ")),
                q(module)
            );
            if let Some(f) = file {
                let _ = writeln!(
                    s,
                    "    if [ -e \"$R\"{f} ] || [ -L \"$R\"{f} ]; then",
                    f = q(f)
                );
                let _ = writeln!(s, "        del {}; _did=1", q(f));
                if let Some(k) = kernel {
                    let base = if f.starts_with("/usr/lib/modules/") {
                        "/usr/lib/modules"
                    } else {
                        "/lib/modules"
                    };
                    let _ = writeln!(
                        s,
                        "        if [ -f \"$R\"{} ]; then if is_live; then depmod {k}; else depmod -b \"$R\" {k}; fi; fi",
                        q(&format!("{base}/{k}/modules.dep")),
                        k = q(k)
                    );
                }
                let _ = writeln!(s, "    fi");
            }
            let _ = writeln!(
                s,
                "    if [ \"$_did\" = 0 ]; then {already}; else say {}; fi",
                q(&format!("step {id}: done"))
            );
        }
        Action::RemoveCaCertificate {
            sha256,
            paths,
            link_dirs,
            conf,
            refresh,
            ..
        } => {
            let want = sha256.to_ascii_uppercase();
            let _ = writeln!(s, "    _sha={}; _gone=''; _did=0", q(sha256));
            for p in paths {
                let _ = writeln!(s, "    _f={}", q(p));
                let _ = writeln!(s, "    if [ -L \"$R$_f\" ]; then del \"$_f\"; _did=1");
                let _ = writeln!(
                    s,
                    "    elif [ -f \"$R$_f\" ] && pem_fps \"$R$_f\" | grep -qx {}; then _did=1",
                    q(&want)
                );
                if is_bundle_path(p) {
                    let _ = writeln!(s, "        pem_strip \"$_f\" \"$_sha\"");
                } else {
                    let _ = writeln!(s, "        if pem_fps \"$R$_f\" | grep -vqx {}; then pem_strip \"$_f\" \"$_sha\"; else del \"$_f\"; fi", q(&want));
                }
                let _ = writeln!(s, "    fi");
                let _ = writeln!(s, "    if [ ! -e \"$R$_f\" ] && [ ! -L \"$R$_f\" ]; then _gone=\"$_gone\n$_f\"; fi");
            }
            for d in link_dirs {
                let _ = writeln!(s, "    unlink_links_to {} \"$_gone\"", q(d));
            }
            if let Some(c) = conf {
                let _ = writeln!(s, "    _conf={}", q(c));
                let _ = writeln!(
                    s,
                    "    if [ -f \"$R$_conf\" ] && [ ! -L \"$R$_conf\" ]; then"
                );
                let _ = writeln!(s, "        for _g in $(printf '%s\\n' \"$_gone\" | sed -n 's|^/usr/share/ca-certificates/||p'); do");
                let _ = writeln!(s, "            if grep -qxF -- \"$_g\" \"$R$_conf\"; then");
                let _ = writeln!(s, "                awk -v r=\"$_g\" '$0==r{{print \"!\" $0; next}} {{print}}' \"$R$_conf\" > \"$R$_conf.uproot-tmp\"");
                let _ = writeln!(s, "                cat \"$R$_conf.uproot-tmp\" > \"$R$_conf\"; rm -f -- \"$R$_conf.uproot-tmp\"; say \"deselected $_g\"");
                let _ = writeln!(s, "            fi");
                let _ = writeln!(s, "        done");
                let _ = writeln!(s, "    fi");
            }
            if !refresh.is_empty() {
                let _ = writeln!(
                    s,
                    "    if is_live && command -v {} >/dev/null 2>&1; then {}; fi",
                    q(&refresh[0]),
                    words(refresh)
                );
            }
            let _ = writeln!(s, "    for _f in {}; do", words(paths));
            let _ = writeln!(s, "        if [ -f \"$R$_f\" ] && [ ! -L \"$R$_f\" ] && pem_fps \"$R$_f\" | grep -qx {}; then say \"$_f still holds the certificate\"; return 1; fi", q(&want));
            let _ = writeln!(s, "    done");
            let _ = writeln!(
                s,
                "    if [ \"$_did\" = 0 ]; then {already}; else say {}; fi",
                q(&format!("step {id}: done"))
            );
        }
        Action::DeletePath { paths, .. } => {
            for p in paths {
                let _ = writeln!(s, "    del {}", q(p));
            }
        }
        Action::LaunchdRemove {
            label,
            plist,
            domain,
        } => {
            let _ = writeln!(
                s,
                "    if [ -e \"$R\"{p} ] || [ -L \"$R\"{p} ]; then",
                p = q(plist)
            );
            if domain == "system" {
                let _ = writeln!(
                    s,
                    "        if is_live; then launchctl bootout {} || say 'not loaded'; fi",
                    q(&format!("system/{label}"))
                );
            } else {
                let _ = writeln!(
                    s,
                    "        if is_live; then launchctl bootout \"gui/$(stat -f %u /dev/console)/\"{} || say 'not loaded'; fi",
                    q(label)
                );
            }
            let _ = writeln!(s, "        del {}", q(plist));
            let _ = writeln!(s, "    else {already}; fi");
        }
        Action::PkgutilForget { id: pkg } => {
            let _ = writeln!(s, "    if is_live; then _v=/; else _v=\"$R\"; fi");
            let _ = writeln!(
                s,
                "    if pkgutil --volume \"$_v\" --pkg-info {p} >/dev/null 2>&1; then pkgutil --volume \"$_v\" --forget {p}; else {already}; fi",
                p = q(pkg)
            );
        }
        Action::KextUnload { bundle_id } => {
            let _ = writeln!(
                s,
                "    if is_live && kmutil showloaded --list-only 2>/dev/null | grep -qF -- {b}; then kmutil unload -b {b}; else {already}; fi",
                b = q(bundle_id)
            );
        }
        Action::SystemExtensionUninstall { team_id, bundle_id } => {
            let _ = writeln!(
                s,
                "    if is_live && systemextensionsctl list 2>/dev/null | grep -qF -- {b}; then systemextensionsctl uninstall {t} {b}; else {already}; fi",
                b = q(bundle_id),
                t = q(team_id)
            );
        }
        Action::MacRemoveCertificate { sha1, keychain } => {
            let _ = writeln!(
                s,
                "    if security find-certificate -a -Z \"$R\"{k} 2>/dev/null | grep -qi -- {h}; then security delete-certificate -Z {h} \"$R\"{k}; else {already}; fi",
                k = q(keychain),
                h = q(sha1)
            );
        }
        Action::Manual { instructions } => {
            let _ = writeln!(
                s,
                "    say {}",
                q(&format!(
                    "step {id} is for a person: {}",
                    one_line(instructions)
                ))
            );
        }
        other => {
            let _ = writeln!(
                s,
                "    say {}; return 1",
                q(&format!(
                    "step {id}: a {} step cannot run here",
                    other.kind()
                ))
            );
        }
    }
    let _ = writeln!(s, "}}");
}
