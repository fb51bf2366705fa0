//! The RustSec advisory database for `cargo deny check advisories`, offline: these machines
//! cannot fetch it, so a snapshot ships beside the project
//! (`../shared/reference/rustsec-advisory-db`, its `.md` says how cargo-deny reads it). This
//! copies it, once per snapshot, into `target/advisory-dbs/` as the one-commit git checkout
//! cargo-deny expects, dated as the snapshot.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cmd;

/// The folder cargo-deny looks in for the default database URL, under its `db-path`.
const CHECKOUT: &str = "advisory-db-3157b0e258782691";
/// `db-path` in deny.toml, from the workspace root.
pub const DB_PATH: &str = "target/advisory-dbs";
/// When the snapshot was taken (upstream commit bf5c0d24 of 2026-08-21).
const SNAPSHOT_DATE: &str = "2026-08-21T00:00:00Z";
/// Where the snapshot may be: `ORDERBRIDGE_ADVISORY_DB`, beside the project, or the machine's
/// shared folder.
const SHARED: &str = "/work/shared/reference/rustsec-advisory-db";

/// The snapshot to use.
fn snapshot(root: &Path) -> Result<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("ORDERBRIDGE_ADVISORY_DB") {
        candidates.push(PathBuf::from(path));
    }
    candidates.push(root.join("../shared/reference/rustsec-advisory-db"));
    candidates.push(PathBuf::from(SHARED));
    for candidate in &candidates {
        if candidate.join("crates").is_dir() {
            return Ok(candidate.clone());
        }
    }
    bail!(
        "no RustSec advisory database snapshot found (looked in {}); set ORDERBRIDGE_ADVISORY_DB \
         to a copy of https://github.com/rustsec/advisory-db",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A fingerprint of the snapshot: its file count and newest modification, so that a refreshed
/// snapshot is copied again.
fn fingerprint(dir: &Path) -> Result<String> {
    let mut count = 0_u64;
    let mut newest = 0_u64;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(next) = stack.pop() {
        for entry in
            std::fs::read_dir(&next).with_context(|| format!("reading {}", next.display()))?
        {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if entry.file_name() != ".git" {
                    stack.push(entry.path());
                }
            } else {
                count += 1;
                let modified = entry
                    .metadata()?
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_secs());
                newest = newest.max(modified);
            }
        }
    }
    Ok(format!("{count} files, newest {newest}"))
}

/// Makes `target/advisory-dbs/<checkout>` a one-commit git repository of the snapshot.
///
/// # Errors
/// When no snapshot is found, or copying or committing fails.
pub fn prepare() -> Result<()> {
    let root = cmd::root();
    let source = snapshot(&root)?;
    let checkout = root.join(DB_PATH).join(CHECKOUT);
    let stamp = checkout.join(".orderbridge-snapshot");
    let wanted = format!("{}: {}", source.display(), fingerprint(&source)?);
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return Ok(());
    }
    if checkout.exists() {
        std::fs::remove_dir_all(&checkout)
            .with_context(|| format!("removing {}", checkout.display()))?;
    }
    std::fs::create_dir_all(&checkout)?;
    let copy = format!("{}/.", source.display());
    cmd::run(
        "copy the advisory database",
        &mut cmd::program("cp", &["-R", &copy, &checkout.display().to_string()]),
    )?;
    let git = |args: &[&str]| {
        let mut git = cmd::program("git", args);
        git.current_dir(&checkout)
            .env("GIT_AUTHOR_DATE", SNAPSHOT_DATE)
            .env("GIT_COMMITTER_DATE", SNAPSHOT_DATE);
        git
    };
    let _ = std::fs::remove_dir_all(checkout.join(".git"));
    cmd::run("git init", &mut git(&["init", "--quiet"]))?;
    cmd::run("git add", &mut git(&["add", "--all"]))?;
    cmd::run(
        "git commit",
        &mut git(&[
            "-c",
            "user.name=orderbridge xtask",
            "-c",
            "user.email=xtask@orderbridge.invalid",
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "-m",
            "RustSec advisory database snapshot",
        ]),
    )?;
    std::fs::write(&stamp, wanted)?;
    eprintln!(
        "==> advisory database snapshot ready in {}",
        checkout.display()
    );
    Ok(())
}
