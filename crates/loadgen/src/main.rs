//! `uproot-loadgen`: drive a fleet server with simulated agents.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use serde_json::json;
use uproot_loadgen::run::{self, PostPlan, QueryPlan};
use uproot_loadgen::stats::{self, Latency};
use uproot_loadgen::{Error, Generator, Pools, Profile, Target};

#[derive(Parser)]
#[command(name = "uproot-loadgen", about = "Load generator for `uproot serve`")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Enroll hosts, then post reports from N concurrent agents.
    Run(RunArgs),
    /// Enroll a fleet and post one report per host, as fast as the server allows.
    Fill(FillArgs),
    /// Read API and dashboard pages and report latency per route.
    Query(QueryArgs),
    /// Write one generated report (plain JSON) to stdout.
    Sample(SampleArgs),
    /// kill -9 a server mid-load, restart it and account for every report.
    Fault(FaultArgs),
}

#[derive(Args)]
struct FaultArgs {
    /// The `uproot` binary.
    #[arg(long, default_value = "target/debug/uproot")]
    uproot: PathBuf,
    /// Database (default: a SQLite file in a temp directory).
    #[arg(long)]
    database: Option<String>,
    /// Simulated hosts.
    #[arg(long, default_value_t = 24)]
    hosts: usize,
    /// Simulated agents.
    #[arg(long, default_value_t = 12)]
    agents: usize,
    /// Reports from simulated agents.
    #[arg(long, default_value_t = 240)]
    reports: u64,
    /// Packages per report.
    #[arg(long, default_value_t = 300)]
    packages: usize,
    /// Kill after this many 202s.
    #[arg(long, default_value_t = 40)]
    kill_after: u64,
    /// Seconds the server stays down.
    #[arg(long, default_value_t = 2.0)]
    down: f64,
    /// Real `uproot agent` processes.
    #[arg(long, default_value_t = 3)]
    real_agents: usize,
}

#[derive(Args, Clone)]
struct ProfileArgs {
    /// Packages per report.
    #[arg(long, default_value_t = 1500)]
    packages: usize,
    /// Services per report.
    #[arg(long, default_value_t = 180)]
    services: usize,
    /// Certificates per report.
    #[arg(long, default_value_t = 290)]
    certificates: usize,
    /// One host in this many has covered-vendor findings (0: none).
    #[arg(long, default_value_t = 10)]
    finding_every: usize,
    /// Seed of host identities (use a new one per fleet in the same database).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also draw packages from this dpkg status file (e.g. /var/lib/dpkg/status).
    #[arg(long)]
    dpkg_status: Vec<PathBuf>,
}

impl ProfileArgs {
    fn generator(&self) -> Result<Generator, Error> {
        let mut pools = Pools::builtin();
        for p in &self.dpkg_status {
            let n = pools.add_dpkg_status(p)?;
            eprintln!("loadgen: {n} packages from {}", p.display());
        }
        Generator::new(
            &pools,
            Profile {
                packages: self.packages,
                services: self.services,
                certificates: self.certificates,
                finding_every: self.finding_every,
                seed: self.seed,
                ..Profile::default()
            },
        )
    }
}

#[derive(Args)]
struct ServerArgs {
    /// Server base URL, `http://127.0.0.1:8470`.
    #[arg(long)]
    server: String,
    /// Write the results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    profile: ProfileArgs,
    /// Enrollment secret.
    #[arg(long)]
    secret: String,
    /// Hosts to enroll (default: one per agent).
    #[arg(long)]
    hosts: Option<usize>,
    /// Concurrent agents.
    #[arg(long, default_value_t = 200)]
    agents: usize,
    /// Seconds to post for.
    #[arg(long)]
    duration: Option<f64>,
    /// Reports to post in all.
    #[arg(long)]
    reports: Option<u64>,
    /// Bodies per host built before the clock starts (default: enough for
    /// 1,000 reports/s for the duration, or for --reports).
    #[arg(long)]
    prebuild: Option<usize>,
    /// First host index (to add hosts to a fleet already filled).
    #[arg(long, default_value_t = 0)]
    first_host: usize,
    /// Pace the agents to this many reports/s in all (open loop); default:
    /// closed loop, each agent posts again as soon as it is answered.
    #[arg(long)]
    rate: Option<f64>,
}

#[derive(Args)]
struct FillArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(flatten)]
    profile: ProfileArgs,
    /// Enrollment secret.
    #[arg(long)]
    secret: String,
    /// Hosts.
    #[arg(long, default_value_t = 100_000)]
    hosts: usize,
    /// First host index.
    #[arg(long, default_value_t = 0)]
    first_host: usize,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
}

#[derive(Args)]
struct QueryArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Admin or auditor API token.
    #[arg(long)]
    token: String,
    /// Requests in all (spread over the routes).
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Concurrent readers.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Host ids are drawn from 1..=N.
    #[arg(long, default_value_t = 1000)]
    max_host_id: i64,
    /// Dashboard session cookie `name=value` (else the bearer token is sent).
    #[arg(long)]
    cookie: Option<String>,
    /// Log in to the dashboard as this user (with --password) to get a cookie.
    #[arg(long)]
    user: Option<String>,
    /// Dashboard password.
    #[arg(long)]
    password: Option<String>,
    /// Login form path.
    #[arg(long, default_value = "/login")]
    login_path: String,
    /// Directive for the compliance route.
    #[arg(long, default_value = "bod-17-01")]
    directive: String,
    /// Only routes whose name contains this (repeatable), e.g. `dash`.
    #[arg(long)]
    only: Vec<String>,
}

#[derive(Args)]
struct SampleArgs {
    #[command(flatten)]
    profile: ProfileArgs,
    /// Host index.
    #[arg(long, default_value_t = 5)]
    host: usize,
}

fn main() {
    let cli = Cli::parse();
    if let Cmd::Fault(a) = &cli.cmd {
        // Runs its own runtime around blocking process control.
        if let Err(e) = fault_cmd(a) {
            eprintln!("uproot-loadgen: {e}");
            std::process::exit(1);
        }
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let r = rt.block_on(async {
        match cli.cmd {
            Cmd::Run(a) => run_cmd(a).await,
            Cmd::Fill(a) => fill_cmd(a).await,
            Cmd::Query(a) => query_cmd(a).await,
            Cmd::Sample(a) => sample_cmd(&a),
            Cmd::Fault(_) => Ok(()),
        }
    });
    if let Err(e) = r {
        eprintln!("uproot-loadgen: {e}");
        std::process::exit(1);
    }
}

fn write_json(path: &Option<PathBuf>, v: &serde_json::Value) -> Result<(), Error> {
    if let Some(p) = path {
        std::fs::write(p, serde_json::to_string_pretty(v)? + "\n")?;
    }
    Ok(())
}

async fn run_cmd(a: RunArgs) -> Result<(), Error> {
    let target = Target::parse(&a.server.server)?;
    let gen = Arc::new(a.profile.generator()?);
    let hosts = a.hosts.unwrap_or(a.agents);
    let (enrolled, enroll_s) = run::enroll(
        &target,
        &a.secret,
        &gen,
        a.first_host..a.first_host + hosts,
        16,
    )
    .await?;
    eprintln!("loadgen: {} hosts enrolled", enrolled.len());
    let expected = match (a.reports, a.duration) {
        (Some(r), _) => r as f64,
        (None, Some(d)) => d * a.rate.unwrap_or(1000.0) * 1.05,
        (None, None) => return Err(Error::Usage("give --duration or --reports".into())),
    };
    let prebuild = a
        .prebuild
        .unwrap_or((expected / hosts.max(1) as f64).ceil() as usize + 1);
    let plan = PostPlan {
        agents: a.agents,
        duration: a.duration.map(Duration::from_secs_f64),
        reports: a.reports,
        prebuild,
        first_seq: 1,
        want_ids: false,
        spool_for: None,
        progress: None,
        rate: a.rate,
    };
    eprintln!(
        "loadgen: building {} bodies per host before the clock starts",
        prebuild
    );
    let out = run::post(&target, gen.clone(), &enrolled, &plan).await?;
    let lat = out.samples.summary();
    let accepted = out.accepted.len() as u64;
    let rate = accepted as f64 / out.elapsed.as_secs_f64();
    let enroll_l = enroll_s.summary();
    println!("{}", stats::HEADER);
    println!("{}", stats::row("enroll", None, &enroll_l));
    println!(
        "{}",
        stats::row(&format!("reports ({} agents)", a.agents), Some(rate), &lat)
    );
    println!(
        "\n{accepted} reports accepted in {:.1} s = {rate:.1} reports/s; {} undelivered; \
         mean body {:.0} KiB gzip / {:.0} KiB JSON; {} bodies built during the run",
        out.elapsed.as_secs_f64(),
        out.undelivered.len(),
        out.mean_gz_bytes / 1024.0,
        out.mean_plain_bytes / 1024.0,
        out.built_live
    );
    write_json(
        &a.server.json,
        &json!({
            "phase": "run", "agents": a.agents, "rate": a.rate, "hosts": hosts, "profile": gen.profile(),
            "elapsed_s": out.elapsed.as_secs_f64(), "accepted": accepted,
            "duplicates": out.accepted.iter().filter(|x| x.duplicate).count(),
            "undelivered": out.undelivered.len(), "reports_per_s": rate,
            "mean_gz_bytes": out.mean_gz_bytes, "mean_plain_bytes": out.mean_plain_bytes,
            "built_live": out.built_live, "latency": lat, "enroll": enroll_l,
        }),
    )
}

async fn fill_cmd(a: FillArgs) -> Result<(), Error> {
    let target = Target::parse(&a.server.server)?;
    let gen = Arc::new(a.profile.generator()?);
    let out = run::fill(
        &target,
        &a.secret,
        gen.clone(),
        a.first_host..a.first_host + a.hosts,
        a.concurrency,
        true,
    )
    .await?;
    let secs = out.elapsed.as_secs_f64();
    let rate = out.accepted as f64 / secs;
    let (e, p) = (out.enroll.summary(), out.post.summary());
    println!("{}", stats::HEADER);
    println!("{}", stats::row("fill enroll", None, &e));
    println!("{}", stats::row("fill report", Some(rate), &p));
    println!(
        "\n{} hosts enrolled, {} reports accepted in {secs:.1} s = {rate:.1} hosts/s",
        out.hosts.len(),
        out.accepted
    );
    let max_id = out.hosts.iter().map(|h| h.host_id).max().unwrap_or(0);
    write_json(
        &a.server.json,
        &json!({
            "phase": "fill", "hosts": out.hosts.len(), "accepted": out.accepted,
            "elapsed_s": secs, "hosts_per_s": rate, "max_host_id": max_id,
            "enroll": e, "report": p, "profile": gen.profile(),
        }),
    )
}

async fn query_cmd(a: QueryArgs) -> Result<(), Error> {
    let target = Target::parse(&a.server.server)?;
    let cookie = match (&a.cookie, &a.user, &a.password) {
        (Some(c), _, _) => Some(c.clone()),
        (None, Some(u), Some(p)) => Some(run::login(&target, &a.login_path, u, p).await?),
        _ => None,
    };
    let plan = QueryPlan {
        requests: a.requests,
        concurrency: a.concurrency,
        token: a.token.clone(),
        cookie,
        host_ids: (1..=a.max_host_id.max(1)).collect(),
        directive: a.directive.clone(),
        only: a.only.clone(),
    };
    let per = run::query(&target, &plan).await?;
    println!("{}", stats::HEADER);
    let mut out = serde_json::Map::new();
    for (name, s) in &per {
        let l: Latency = s.summary();
        println!("{}", stats::row(name, None, &l));
        out.insert(name.clone(), serde_json::to_value(&l)?);
    }
    write_json(&a.server.json, &json!({"phase": "query", "routes": out}))
}

fn sample_cmd(a: &SampleArgs) -> Result<(), Error> {
    let gen = a.profile.generator()?;
    let mut c = flate2::Compress::new(flate2::Compression::fast(), false);
    let b = gen.body(&gen.host(a.host), 1, true, &mut c);
    let plain = gen.plain(&b);
    eprintln!(
        "loadgen: {} bytes JSON, {} bytes gzip, id {}",
        plain.len(),
        b.gz.len(),
        b.report_id.unwrap_or_default()
    );
    use std::io::Write;
    std::io::stdout().write_all(&plain)?;
    Ok(())
}

fn fault_cmd(a: &FaultArgs) -> Result<(), Error> {
    let dir = std::env::temp_dir().join(format!("uproot-fault-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("fleet.db");
    let cfg = uproot_loadgen::fault::FaultConfig {
        uproot: a.uproot.clone(),
        work: dir.clone(),
        database: a
            .database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", file.display())),
        sqlite_file: a.database.is_none().then_some(file),
        hosts: a.hosts,
        agents: a.agents,
        reports: a.reports,
        profile: Profile {
            packages: a.packages,
            services: 60,
            certificates: 100,
            ..Profile::default()
        },
        kill_after_accepted: a.kill_after,
        down_for: Duration::from_secs_f64(a.down),
        real_agents: a.real_agents,
        agent_root: uproot_loadgen::fault::default_agent_root(),
    };
    let t0 = std::time::Instant::now();
    let out = uproot_loadgen::fault::run_fault(&cfg)?;
    println!(
        "{out:#?}\nin {:.1} s (work dir {})",
        t0.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(())
}
