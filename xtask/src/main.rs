//! Project automation for orderbridge, run as `cargo xtask <command>`; see `cargo xtask --help`.

mod advisories;
mod bench;
mod cmd;
mod db;
#[cfg(test)]
mod tidy;

use std::env;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};

const HELP: &str = "\
cargo xtask <command>

Commands:
  test                  Every test of the workspace (the doc tests, then cargo nextest), with
                        DATABASE_URL set: taken from the environment, else 127.0.0.1:5432 if it
                        answers, else the machine's PostgreSQL cluster started with pg_ctlcluster,
                        else a throwaway cluster (port 54329, data in target/pg).
  proptest [--cases N]  Only the property tests (modules named `properties`), with
                        PROPTEST_CASES=N (default 10000).
  lint                  cargo fmt --check, clippy with warnings denied, and cargo deny
                        --offline check licenses bans sources advisories (installs cargo-deny
                        if missing; advisories from the RustSec snapshot: advisories.rs).
  ci                    lint, then proptest, then test; stops at the first failure.
  db start|stop|status  The throwaway PostgreSQL cluster: port 54329, data in target/pg.
                        `status` also says whether 127.0.0.1:5432 answers.
  bench [--quick]       The benchmarks of design.md section 10: builds in release, finds or
                        starts a PostgreSQL with fsync on, runs orderbridge-bench; writes
                        target/bench/report.json and BENCHMARKS.md. --quick: about a minute.
  help, --help, -h      This help.
";

/// Property tests run this many cases under `cargo xtask proptest` unless told otherwise.
const DEFAULT_CASES: u32 = 10_000;

/// One parsed command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    Help,
    Test,
    Proptest { cases: u32 },
    Lint,
    Ci,
    Db(DbAction),
    Bench { quick: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DbAction {
    Start,
    Stop,
    Status,
}

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    match parse(&args).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[String]) -> Result<Task> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let task = match args.as_slice() {
        [] => bail!("no command given\n\n{HELP}"),
        ["help" | "--help" | "-h", ..] => Task::Help,
        ["test"] => Task::Test,
        ["proptest"] => Task::Proptest {
            cases: DEFAULT_CASES,
        },
        ["proptest", "--cases", cases] => Task::Proptest {
            cases: parse_cases(cases)?,
        },
        ["proptest", option] if option.starts_with("--cases=") => Task::Proptest {
            cases: parse_cases(&option["--cases=".len()..])?,
        },
        ["lint"] => Task::Lint,
        ["ci"] => Task::Ci,
        ["db", "start"] => Task::Db(DbAction::Start),
        ["db", "stop"] => Task::Db(DbAction::Stop),
        ["db", "status"] => Task::Db(DbAction::Status),
        ["bench"] => Task::Bench { quick: false },
        ["bench", "--quick"] => Task::Bench { quick: true },
        _ => bail!(
            "unknown command line `{}`; see `cargo xtask --help`",
            args.join(" ")
        ),
    };
    Ok(task)
}

fn parse_cases(cases: &str) -> Result<u32> {
    match cases.parse() {
        Ok(0) | Err(_) => bail!("--cases takes a positive whole number, not `{cases}`"),
        Ok(cases) => Ok(cases),
    }
}

fn run(task: Task) -> Result<()> {
    match task {
        Task::Help => {
            print!("{HELP}");
            Ok(())
        }
        Task::Test => test(),
        Task::Proptest { cases } => proptest(cases),
        Task::Lint => lint(),
        Task::Ci => ci(),
        Task::Db(DbAction::Start) => db::start(),
        Task::Db(DbAction::Stop) => db::stop(),
        Task::Db(DbAction::Status) => db::status(),
        Task::Bench { quick } => bench::run(quick),
    }
}

/// The README's test command: every test, property tests at proptest's default case count.
fn test() -> Result<()> {
    let url = db::ensure()?;
    eprintln!("==> tests run with DATABASE_URL={url}");
    // Doc tests first, so that the run closes on the main test runner's summary.
    let mut doc = cmd::cargo(&["test", "--workspace", "--all-features", "--doc"]);
    cmd::run("doc tests", test_env(&mut doc, &url))?;
    if has_nextest() {
        let mut nextest = cmd::cargo(&[
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--no-fail-fast",
        ]);
        cmd::run("tests", test_env(&mut nextest, &url))?;
    } else {
        eprintln!("==> cargo-nextest is missing: running the tests with cargo test");
        let mut tests = cmd::cargo(&["test", "--workspace", "--all-features", "--no-fail-fast"]);
        cmd::run("tests", test_env(&mut tests, &url))?;
    }
    Ok(())
}

/// Only the property tests, with `cases` cases each. They run on the debug build that `test`
/// already made: 10,000 cases of the domain state machine take seconds, a release build of the
/// workspace minutes.
fn proptest(cases: u32) -> Result<()> {
    let url = db::ensure()?;
    eprintln!("==> property tests run with PROPTEST_CASES={cases}");
    let mut tests = if has_nextest() {
        // With no property test yet, nextest warns instead of failing.
        let filter = ["-E", "test(/properties::/)", "--no-tests=warn"];
        let mut nextest = cmd::cargo(&["nextest", "run", "--workspace"]);
        nextest
            .args(["--all-features", "--no-fail-fast"])
            .args(filter);
        nextest
    } else {
        eprintln!("==> cargo-nextest is missing: running the property tests with cargo test");
        cmd::cargo(&[
            "test",
            "--workspace",
            "--all-features",
            "--",
            "properties::",
        ])
    };
    test_env(&mut tests, &url).env("PROPTEST_CASES", cases.to_string());
    cmd::run(&format!("property tests ({cases} cases)"), &mut tests)?;
    eprintln!("==> property tests passed with PROPTEST_CASES={cases}");
    Ok(())
}

fn lint() -> Result<()> {
    cmd::run(
        "format check",
        &mut cmd::cargo(&["fmt", "--all", "--", "--check"]),
    )?;
    let clippy = [
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ];
    cmd::run("clippy", &mut cmd::cargo(&clippy))?;
    if !cmd::succeeds(&mut cmd::cargo(&["deny", "--version"])) {
        eprintln!(
            "==> cargo-deny is missing: installing it with `cargo install cargo-deny --locked`"
        );
        let mut install = cmd::cargo(&["install", "cargo-deny", "--locked"]);
        cmd::run("install cargo-deny", &mut install)?;
    }
    advisories::prepare()?;
    // Offline: the advisory database is the snapshot `advisories::prepare` put in place, and
    // nothing else is fetched.
    let deny = [
        "deny",
        "--offline",
        "check",
        "licenses",
        "bans",
        "sources",
        "advisories",
    ];
    cmd::run("cargo deny", &mut cmd::cargo(&deny))
}

fn ci() -> Result<()> {
    lint().context("ci stopped at lint")?;
    proptest(DEFAULT_CASES).context("ci stopped at proptest")?;
    test().context("ci stopped at test")?;
    eprintln!("==> ci passed: lint, proptest ({DEFAULT_CASES} cases), test");
    Ok(())
}

fn has_nextest() -> bool {
    cmd::succeeds(&mut cmd::cargo(&["nextest", "--version"]))
}

/// The environment of a test run: the database, and proptest's own case count unless the
/// caller sets one.
fn test_env<'a>(tests: &'a mut Command, url: &str) -> &'a mut Command {
    tests.env("DATABASE_URL", url).env_remove("PROPTEST_CASES")
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_CASES, DbAction, Task, parse};

    fn parsed(line: &str) -> anyhow::Result<Task> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        parse(&args)
    }

    #[test]
    fn every_command_is_recognised() -> anyhow::Result<()> {
        assert_eq!(parsed("test")?, Task::Test);
        assert_eq!(parsed("lint")?, Task::Lint);
        assert_eq!(parsed("ci")?, Task::Ci);
        assert_eq!(parsed("bench")?, Task::Bench { quick: false });
        assert_eq!(parsed("bench --quick")?, Task::Bench { quick: true });
        assert_eq!(parsed("--help")?, Task::Help);
        assert_eq!(parsed("db start")?, Task::Db(DbAction::Start));
        assert_eq!(parsed("db stop")?, Task::Db(DbAction::Stop));
        assert_eq!(parsed("db status")?, Task::Db(DbAction::Status));
        Ok(())
    }

    #[test]
    fn proptest_takes_a_case_count_or_defaults_to_ten_thousand() -> anyhow::Result<()> {
        assert_eq!(
            parsed("proptest")?,
            Task::Proptest {
                cases: DEFAULT_CASES
            }
        );
        assert_eq!(parsed("proptest --cases 10")?, Task::Proptest { cases: 10 });
        assert_eq!(
            parsed("proptest --cases=250")?,
            Task::Proptest { cases: 250 }
        );
        Ok(())
    }

    #[test]
    fn bad_command_lines_are_refused() {
        for line in [
            "",
            "tests",
            "proptest --cases",
            "proptest --cases 0",
            "proptest --cases x",
            "db",
            "bench --fast",
        ] {
            assert!(parsed(line).is_err(), "accepted {line:?}");
        }
    }
}
