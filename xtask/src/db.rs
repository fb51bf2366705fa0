//! Finding a PostgreSQL for the tests, or starting one: `DATABASE_URL`, else the machine's
//! server on 127.0.0.1:5432 (started with `pg_ctlcluster` when installed but down), else a
//! throwaway cluster on port 54329 with its data under `target/pg`.

use std::env;
use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cmd;

/// The port of the machine's own PostgreSQL.
pub(crate) const MACHINE_PORT: u16 = 5432;
/// The port of the throwaway cluster, away from the usual one so that both can run.
const THROWAWAY_PORT: u16 = 54329;

const NO_POSTGRES: &str = "no PostgreSQL found for the tests. Either
  - set DATABASE_URL to a server where the user may create databases, e.g.
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo xtask test, or
  - install PostgreSQL (e.g. `apt-get install postgresql`): `cargo xtask test` then starts it,
    or `cargo xtask db start` runs a throwaway cluster on port 54329 under target/pg.";

/// The connection URL of a local server with the trust-authenticated `postgres` user.
pub fn url(port: u16) -> String {
    format!("postgres://postgres@127.0.0.1:{port}/postgres")
}

/// Returns the `DATABASE_URL` the tests should use, starting a server when none is running.
pub fn ensure() -> Result<String> {
    if let Some(url) = env::var("DATABASE_URL").ok().filter(|url| !url.is_empty()) {
        eprintln!("==> database: DATABASE_URL from the environment");
        return Ok(url);
    }
    if answers(MACHINE_PORT) {
        eprintln!("==> database: PostgreSQL answers on 127.0.0.1:{MACHINE_PORT}");
        return Ok(url(MACHINE_PORT));
    }
    if let Some(port) = start_machine_cluster() {
        return Ok(url(port));
    }
    if answers(THROWAWAY_PORT) {
        eprintln!("==> database: the throwaway cluster answers on 127.0.0.1:{THROWAWAY_PORT}");
        return Ok(url(THROWAWAY_PORT));
    }
    if bin_dir().is_some() {
        start().context(
            "no PostgreSQL answered and the throwaway cluster did not start \
             (set DATABASE_URL to use another server)",
        )?;
        return Ok(url(THROWAWAY_PORT));
    }
    bail!(NO_POSTGRES)
}

/// `cargo xtask db start`: starts the throwaway cluster (creating it on first use).
pub fn start() -> Result<()> {
    let Some(bin) = bin_dir() else {
        bail!(NO_POSTGRES)
    };
    let dir = throwaway_dir();
    let data = dir.join("data");
    if answers(THROWAWAY_PORT) {
        eprintln!("==> database: the throwaway cluster already runs");
    } else {
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
            let mut initdb = pg_tool(&bin, "initdb");
            initdb.arg("-D").arg(&data).args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]);
            cmd::run("create the throwaway cluster", &mut initdb)?;
        }
        // fsync and synchronous commits are off: this cluster holds test data only.
        let options = format!(
            "-p {THROWAWAY_PORT} -k '{}' -c listen_addresses=127.0.0.1 -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            dir.display()
        );
        let mut pg_ctl = pg_tool(&bin, "pg_ctl");
        pg_ctl
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-w", "-t", "60", "-o", &options, "start"]);
        cmd::run("start the throwaway cluster", &mut pg_ctl)?;
    }
    println!("DATABASE_URL={}", url(THROWAWAY_PORT));
    Ok(())
}

/// `cargo xtask db stop`: stops the throwaway cluster if it runs.
pub fn stop() -> Result<()> {
    let data = throwaway_dir().join("data");
    let Some(bin) = bin_dir().filter(|_| data.join("postmaster.pid").is_file()) else {
        println!("the throwaway cluster is not running");
        return Ok(());
    };
    let mut pg_ctl = pg_tool(&bin, "pg_ctl");
    pg_ctl
        .arg("-D")
        .arg(&data)
        .args(["-m", "fast", "-w", "stop"]);
    cmd::run("stop the throwaway cluster", &mut pg_ctl)?;
    Ok(())
}

/// `cargo xtask db status`: what runs, and which `DATABASE_URL` the tests would get.
pub fn status() -> Result<()> {
    let machine = answers(MACHINE_PORT);
    let throwaway = answers(THROWAWAY_PORT);
    let dir = throwaway_dir();
    println!(
        "machine PostgreSQL on 127.0.0.1:{MACHINE_PORT}: {}",
        if machine {
            "answers"
        } else {
            "does not answer"
        }
    );
    println!(
        "throwaway cluster on 127.0.0.1:{THROWAWAY_PORT} (data in {}): {}",
        dir.join("data").display(),
        if throwaway { "answers" } else { "not running" }
    );
    match env::var("DATABASE_URL").ok().filter(|url| !url.is_empty()) {
        Some(from_env) => {
            println!("tests would use DATABASE_URL={from_env} (from the environment)");
        }
        None if machine => println!("tests would use DATABASE_URL={}", url(MACHINE_PORT)),
        None if throwaway => println!("tests would use DATABASE_URL={}", url(THROWAWAY_PORT)),
        None => println!(
            "no server answers yet: `cargo xtask test` starts one, as does `cargo xtask db start`"
        ),
    }
    Ok(())
}

/// Whether a PostgreSQL on 127.0.0.1:`port` lets the `postgres` user in (with psql), or at
/// least accepts connections (with pg_isready, or a bare TCP connect when neither exists).
pub(crate) fn answers(port: u16) -> bool {
    let port_arg = port.to_string();
    if cmd::on_path("psql") {
        let mut psql = cmd::program(
            "psql",
            &[
                "-X",
                "-w",
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                &port_arg,
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-tAc",
                "select 1",
            ],
        );
        return cmd::succeeds(psql.env("PGCONNECT_TIMEOUT", "3"));
    }
    if cmd::on_path("pg_isready") {
        let args = ["-q", "-h", "127.0.0.1", "-p", &port_arg, "-t", "3"];
        return cmd::succeeds(&mut cmd::program("pg_isready", &args));
    }
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok()
}

/// Starts the machine's installed PostgreSQL clusters that are down, and returns the port of
/// the first one that then lets the `postgres` user in.
pub(crate) fn start_machine_cluster() -> Option<u16> {
    if !cmd::on_path("pg_lsclusters") {
        return None;
    }
    let listing = cmd::output(
        "list the PostgreSQL clusters",
        &mut cmd::program("pg_lsclusters", &["--no-header"]),
    )
    .ok()?;
    for cluster in parse_clusters(&listing) {
        if !cluster.online {
            let mut start = cmd::program(
                "pg_ctlcluster",
                &[
                    "--skip-systemctl-redirect",
                    &cluster.version,
                    &cluster.name,
                    "start",
                ],
            );
            let step = format!(
                "start the PostgreSQL cluster {}/{}",
                cluster.version, cluster.name
            );
            if let Err(error) = cmd::run(&step, &mut start) {
                eprintln!("==> database: {error:#}; trying the next way");
                continue;
            }
        }
        if answers(cluster.port) {
            eprintln!(
                "==> database: PostgreSQL answers on 127.0.0.1:{}",
                cluster.port
            );
            return Some(cluster.port);
        }
    }
    None
}

/// One line of `pg_lsclusters --no-header`.
#[derive(Debug, PartialEq, Eq)]
struct Cluster {
    version: String,
    name: String,
    port: u16,
    online: bool,
}

/// Reads `pg_lsclusters --no-header` output ("15 main 5432 down postgres /var/lib/...").
fn parse_clusters(listing: &str) -> Vec<Cluster> {
    listing
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let version = fields.next()?.to_owned();
            let name = fields.next()?.to_owned();
            let port = fields.next()?.parse().ok()?;
            let online = fields.next()?.starts_with("online");
            Some(Cluster {
                version,
                name,
                port,
                online,
            })
        })
        .collect()
}

/// Where the throwaway cluster lives: `target/pg` of the workspace.
fn throwaway_dir() -> PathBuf {
    cmd::root().join("target").join("pg")
}

/// The newest installed PostgreSQL's program folder (`initdb` and `pg_ctl` are not on PATH
/// on Debian-like systems), else the folder holding an `initdb` on PATH.
pub(crate) fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    let path = env::var_os("PATH")?;
    env::split_paths(&path).find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

/// A PostgreSQL program, run as the `postgres` user when xtask runs as root.
pub(crate) fn pg_tool(bin: &Path, name: &str) -> Command {
    let tool = bin.join(name);
    if cmd::is_root() {
        let mut runuser = cmd::program("runuser", &["-u", "postgres", "--"]);
        runuser.arg(tool);
        runuser
    } else {
        let mut direct = Command::new(tool);
        direct.current_dir(cmd::root());
        direct
    }
}

#[cfg(test)]
mod tests {
    use super::{Cluster, parse_clusters, url};

    #[test]
    fn clusters_are_read_from_pg_lsclusters_lines() {
        let listing = "15 main 5432 down postgres /var/lib/postgresql/15/main /var/log/x.log\n\
                       16 other 5433 online,recovery postgres /var/lib/postgresql/16/other x\n\
                       garbage\n";
        assert_eq!(
            parse_clusters(listing),
            [
                Cluster {
                    version: "15".into(),
                    name: "main".into(),
                    port: 5432,
                    online: false
                },
                Cluster {
                    version: "16".into(),
                    name: "other".into(),
                    port: 5433,
                    online: true
                },
            ]
        );
    }

    #[test]
    fn local_urls_name_the_postgres_user_and_port() {
        assert_eq!(url(54329), "postgres://postgres@127.0.0.1:54329/postgres");
    }
}
