//! Running the programs xtask is made of, so that every failure names the step that failed.

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The workspace root: xtask's manifest sits one folder below it.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ always sits inside the workspace root")
        .to_path_buf()
}

/// A `cargo` command (the same cargo that runs xtask) started from the workspace root.
pub fn cargo(args: &[&str]) -> Command {
    let program = env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(root());
    cmd
}

/// A command for any other program, started from the workspace root.
pub fn program(name: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(name);
    cmd.args(args).current_dir(root());
    cmd
}

/// Runs `cmd` with its output shown; fails with a message naming `step` unless it exits 0.
pub fn run(step: &str, cmd: &mut Command) -> Result<()> {
    let line = describe(cmd);
    eprintln!("==> {step}: {line}");
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("step `{step}` failed: could not start `{line}`"))?;
    if !status.success() {
        bail!("step `{step}` failed: `{line}` ended with {status}");
    }
    Ok(())
}

/// Runs `cmd` and returns its standard output; fails with a message naming `step` (and
/// carrying the program's standard error) unless it exits 0.
pub fn output(step: &str, cmd: &mut Command) -> Result<String> {
    let line = describe(cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("step `{step}` failed: could not start `{line}`"))?;
    if !out.status.success() {
        bail!(
            "step `{step}` failed: `{line}` ended with {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim_end()
        );
    }
    String::from_utf8(out.stdout)
        .with_context(|| format!("step `{step}` failed: `{line}` printed something not UTF-8"))
}

/// Whether `cmd` starts and exits 0, with all its output discarded. For probes only.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether an executable called `name` is on `PATH`.
pub fn on_path(name: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}

/// Whether xtask runs as root (then PostgreSQL's tools must run as the `postgres` user).
pub fn is_root() -> bool {
    let mut id = program("id", &["-u"]);
    output("check the user id", &mut id).is_ok_and(|uid| uid.trim() == "0")
}

/// The command line of `cmd`, for messages.
fn describe(cmd: &Command) -> String {
    let program = Path::new(cmd.get_program())
        .file_name()
        .unwrap_or(cmd.get_program())
        .to_string_lossy()
        .into_owned();
    cmd.get_args().fold(program, |mut line, arg| {
        let arg = arg.to_string_lossy();
        line.push(' ');
        if arg.is_empty() || arg.contains(char::is_whitespace) {
            line.push('\'');
            line.push_str(&arg);
            line.push('\'');
        } else {
            line.push_str(&arg);
        }
        line
    })
}

#[cfg(test)]
mod tests {
    use super::{cargo, describe, program};

    #[test]
    fn a_described_command_quotes_arguments_with_spaces() {
        let cmd = program("/usr/bin/cargo", &["nextest", "run", "-E", "test(/a b/)"]);
        assert_eq!(describe(&cmd), "cargo nextest run -E 'test(/a b/)'");
    }

    #[test]
    fn cargo_commands_start_from_the_workspace_root() {
        let cmd = cargo(&["metadata"]);
        let dir = cmd.get_current_dir().map(|dir| dir.join("Cargo.toml"));
        assert!(dir.is_some_and(|manifest| manifest.is_file()));
    }
}
