//! The real `orderbridge` binary: `cargo build -p orderbridge --bin orderbridge` once per test
//! process, with the cargo that runs the tests, and the executable cargo reports. The outer test
//! build does not make this binary (a package's tests cannot ask for another package's binary),
//! so after a change to the service's crates the first test process compiles it (the other
//! processes wait on cargo's lock); otherwise the build only checks freshness.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tokio::sync::OnceCell;

/// Prefixes of the variables cargo sets for a test run about the test's own package.
const PACKAGE_VARIABLES: [&str; 8] = [
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
];

static BINARY: OnceCell<PathBuf> = OnceCell::const_new();

/// The workspace root: the parent of this package's directory.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package lives inside the workspace")
        .to_path_buf()
}

/// The path of the `orderbridge` binary, built on first use.
pub async fn binary() -> &'static Path {
    BINARY
        .get_or_init(|| async {
            tokio::task::spawn_blocking(build)
                .await
                .expect("the build task panicked")
        })
        .await
}

/// Runs `cargo build -p orderbridge --bin orderbridge` in the test's profile and returns the
/// executable it reports (which follows `CARGO_TARGET_DIR` and cargo's configuration).
fn build() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = workspace_root();
    let mut command = Command::new(&cargo);
    command
        .current_dir(&root)
        .args(["build", "-p", "orderbridge", "--bin", "orderbridge"])
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Cargo describes this test's package to it in these variables; passed on, they would
    // make build scripts that watch them (ring's does) rebuild, and the binary with them.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if PACKAGE_VARIABLES.iter().any(|p| name.starts_with(p)) {
            command.env_remove(name.as_ref());
        }
    }
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("could not run {cargo:?} build: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "building the orderbridge binary failed ({}):\n{stderr}",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let reported = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "orderbridge")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from));
    let path = reported.unwrap_or_else(|| {
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        let profile = if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        };
        target
            .join(profile)
            .join(format!("orderbridge{}", std::env::consts::EXE_SUFFIX))
    });
    assert!(
        path.is_file(),
        "the orderbridge binary is not at {}",
        path.display()
    );
    path
}
