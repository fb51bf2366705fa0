//! The `orderbridge` command: `serve`, `migrate`, `purge`, `config`, `--version`.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use orderbridge::config::Config;
use orderbridge::settings::Loaded;
use orderbridge::{purge, telemetry, wiring};
use orderbridge_domain::services::PurgeMode;

const HELP: &str = "\
orderbridge: orders from marketplaces to the warehouse, and shipments back.

Usage: orderbridge [--config FILE] <command>

Commands:
  serve      Run the service: the HTTP API, the dispatcher and the pollers (migrates first).
  migrate    Bring the database schema up to date and exit.
  purge      Erase the personal data kept longer than `retention.days` now, and list what went
             (order ids, channels, external ids, completion times; never the data itself);
             `purge --dry-run` lists what would go and erases nothing. Fails when
             `retention.days` is not set. `serve` purges by itself once a day.
  config     Print the effective configuration (secrets redacted) and where each value came from;
             `config --markdown` prints the table of every setting for the README.

Options:
  --config FILE   A TOML file of settings (also ORDERBRIDGE_CONFIG); environment variables win.
  --version       Print the version.
  --help          This help.

Every setting, its ORDERBRIDGE_ variable and its default: see `orderbridge config` and the README.
";

fn load(file: Option<&str>) -> Result<Loaded> {
    let text = match file {
        Some(path) => Some((
            path,
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the configuration file {path}"))?,
        )),
        None => None,
    };
    Loaded::load(
        text.as_ref().map(|(p, t)| (*p, t.as_str())),
        std::env::vars(),
    )
}

async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

async fn serve(config: Config) -> Result<()> {
    telemetry::init_logs(config.log_format, &config.log_filter)?;
    let metrics = telemetry::init_metrics()?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("ORDERBRIDGE_LISTEN: cannot listen on {}", config.listen))?;
    orderbridge::run(config, listener, Some(metrics), shutdown_signal()).await
}

async fn migrate(config: Config) -> Result<()> {
    telemetry::init_logs(config.log_format, &config.log_filter)?;
    wiring::open_store(&config.database).await?;
    tracing::info!("schema up to date");
    Ok(())
}

async fn purge(config: Config, mode: PurgeMode) -> Result<()> {
    let Some(period) = config.retention else {
        bail!(
            "retention.days is not set (ORDERBRIDGE_RETENTION_DAYS, or `days` under [retention] in the configuration file): personal data is kept for ever and nothing is purged; set it to the number of days to keep personal data once an order is complete"
        );
    };
    telemetry::init_logs(config.log_format, &config.log_filter)?;
    let store = wiring::open_store(&config.database).await?;
    println!("{}", purge::heading(period, mode));
    let report = purge::purge(store, period)
        .run(mode, &mut |purged| println!("{}", purge::line(purged)))
        .await
        .context("the purge failed; what it erased stays erased")?;
    println!("{}", purge::summary(&report, mode));
    Ok(())
}

async fn main_result() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut file = std::env::var("ORDERBRIDGE_CONFIG")
        .ok()
        .filter(|f| !f.is_empty());
    let mut command = None;
    let mut dry_run = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" | "help" => {
                print!("{HELP}");
                return Ok(());
            }
            "--version" | "-V" => {
                println!("orderbridge {}", env!("CARGO_PKG_VERSION"));
                return Ok(());
            }
            "--config" => file = Some(args.next().context("--config needs a file")?),
            "--markdown" => {
                print!("{}", orderbridge::settings::markdown_table());
                return Ok(());
            }
            "--dry-run" => dry_run = true,
            "serve" | "migrate" | "config" | "purge" if command.is_none() => command = Some(arg),
            other => bail!("unknown argument {other:?}; see `orderbridge --help`"),
        }
    }
    let Some(command) = command else {
        bail!("no command given; see `orderbridge --help`");
    };
    if dry_run && command != "purge" {
        bail!("--dry-run goes with `purge` only; see `orderbridge --help`");
    }
    let raw = load(file.as_deref())?;
    if command == "config" {
        print!("{}", raw.describe());
        // Validate too, so that `orderbridge config` finds what `serve` would refuse.
        Config::from_settings(&raw)?;
        return Ok(());
    }
    let config = Config::from_settings(&raw)?;
    match command.as_str() {
        "migrate" => migrate(config).await,
        "purge" if dry_run => purge(config, PurgeMode::DryRun).await,
        "purge" => purge(config, PurgeMode::Erase).await,
        _ => serve(config).await,
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match main_result().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("orderbridge: {error:#}");
            ExitCode::FAILURE
        }
    }
}
