//! One `orderbridge` process: spawned with a clean environment, its log lines collected as they
//! come (stderr and stdout), ready once it logs where it listens; stopped with SIGTERM or
//! SIGKILL, and killed when dropped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::process::binary::binary;

/// The variables a child keeps from the test's environment; everything else is dropped, so a
/// stray `ORDERBRIDGE_*`, `DATABASE_URL` or `RUST_LOG` never leaks in.
const KEPT: [&str; 3] = ["PATH", "HOME", "RUST_BACKTRACE"];

/// How long a start may take (migrations included).
const START_PATIENCE: Duration = Duration::from_secs(60);

/// Every line a process wrote, in order per stream.
#[derive(Debug, Default)]
pub struct Logs {
    lines: Mutex<Vec<String>>,
}

impl Logs {
    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }

    /// A copy of every line so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every line so far, one per line.
    pub fn text(&self) -> String {
        self.lines().join("\n")
    }

    /// The JSON log events so far (lines that are not JSON are left out).
    pub fn events(&self) -> Vec<Value> {
        self.lines()
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .collect()
    }

    /// How many JSON events carry this `message`.
    pub fn count(&self, message: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| e["message"] == message)
            .count()
    }
}

/// The environment and working directory of a child.
#[derive(Debug, Clone, Default)]
pub struct Launch {
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
}

impl Launch {
    /// `ORDERBRIDGE_LISTEN=127.0.0.1:0` and JSON logs; nothing else.
    pub fn new() -> Self {
        Self::default()
            .env("ORDERBRIDGE_LISTEN", "127.0.0.1:0")
            .env("ORDERBRIDGE_LOG_FORMAT", "json")
    }

    /// Sets a variable.
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Removes a variable set before.
    pub fn without(mut self, name: &str) -> Self {
        self.env.remove(name);
        self
    }

    /// Runs the child in `dir`.
    pub fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    async fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary().await);
        command.args(args).env_clear();
        for name in KEPT {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command.envs(&self.env);
        if let Some(dir) = &self.cwd {
            command.current_dir(dir);
        }
        command
    }

    /// Runs `orderbridge <args>` to completion (at most `within`): its status, stdout and
    /// stderr.
    pub async fn run(&self, args: &[&str], within: Duration) -> (ExitStatus, String, String) {
        let mut command = self.command(args).await;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().expect("spawning orderbridge");
        let output = tokio::time::timeout(within, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("orderbridge {args:?} did not finish within {within:?}"))
            .expect("waiting for orderbridge");
        (
            output.status,
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Starts `orderbridge serve` and waits until it listens.
    pub async fn serve(&self, name: &str) -> Service {
        let mut command = self.command(&["serve"]).await;
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawning orderbridge serve");
        let pid = child.id().expect("a running child has a pid");
        let logs = Arc::new(Logs::default());
        let (address_tx, mut address_rx) = watch::channel(None);
        let address_tx = Arc::new(address_tx);
        let readers = vec![
            tokio::spawn(read_lines(
                child.stderr.take().expect("stderr is piped"),
                logs.clone(),
                address_tx.clone(),
            )),
            tokio::spawn(read_lines(
                child.stdout.take().expect("stdout is piped"),
                logs.clone(),
                address_tx,
            )),
        ];
        let mut service = Service {
            name: name.to_owned(),
            child,
            pid,
            logs,
            readers,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        let ready = tokio::time::timeout(START_PATIENCE, async {
            loop {
                if let Some(address) = *address_rx.borrow_and_update() {
                    return Some(address);
                }
                if address_rx.changed().await.is_err() {
                    // Both streams closed without the address: the process ended.
                    return None;
                }
            }
        })
        .await;
        match ready {
            Ok(Some(address)) => service.address = address,
            Ok(None) => {
                let status = service.child.wait().await;
                panic!(
                    "{name} exited before listening ({status:?}); its output:\n{}",
                    service.logs.text()
                );
            }
            Err(_) => panic!(
                "{name} did not log \"orderbridge is listening\" within {START_PATIENCE:?}; its output:\n{}",
                service.logs.text()
            ),
        }
        service
    }
}

/// Collects the lines of one stream; publishes the address of "orderbridge is listening".
async fn read_lines(
    stream: impl AsyncRead + Unpin,
    logs: Arc<Logs>,
    address: Arc<watch::Sender<Option<SocketAddr>>>,
) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(event) = serde_json::from_str::<Value>(&line)
            && event["message"] == "orderbridge is listening"
            && let Some(at) = event["address"].as_str().and_then(|a| a.parse().ok())
        {
            address.send_replace(Some(at));
        }
        logs.push(line);
    }
}

/// A running `orderbridge serve`.
#[derive(Debug)]
pub struct Service {
    name: String,
    child: Child,
    pid: u32,
    logs: Arc<Logs>,
    readers: Vec<JoinHandle<()>>,
    address: SocketAddr,
}

impl Service {
    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://<address>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Its log lines.
    pub fn logs(&self) -> Arc<Logs> {
        self.logs.clone()
    }

    /// Waits for the output streams to close (the process has ended), so the logs are whole.
    async fn drain(&mut self) {
        for reader in self.readers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(5), reader).await;
        }
    }

    /// SIGKILL, as a crash; waits until it is gone.
    pub async fn kill_hard(&mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        self.drain().await;
    }

    /// SIGTERM, then waits at most `within` for the exit; `None` when it did not exit in time.
    pub async fn terminate(&mut self, within: Duration) -> Option<ExitStatus> {
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .expect("running kill");
        assert!(
            sent.success(),
            "kill -TERM {} ({}) failed",
            self.pid,
            self.name
        );
        let status = tokio::time::timeout(within, self.child.wait())
            .await
            .ok()
            .map(|status| status.unwrap_or_else(|e| panic!("waiting for {}: {e}", self.name)));
        if status.is_some() {
            self.drain().await;
        }
        status
    }
}
