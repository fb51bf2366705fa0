//! `cargo xtask bench [--quick]`: builds the service and the benchmark in release, finds a
//! PostgreSQL that commits durably (or starts one), and runs `orderbridge-bench`, which writes
//! `target/bench/report.json` and `BENCHMARKS.md`.
//!
//! The server, in this order: `DATABASE_URL`; else 127.0.0.1:5432 (started with
//! `pg_ctlcluster` when installed but down) unless it runs with fsync off; else a cluster of
//! the bench's own on port 54330 with its data under `target/pg-bench`, started with
//! PostgreSQL's default durability. The tests' throwaway cluster (fsync off) is never used:
//! figures without durable commits say nothing about the service.

use std::env;
use std::fs;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cmd, db};

/// The port of the bench's own cluster, away from the machine's and the tests' ones.
const BENCH_PORT: u16 = 54330;

const NO_POSTGRES: &str = "no PostgreSQL for the benchmarks. Either
  - set DATABASE_URL to a server (fsync on) where the user may create databases, e.g.
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo xtask bench, or
  - install PostgreSQL (e.g. `apt-get install postgresql`): `cargo xtask bench` then starts it.";

/// Runs the benchmarks; `quick` keeps them to about a minute after the build.
pub fn run(quick: bool) -> Result<()> {
    let build = [
        "build",
        "--release",
        "-p",
        "orderbridge",
        "-p",
        "orderbridge-bench",
    ];
    cmd::run("release build", &mut cmd::cargo(&build))?;
    let url = database()?;
    let release = target_dir().join("release");
    let root = cmd::root();
    let mut bench = Command::new(release.join("orderbridge-bench"));
    bench
        .current_dir(&root)
        .arg("--database-url")
        .arg(&url)
        .arg("--orderbridge")
        .arg(release.join("orderbridge"))
        .arg("--report")
        .arg(target_dir().join("bench").join("report.json"))
        .arg("--markdown")
        .arg(root.join("BENCHMARKS.md"));
    if quick {
        bench.arg("--quick");
    }
    let step = if quick {
        "benchmarks (quick)"
    } else {
        "benchmarks"
    };
    cmd::run(step, &mut bench)?;
    eprintln!("==> benchmarks written to target/bench/report.json and BENCHMARKS.md");
    Ok(())
}

/// The workspace's target folder (`CARGO_TARGET_DIR` when set).
fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => cmd::root().join(dir),
        None => cmd::root().join("target"),
    }
}

/// The `DATABASE_URL` the benchmarks use, starting a server when none is fit.
fn database() -> Result<String> {
    if let Some(url) = env::var("DATABASE_URL").ok().filter(|url| !url.is_empty()) {
        eprintln!("==> database: DATABASE_URL from the environment");
        return Ok(url);
    }
    let machine = if db::answers(db::MACHINE_PORT) {
        Some(db::MACHINE_PORT)
    } else {
        db::start_machine_cluster()
    };
    if let Some(port) = machine {
        match fsync(port) {
            Some(setting) if setting == "off" => {
                eprintln!("==> database: 127.0.0.1:{port} runs with fsync off; not for benchmarks");
            }
            _ => {
                eprintln!("==> database: PostgreSQL on 127.0.0.1:{port}");
                return Ok(db::url(port));
            }
        }
    }
    start_bench_cluster()?;
    Ok(db::url(BENCH_PORT))
}

/// `SHOW fsync` on 127.0.0.1:`port` with psql, when psql is there and answers.
fn fsync(port: u16) -> Option<String> {
    if !cmd::on_path("psql") {
        return None;
    }
    let port = port.to_string();
    let mut psql = cmd::program(
        "psql",
        &[
            "-X",
            "-w",
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            "show fsync",
        ],
    );
    cmd::output("read the server's fsync setting", &mut psql)
        .ok()
        .map(|out| out.trim().to_owned())
}

/// Starts the bench's own cluster (creating it on first use) with the default durability.
fn start_bench_cluster() -> Result<()> {
    if db::answers(BENCH_PORT) {
        eprintln!("==> database: the bench cluster answers on 127.0.0.1:{BENCH_PORT}");
        return Ok(());
    }
    let Some(bin) = db::bin_dir() else {
        bail!(NO_POSTGRES)
    };
    let dir = target_dir().join("pg-bench");
    let data = dir.join("data");
    fs::create_dir_all(&dir)?;
    // initdb and pg_ctl refuse to run as root: they run as `postgres`, who must own the dir.
    if cmd::is_root() {
        let owner = cmd::program("chown", &["-R", "postgres:postgres"])
            .arg(&dir)
            .status();
        if !owner.is_ok_and(|status| status.success()) {
            bail!("could not give {} to the `postgres` user", dir.display());
        }
    }
    if !data.join("PG_VERSION").is_file() {
        let mut initdb = db::pg_tool(&bin, "initdb");
        initdb.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
        ]);
        cmd::run("create the bench cluster", &mut initdb)?;
    }
    // Durable commits (fsync, synchronous_commit and full_page_writes at their defaults).
    let options = format!(
        "-p {BENCH_PORT} -k '{}' -c listen_addresses=127.0.0.1 -c max_connections=200",
        dir.display()
    );
    let mut pg_ctl = db::pg_tool(&bin, "pg_ctl");
    pg_ctl
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("log"))
        .args(["-w", "-t", "60", "-o", &options, "start"]);
    cmd::run("start the bench cluster", &mut pg_ctl)
        .context("no PostgreSQL answered and the bench cluster did not start")?;
    eprintln!(
        "==> database: the bench cluster on 127.0.0.1:{BENCH_PORT} (stop it with \
         pg_ctl -D {} stop)",
        data.display()
    );
    Ok(())
}
