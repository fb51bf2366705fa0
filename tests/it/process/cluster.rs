//! A PostgreSQL cluster of a test's own (never the shared server of `DATABASE_URL`), for tests
//! that stop and start PostgreSQL: created under the target's temporary folder on a free port,
//! run as the `postgres` user when the test runs as root (initdb and pg_ctl refuse root), and
//! stopped and removed when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running (or stopped) cluster of its own.
#[derive(Debug)]
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().expect("an initdb under /usr/lib/postgresql")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Cluster {
    /// Creates and starts a cluster on a free port.
    pub fn start() -> Self {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("pg-own-{}", uuid::Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("creating the cluster's folder");
        let cluster = Self {
            dir,
            port: free_port(),
            bin: bin_dir(),
        };
        if is_root() {
            cluster.run(
                "chown",
                &["-R", "postgres:postgres", &cluster.path("")],
                false,
            );
        }
        let data = cluster.path("data");
        cluster.tool(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        );
        cluster.start_again();
        cluster
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    fn run(&self, program: &str, args: &[&str], as_postgres: bool) {
        let mut command = if as_postgres && is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        };
        let output = command
            .args(args)
            .output()
            .expect("running a PostgreSQL tool");
        assert!(
            output.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn tool(&self, name: &str, args: &[&str]) {
        let program = self.bin.join(name).display().to_string();
        self.run(&program, args, true);
    }

    /// Starts it (again), waiting until it takes connections.
    pub fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off",
            self.port,
            self.path("")
        );
        let (data, log) = (self.path("data"), self.path("log"));
        self.tool(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-w", "-t", "60", "-o", &options, "start",
            ],
        );
    }

    /// Stops it at once (`-m fast`: sessions are cut, as in a crash or a failover).
    pub fn stop(&self) {
        let data = self.path("data");
        self.tool("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]);
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let program = self.bin.join("pg_ctl").display().to_string();
        let data = self.path("data");
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", &program]);
            c
        } else {
            Command::new(&program)
        };
        let _ = command
            .args(["-D", &data, "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
