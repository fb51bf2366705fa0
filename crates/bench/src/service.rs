//! The real `orderbridge serve` process: started with a clean environment and its logs in a
//! file, ready once `/readyz` answers 200, its peak resident memory read from /proc, and
//! stopped with SIGTERM.

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

/// The variables the service keeps from the bench's environment; everything else is dropped,
/// so a stray `ORDERBRIDGE_*` or `RUST_LOG` never changes what is measured.
const KEPT: [&str; 2] = ["PATH", "HOME"];

/// How long a start may take (migrations included).
const START_PATIENCE: Duration = Duration::from_secs(60);

/// A running `orderbridge serve`.
#[derive(Debug)]
pub struct Service {
    name: String,
    child: Child,
    pid: u32,
    address: SocketAddr,
    log: PathBuf,
}

/// A free port on 127.0.0.1 (bound and let go; nothing else here races for it).
fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

impl Service {
    /// Starts `binary serve` with `env`, logging to `log_dir/orderbridge-<name>.log`, and waits
    /// until `/readyz` answers 200.
    pub async fn start(
        name: &str,
        binary: &Path,
        env: &[(String, String)],
        log_dir: &Path,
        http: &reqwest::Client,
    ) -> Result<Self> {
        let address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let log = log_dir.join(format!("orderbridge-{name}.log"));
        let out = File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let mut command = Command::new(binary);
        command.arg("serve").env_clear();
        for kept in KEPT {
            if let Some(value) = std::env::var_os(kept) {
                command.env(kept, value);
            }
        }
        command
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("ORDERBRIDGE_LISTEN", address.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {} serve", binary.display()))?;
        let pid = child.id().context("the service exited at once")?;
        let mut service = Self {
            name: name.to_owned(),
            child,
            pid,
            address,
            log,
        };
        service.wait_ready(http).await?;
        Ok(service)
    }

    async fn wait_ready(&mut self, http: &reqwest::Client) -> Result<()> {
        let url = format!("{}/readyz", self.base_url());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "orderbridge ({}) exited before it was ready ({status}); its log: {}",
                    self.name,
                    self.log.display()
                );
            }
            let ready = http
                .get(&url)
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if ready {
                return Ok(());
            }
            if started.elapsed() > START_PATIENCE {
                bail!(
                    "orderbridge ({}) was not ready within {START_PATIENCE:?}; its log: {}",
                    self.name,
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `http://<address>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Its peak resident set size so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> Result<u64> {
        peak_rss(self.pid)
    }

    /// SIGTERM, then waits (at most 40 s, then SIGKILL) for it to exit; fails unless it exited 0.
    pub async fn stop(mut self) -> Result<()> {
        let pid = self.pid.to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .context("running kill -TERM")?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed");
        }
        match tokio::time::timeout(Duration::from_secs(40), self.child.wait()).await {
            Ok(status) => {
                let status = status?;
                if !status.success() {
                    bail!(
                        "orderbridge ({}) ended with {status} on SIGTERM; its log: {}",
                        self.name,
                        self.log.display()
                    );
                }
                Ok(())
            }
            Err(_) => {
                let _ = self.child.kill().await;
                bail!(
                    "orderbridge ({}) did not stop within 40 s of SIGTERM; its log: {}",
                    self.name,
                    self.log.display()
                )
            }
        }
    }
}

/// `VmHWM` of process `pid`, in bytes.
pub fn peak_rss(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_kib(&status, "VmHWM:")
        .map(|kib| kib * 1_024)
        .with_context(|| format!("no VmHWM in {path}"))
}

/// The value of a `Name:   1234 kB` line, in KiB.
pub fn parse_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::{parse_kib, peak_rss};

    #[test]
    fn kib_lines_are_read() {
        let status = "Name:\torderbridge\nVmPeak:\t  123456 kB\nVmHWM:\t   40960 kB\n";
        assert_eq!(parse_kib(status, "VmHWM:"), Some(40_960));
        assert_eq!(parse_kib(status, "VmRSS:"), None);
    }

    #[test]
    fn this_process_has_a_peak_rss() -> anyhow::Result<()> {
        assert!(peak_rss(std::process::id())? > 0);
        Ok(())
    }
}
