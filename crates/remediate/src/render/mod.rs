//! Views of a plan: text for people, JSON, and a reviewed script.

mod ps;
mod sh;

use crate::model::Plan;
use crate::safe;

/// Pretty JSON (`uproot.plan/1`).
pub fn json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).expect("plan types always serialise") + "\n"
}

/// The removal script: POSIX sh for Linux and macOS, PowerShell for Windows.
pub fn script(plan: &Plan) -> String {
    if plan.os == "windows" {
        ps::render(plan)
    } else {
        sh::render(plan)
    }
}

/// A command line for display, quoting what needs it (sh quoting, or
/// Windows double quotes for a Windows plan).
pub fn shown_argv(argv: &[String], windows: bool) -> String {
    argv.iter()
        .map(|a| {
            let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%{}<>*".contains(c);
            if windows && !a.is_empty() && a.chars().all(|c| plain(c) || c == '\\') {
                a.clone()
            } else if windows {
                format!("\"{}\"", a.replace('"', "\"\""))
            } else if !a.is_empty() && a.chars().all(plain) {
                a.clone()
            } else {
                safe::sh_quote(a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The plan for people.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let h = &plan.host;
    let target = if h.live {
        "this running system".to_owned()
    } else {
        format!("root {}", safe::printable(&h.root))
    };
    out.push_str(&format!(
        "uproot removal plan ({})  host {}  ({}, {target})\n",
        plan.schema,
        safe::printable(&h.hostname),
        plan.os
    ));
    out.push_str(&format!(
        "from the scan of {} (catalog {}): {} finding(s)\n",
        plan.source.report_generated_at, plan.source.catalog_version, plan.source.findings
    ));
    if plan.steps.is_empty() {
        out.push_str("\nNothing to remove.\n");
    } else {
        let manual = plan.steps.iter().filter(|s| s.is_manual()).count();
        out.push_str(&format!(
            "{} step(s): {} automatic, {manual} by hand; {} input(s)\n",
            plan.steps.len(),
            plan.steps.len() - manual,
            plan.inputs.len()
        ));
    }
    for s in &plan.steps {
        out.push('\n');
        out.push_str(&format!(
            "{:>3}. {}   [{}; {} finding(s)]\n",
            s.id,
            safe::printable(&s.title),
            s.action.kind(),
            s.finding_ids.len()
        ));
        if let crate::model::Action::Manual { instructions } = &s.action {
            out.push_str(&format!(
                "     by hand: {}\n",
                safe::printable(instructions)
            ));
        }
        for c in &s.commands {
            out.push_str(&format!(
                "     runs:    {}\n",
                safe::printable(&shown_argv(c, plan.os == "windows"))
            ));
        }
        out.push_str(&format!("     changes: {}\n", safe::printable(&s.changes)));
        out.push_str(&format!("     verify:  {}\n", safe::printable(&s.verify)));
        if !s.requires_input.is_empty() {
            out.push_str(&format!("     inputs:  {}\n", s.requires_input.join(", ")));
        }
    }
    if !plan.inputs.is_empty() {
        out.push_str("\nInputs (uproot remove --input NAME=VALUE, or UPROOT_INPUT_NAME in the environment; never guessed, never logged):\n");
        for i in &plan.inputs {
            out.push_str(&format!(
                "  {:<16}{}{} (steps {})\n",
                i.name,
                if i.secret { "[secret] " } else { "" },
                i.description,
                i.used_by.join(", ")
            ));
        }
    }
    if !plan.unplanned.is_empty() {
        out.push_str("\nNo step for:\n");
        for u in &plan.unplanned {
            out.push_str(&format!(
                "  {}: {}\n",
                safe::printable(&u.summary),
                safe::printable(&u.reason)
            ));
        }
    }
    out
}
