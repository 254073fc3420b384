//! The fault run: `kill -9` the server in the middle of a load, restart it
//! on the same database and port, and account for every report.
//!
//! Two kinds of agents run: simulated ones (this crate) that keep a failed
//! report in memory and retry it with backoff, and real `uproot agent`
//! processes whose on-disk spool must deliver what they scanned during the
//! outage. Afterwards every report that got a 202, and every report any
//! agent made, must be stored exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::{Method, StatusCode};

use crate::client::{Conn, Target};
use crate::gen::{Generator, Profile};
use crate::run::{self, PostPlan};
use crate::{Error, Pools};

/// What to run.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// The `uproot` binary.
    pub uproot: PathBuf,
    /// Scratch directory (agent roots and state).
    pub work: PathBuf,
    /// `sqlite://…` or `postgres://…`.
    pub database: String,
    /// The SQLite file, to count rows directly after the run.
    pub sqlite_file: Option<PathBuf>,
    /// Simulated hosts.
    pub hosts: usize,
    /// Simulated agents (connections).
    pub agents: usize,
    /// Reports the simulated agents make in all.
    pub reports: u64,
    /// Report size.
    pub profile: Profile,
    /// Kill the server once this many reports were accepted.
    pub kill_after_accepted: u64,
    /// How long the server stays down.
    pub down_for: Duration,
    /// Real `uproot agent` processes.
    pub real_agents: usize,
    /// A fixture root with a dpkg status file, scanned by the real agents.
    pub agent_root: PathBuf,
}

/// What happened.
#[derive(Debug, Default)]
pub struct FaultOutcome {
    /// 202s the simulated agents got before the kill.
    pub accepted_before_kill: u64,
    /// 202s in all (simulated agents).
    pub accepted: usize,
    /// 202s that said "duplicate" (a report stored before the kill whose
    /// answer was lost, then redelivered).
    pub duplicates: usize,
    /// Reports delivered on a retry after a failed POST.
    pub retried: usize,
    /// POSTs that failed at the transport level (the outage).
    pub conn_errors: u64,
    /// Reports the simulated agents made.
    pub made: usize,
    /// Simulated reports never delivered.
    pub undelivered: usize,
    /// Report ids the real agents had spooled during the outage.
    pub spooled_in_outage: Vec<String>,
    /// Reports left in real agents' spools at the end.
    pub spool_left: usize,
    /// Ids that should be stored (202 or made by any agent) but are not.
    pub missing: Vec<String>,
    /// Reports the store holds, summed over hosts.
    pub stored_rows: Option<u64>,
    /// `SELECT COUNT(*) FROM reports` on the SQLite file, read-only.
    pub raw_sqlite_rows: Option<u64>,
    /// Distinct reports every agent made (what `stored_rows` must equal).
    pub expected_rows: usize,
    /// Hosts whose stored report count differs from what they made:
    /// machine id -> (stored, made).
    pub per_host_mismatch: BTreeMap<String, (u64, u64)>,
    /// Server restart took this long to bind again.
    pub restart: Duration,
}

struct Server {
    child: Child,
    url: String,
}

fn start_server(cfg: &FaultConfig, listen: &str) -> Result<Server, Error> {
    let mut child = Command::new(&cfg.uproot)
        .args(["serve", "--listen", listen, "--database", &cfg.database])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let out = child.stdout.take().expect("piped");
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    let url = line
        .trim()
        .strip_prefix("uproot serve: listening on ")
        .map(str::to_owned);
    match url {
        Some(url) => Ok(Server { child, url }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(Error::Protocol(format!(
                "uproot serve did not start: {line:?}"
            )))
        }
    }
}

fn admin(cfg: &FaultConfig, args: &[&str]) -> Result<String, Error> {
    let out = Command::new(&cfg.uproot)
        .args(["serve", "admin"])
        .args(args)
        .args(["--database", &cfg.database])
        .output()?;
    if !out.status.success() {
        return Err(Error::Protocol(format!(
            "uproot serve admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A scan root per real agent: the fixture's dpkg status plus its own
/// hostname and machine id.
fn agent_root(cfg: &FaultConfig, i: usize) -> Result<PathBuf, Error> {
    let root = cfg.work.join(format!("agent{i}/root"));
    std::fs::create_dir_all(root.join("var/lib/dpkg"))?;
    std::fs::create_dir_all(root.join("etc"))?;
    std::fs::copy(
        cfg.agent_root.join("var/lib/dpkg/status"),
        root.join("var/lib/dpkg/status"),
    )?;
    std::fs::write(root.join("etc/hostname"), format!("spool-agent-{i}\n"))?;
    std::fs::write(root.join("etc/machine-id"), agent_machine_id(i) + "\n")?;
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
    )?;
    Ok(root)
}

fn agent(cfg: &FaultConfig, i: usize, args: &[&str]) -> Result<std::process::Output, Error> {
    let dir = cfg.work.join(format!("agent{i}"));
    let root = dir.join("root");
    Ok(Command::new(&cfg.uproot)
        .arg("agent")
        .args(args)
        .arg("--root")
        .arg(&root)
        .arg("--state-dir")
        .arg(dir.join("state"))
        .output()?)
}

fn agent_machine_id(i: usize) -> String {
    format!("{:032x}", 0x5_9001_0000_u128 + i as u128)
}

/// Ids in a real agent's spool (`<hex>.json.gz` files).
fn spooled(cfg: &FaultConfig, i: usize) -> Vec<String> {
    let dir = cfg.work.join(format!("agent{i}/state/spool"));
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".json.gz"))
                .map(|h| format!("sha256:{h}"))
        })
        .collect()
}

/// Runs the whole fault scenario.
pub fn run_fault(cfg: &FaultConfig) -> Result<FaultOutcome, Error> {
    let rt = crate::runtime();
    let secret = admin(cfg, &["enroll-secret"])?;
    let token = admin(
        cfg,
        &["create-token", "--role", "admin", "--label", "fault"],
    )?;
    let mut server = start_server(cfg, "127.0.0.1:0")?;
    let listen = server.url.trim_start_matches("http://").to_owned();
    let target = Target::parse(&server.url)?;
    let gen = Arc::new(Generator::new(&Pools::builtin(), cfg.profile.clone())?);
    let (hosts, _) = rt.block_on(run::enroll(&target, &secret, &gen, 0..cfg.hosts, 4))?;
    for i in 0..cfg.real_agents {
        agent_root(cfg, i)?;
        let o = agent(
            cfg,
            i,
            &["enroll", "--server", &server.url, "--secret", &secret],
        )?;
        if !o.status.success() {
            return Err(Error::Protocol(format!(
                "uproot agent enroll: {}",
                String::from_utf8_lossy(&o.stderr)
            )));
        }
    }
    let progress = Arc::new(AtomicU64::new(0));
    let plan = PostPlan {
        agents: cfg.agents,
        duration: None,
        reports: Some(cfg.reports),
        prebuild: (cfg.reports as usize).div_ceil(cfg.hosts.max(1)),
        first_seq: 1,
        want_ids: true,
        spool_for: Some(Duration::from_secs(120)),
        progress: Some(progress.clone()),
        rate: None,
    };
    let load = {
        let (target, gen, hosts) = (target.clone(), gen.clone(), hosts.clone());
        rt.spawn(async move { run::post(&target, gen, &hosts, &plan).await })
    };
    let t0 = Instant::now();
    while progress.load(Ordering::Relaxed) < cfg.kill_after_accepted {
        if t0.elapsed() > Duration::from_secs(120) || load.is_finished() {
            return Err(Error::Protocol("the load ended before the kill".into()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL: no graceful shutdown, no flush.
    server.child.kill()?;
    server.child.wait()?;
    let mut out = FaultOutcome {
        accepted_before_kill: progress.load(Ordering::Relaxed),
        ..FaultOutcome::default()
    };
    let down = Instant::now();
    for i in 0..cfg.real_agents {
        let _ = agent(cfg, i, &["run", "--once"])?;
        out.spooled_in_outage.extend(spooled(cfg, i));
    }
    std::thread::sleep(cfg.down_for.saturating_sub(down.elapsed()));
    // The same port, so the real agents' saved server URL still works.
    let t_restart = Instant::now();
    server = loop {
        match start_server(cfg, &listen) {
            Ok(s) => break s,
            Err(e) if t_restart.elapsed() > Duration::from_secs(20) => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    out.restart = t_restart.elapsed();
    let post = rt
        .block_on(load)
        .map_err(|e| Error::Protocol(e.to_string()))??;
    let agent_ids: BTreeSet<String> = out.spooled_in_outage.iter().cloned().collect();
    for i in 0..cfg.real_agents {
        // One more cycle: delivers the spool, then a fresh scan. A second
        // apart, so the fresh report differs from the spooled one.
        std::thread::sleep(Duration::from_millis(1100));
        agent(cfg, i, &["run", "--once"])?;
        out.spool_left += spooled(cfg, i).len();
    }
    out.accepted = post.accepted.len();
    out.duplicates = post.accepted.iter().filter(|a| a.duplicate).count();
    out.retried = post.accepted.iter().filter(|a| a.retried).count();
    out.conn_errors = post
        .samples
        .outcomes
        .get("conn-error")
        .copied()
        .unwrap_or(0);
    out.made = post.made.len();
    out.undelivered = post.undelivered.len();
    let mut expected: BTreeSet<String> = post.made.iter().map(|(_, id)| id.clone()).collect();
    expected.extend(post.accepted.iter().map(|a| a.report_id.clone()));
    expected.extend(agent_ids.iter().cloned());
    out.missing = rt.block_on(missing_via_api(&target, &token, &expected))?;
    let _ = server.child.kill();
    let _ = server.child.wait();
    let mut made: BTreeMap<String, u64> = BTreeMap::new();
    for (idx, _) in &post.made {
        *made.entry(gen.host(*idx).machine_id).or_default() += 1;
    }
    // A real agent made one report in the outage and one after it.
    for i in 0..cfg.real_agents {
        made.insert(agent_machine_id(i), 2);
    }
    let stored = rt.block_on(stored_per_host(&cfg.database))?;
    out.stored_rows = Some(stored.values().sum());
    for (mid, &m) in &made {
        let s = stored.get(mid).copied().unwrap_or(0);
        if s != m {
            out.per_host_mismatch.insert(mid.clone(), (s, m));
        }
    }
    if let Some(file) = &cfg.sqlite_file {
        // Independently of the store code: the raw row count.
        let conn =
            rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| Error::Protocol(e.to_string()))?;
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM reports", [], |r| r.get(0))
            .map_err(|e| Error::Protocol(e.to_string()))?;
        out.raw_sqlite_rows = Some(n as u64);
    }
    out.expected_rows = post
        .made
        .iter()
        .map(|(_, id)| id)
        .collect::<BTreeSet<_>>()
        .len()
        + 2 * cfg.real_agents;
    Ok(out)
}

/// Stored reports per host (machine id, else name), through the store.
async fn stored_per_host(database: &str) -> Result<BTreeMap<String, u64>, Error> {
    let store = uproot_fleet::open(database)
        .await
        .map_err(|e| Error::Protocol(e.to_string()))?;
    let mut out = BTreeMap::new();
    for h in store
        .hosts()
        .await
        .map_err(|e| Error::Protocol(e.to_string()))?
    {
        let page = uproot_fleet::Page {
            limit: 100_000,
            offset: 0,
        };
        let n = store
            .reports_for_host(h.id, page)
            .await
            .map_err(|e| Error::Protocol(e.to_string()))?
            .len() as u64;
        out.insert(h.machine_id.unwrap_or(h.name), n);
    }
    Ok(out)
}

/// Ids in `ids` that `GET /api/v1/reports/{id}` does not find.
async fn missing_via_api(
    target: &Target,
    token: &str,
    ids: &BTreeSet<String>,
) -> Result<Vec<String>, Error> {
    let mut conn = Conn::new(target.clone());
    let auth = format!("Bearer {token}");
    let mut missing = Vec::new();
    for id in ids {
        let r = conn
            .send(
                Method::GET,
                &format!("/api/v1/reports/{id}"),
                &[("authorization", auth.as_str())],
                Bytes::new(),
            )
            .await?;
        match r.status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => missing.push(id.clone()),
            s => {
                return Err(Error::Protocol(format!(
                    "GET /api/v1/reports/{id}: {s} {}",
                    String::from_utf8_lossy(&r.body)
                )))
            }
        }
    }
    Ok(missing)
}

/// The fixture root the real agents scan, from the workspace.
pub fn default_agent_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/roots/dpkg-kesl")
}
