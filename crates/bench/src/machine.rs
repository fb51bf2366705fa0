//! What the figures were measured on: processors, memory, CPU model, kernel, load, and the
//! commit of the workspace.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::service::parse_kib;

/// The machine and the source tree.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Processors available to this process.
    pub nproc: usize,
    /// `MemTotal` in bytes.
    pub memory_bytes: u64,
    /// `model name` of the first processor.
    pub cpu_model: String,
    /// The kernel release.
    pub kernel: String,
    /// `git rev-parse HEAD` of the workspace.
    pub commit: String,
    /// Files `git status --porcelain` lists (changes not committed), at most 20.
    pub uncommitted: Vec<String>,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Machine {
    /// Reads /proc and git (from `root`).
    pub fn read(root: &Path) -> Self {
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == "model name").then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let commit = git(root, &["rev-parse", "HEAD"])
            .map(|c| c.trim().to_owned())
            .unwrap_or_else(|| "unknown".to_owned());
        let uncommitted = git(root, &["status", "--porcelain"])
            .unwrap_or_default()
            .lines()
            .take(20)
            .map(str::to_owned)
            .collect();
        Self {
            nproc: std::thread::available_parallelism().map_or(1, usize::from),
            memory_bytes: parse_kib(&read("/proc/meminfo"), "MemTotal:").unwrap_or(0) * 1_024,
            cpu_model,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            commit,
            uncommitted,
        }
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> [f64; 3] {
    let text = read("/proc/loadavg");
    let mut fields = text
        .split_whitespace()
        .map(|f| f.parse::<f64>().unwrap_or(0.0));
    [
        fields.next().unwrap_or(0.0),
        fields.next().unwrap_or(0.0),
        fields.next().unwrap_or(0.0),
    ]
}

/// Seconds of CPU time (user + system) the whole machine spent so far, and the seconds it was
/// idle, from /proc/stat, to tell how busy the machine was during a run.
pub fn cpu_times() -> (f64, f64) {
    let stat = read("/proc/stat");
    let Some(line) = stat.lines().find(|line| line.starts_with("cpu ")) else {
        return (0.0, 0.0);
    };
    let ticks: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse::<f64>().unwrap_or(0.0))
        .collect();
    // user nice system idle iowait irq softirq steal; USER_HZ is 100 on Linux.
    let get = |i: usize| ticks.get(i).copied().unwrap_or(0.0) / 100.0;
    let busy = get(0) + get(1) + get(2) + get(5) + get(6) + get(7);
    let idle = get(3) + get(4);
    (busy, idle)
}

/// CPU time other work spent on the machine while the bench ran: every process except this
/// one, its children (the service) and the PostgreSQL processes that serve the bench's database
/// or the whole cluster (WAL writer, checkpointer). A client backend of another database is
/// other work (another engineer's tests, say). Sampled twice a second; a process that starts
/// and ends between two samples is missed, so this is a lower bound.
#[derive(Debug)]
pub struct OtherCpu {
    state: Arc<Mutex<OtherState>>,
    stop: Arc<AtomicBool>,
    sampler: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct OtherState {
    seen: HashMap<u32, f64>,
    seconds: f64,
}

/// One process as /proc shows it.
struct Proc {
    comm: String,
    ppid: u32,
    cpu_secs: f64,
}

fn proc_stat(pid: u32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    // After the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
    // utime stime ...
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(Proc {
        comm,
        ppid,
        cpu_secs: (utime + stime) / 100.0,
    })
}

/// Whether a process is other work than the bench's.
fn is_other(pid: u32, process: &Proc, me: u32, database: &str) -> bool {
    if pid == me || process.ppid == me {
        return false;
    }
    if process.comm == "postgres" {
        let title = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|raw| String::from_utf8_lossy(&raw).into_owned())
            .unwrap_or_default();
        let client = title.contains("127.0.0.1(") || title.contains("[local]");
        return client && !title.contains(database);
    }
    true
}

fn sample(state: &Mutex<OtherState>, me: u32, database: &str, count: bool) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Some(process) = proc_stat(pid) else {
            continue;
        };
        if !is_other(pid, &process, me, database) {
            continue;
        }
        let before = state.seen.insert(pid, process.cpu_secs);
        if count {
            // A process first seen now started during the run: all its time counts.
            state.seconds += (process.cpu_secs - before.unwrap_or(0.0)).max(0.0);
        }
    }
}

impl OtherCpu {
    /// Starts watching; `database` is the bench's database name.
    pub fn start(database: &str) -> Self {
        let me = std::process::id();
        let state = Arc::new(Mutex::new(OtherState::default()));
        sample(&state, me, database, false);
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = {
            let state = Arc::clone(&state);
            let stop = Arc::clone(&stop);
            let database = database.to_owned();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    sample(&state, me, &database, true);
                }
            })
        };
        Self {
            state,
            stop,
            sampler: Some(sampler),
        }
    }

    /// CPU seconds of other work so far.
    pub fn seconds(&self) -> f64 {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .seconds
    }

    /// Stops watching; returns the CPU seconds of other work.
    pub fn stop(mut self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(sampler) = self.sampler.take() {
            let _ = sampler.join();
        }
        self.seconds()
    }
}

#[cfg(test)]
mod tests {
    use super::{Machine, load_average};

    #[test]
    fn the_machine_is_described() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let machine = Machine::read(root);
        assert!(machine.nproc >= 1);
        assert!(machine.memory_bytes > 0);
        assert!(!machine.cpu_model.is_empty());
        assert!(load_average().iter().all(|l| *l >= 0.0));
    }
}
