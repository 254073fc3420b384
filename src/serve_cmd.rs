//! `uproot serve`: the fleet server (see `uproot-server`), and
//! `uproot serve admin …` for tokens, the enrollment secret and users.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use uproot_fleet::Role;
use uproot_server::{ServeOptions, Settings, TlsFiles};

/// Arguments of `uproot serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8470")]
    pub listen: String,
    /// Database: `sqlite://PATH` (embedded, WAL) or `postgres://…` (shared by replicas).
    #[arg(
        long,
        value_name = "URL",
        default_value = "sqlite://./uproot.db",
        global = true
    )]
    pub database: String,
    /// PEM certificate chain: serve HTTPS with rustls (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Extra catalog file (TOML) for server-side re-matching. Repeatable.
    #[arg(long = "catalog", value_name = "FILE")]
    pub catalog: Vec<PathBuf>,
    /// Days a host first seen after a directive's deadline gets to comply.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub grace_days: u32,
    /// Signed catalog bundle (from `uproot catalog pack`) served to agents at
    /// `GET /api/v1/catalog/bundle`; agents verify it before use.
    #[arg(long, value_name = "FILE")]
    pub catalog_bundle: Option<std::path::PathBuf>,
    /// Largest request body accepted, compressed or not.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_body: usize,
    /// Largest report after gzip decompression.
    #[arg(long, value_name = "BYTES", default_value_t = 128 << 20)]
    pub max_report: usize,
    /// Set the enrollment secret from this file's content at start.
    #[arg(long, value_name = "FILE")]
    pub enroll_secret_file: Option<PathBuf>,
    /// Mark the dashboard cookie Secure (behind a TLS-terminating proxy;
    /// implied by --tls-cert).
    #[arg(long)]
    pub secure_cookies: bool,
}

#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// Administer the server's database (tokens, enrollment secret, users).
    Admin(AdminArgs),
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Reads and changes everything.
    Admin,
    /// Reads everything, changes nothing.
    Auditor,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Auditor => Role::Auditor,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an API token and print it (it is stored only hashed).
    CreateToken {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// What the token is for.
        #[arg(long, value_name = "L", default_value = "")]
        label: String,
    },
    /// Set a new random enrollment secret and print it.
    EnrollSecret,
    /// Create or replace a dashboard user. The password is read from
    /// --password-file or the first line of standard input.
    CreateUser {
        /// Login name.
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// File whose first line is the password (default: standard input).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

pub fn run(args: &ServeArgs) -> Result<i32> {
    let rt = uproot_server::runtime().context("starting the async runtime")?;
    match &args.command {
        Some(ServeCommand::Admin(a)) => rt.block_on(admin(&args.database, &a.command)),
        None => rt.block_on(serve(args)),
    }
}

async fn serve(args: &ServeArgs) -> Result<i32> {
    let store = uproot_fleet::open(&args.database)
        .await
        .with_context(|| format!("opening {}", args.database))?;
    for n in store.notices() {
        eprintln!("uproot serve: note: {n}");
    }
    let opts = ServeOptions {
        listen: args.listen.clone(),
        tls: args
            .tls_cert
            .clone()
            .zip(args.tls_key.clone())
            .map(|(cert, key)| TlsFiles { cert, key }),
        catalog: args.catalog.clone(),
        enroll_secret_file: args.enroll_secret_file.clone(),
        settings: Settings {
            max_body_bytes: args.max_body,
            max_report_bytes: args.max_report.max(args.max_body),
            grace_days: args.grace_days,
            secure_cookies: args.secure_cookies,
            catalog_bundle: args.catalog_bundle.clone(),
            ..Settings::default()
        },
        background: true,
    };
    let running = uproot_server::bind(opts, store).await?;
    uproot_server::shutdown_on_signals(running.shutdown_handle());
    let mut out = std::io::stdout().lock();
    writeln!(out, "uproot serve: listening on {}", running.url())?;
    out.flush()?;
    drop(out);
    running.serve().await?;
    Ok(0)
}

async fn admin(database: &str, cmd: &AdminCommand) -> Result<i32> {
    let store = uproot_fleet::open(database)
        .await
        .with_context(|| format!("opening {database}"))?;
    match cmd {
        AdminCommand::CreateToken { role, label } => {
            let token =
                uproot_server::admin::create_token(store.as_ref(), (*role).into(), label).await?;
            println!("{token}");
        }
        AdminCommand::EnrollSecret => {
            let secret = uproot_server::admin::rotate_enroll_secret(store.as_ref()).await?;
            println!("{secret}");
        }
        AdminCommand::CreateUser {
            name,
            role,
            password_file,
        } => {
            let password = read_password(password_file.as_ref())?;
            uproot_server::admin::create_user(store.as_ref(), name, &password, (*role).into())
                .await?;
            eprintln!("uproot serve: user {name} saved");
        }
    }
    Ok(0)
}

fn read_password(file: Option<&PathBuf>) -> Result<String> {
    let text = match file {
        Some(f) => {
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?
        }
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from stdin")?;
            line
        }
    };
    let pw = text.lines().next().unwrap_or("").to_owned();
    anyhow::ensure!(!pw.is_empty(), "empty password");
    Ok(pw)
}
