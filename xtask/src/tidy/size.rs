//! Size rules: a source file past 500 lines holds two ideas and a function past 80 lines does
//! several things, which makes both hard to review and to change (style.md, "Comments, logs,
//! size"). Exceptions are listed with their reason in ARCHITECTURE.md, "Size exceptions", and
//! the list must stay true: a listed file or function back within its limit fails the check.

use std::fmt;
use std::fs;

use anyhow::{Context, Result, bail};

use super::items::{Items, test_files};
use super::{listing, rust_files};
use crate::cmd;

/// Lines a `.rs` file under a `src/` folder may have.
const FILE_LIMIT: usize = 500;

/// Lines a function outside test code may have, from its `fn` line to its closing brace.
const FUNCTION_LIMIT: usize = 80;

/// The heading of the exceptions table in ARCHITECTURE.md.
const EXCEPTIONS_HEADING: &str = "## Size exceptions";

/// A file or function over its limit.
#[derive(Debug, PartialEq, Eq)]
struct Offender {
    path: String,
    /// The function's name and the line of its `fn`; `None` for a whole file.
    function: Option<(String, usize)>,
    lines: usize,
}

impl fmt::Display for Offender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.function {
            None => write!(
                f,
                "{}: {} lines (limit {FILE_LIMIT})",
                self.path, self.lines
            ),
            Some((name, line)) => write!(
                f,
                "{}: fn {name} (line {line}): {} lines (limit {FUNCTION_LIMIT})",
                self.path, self.lines
            ),
        }
    }
}

/// A row of the exceptions table: a file, or a function (by name) in a file.
#[derive(Debug, PartialEq, Eq)]
struct Exception {
    path: String,
    function: Option<String>,
}

/// Whether `path` is a source file the file limit applies to: under a `src/` folder.
fn under_src(path: &str) -> bool {
    path.ends_with(".rs") && path.split('/').rev().skip(1).any(|folder| folder == "src")
}

/// Every file under a `src/` folder over the file limit, and every function outside test code
/// over the function limit, in `files` (path and text).
fn offenders(files: &[(String, String)]) -> Vec<Offender> {
    let read: Vec<(&str, Items)> = files
        .iter()
        .map(|(path, text)| (path.as_str(), Items::read(text)))
        .collect();
    let declared: Vec<(String, Vec<String>)> = read
        .iter()
        .map(|(path, items)| ((*path).to_owned(), items.test_module_files()))
        .collect();
    let tests = test_files(&declared);
    let mut found = Vec::new();
    for ((path, text), (_, items)) in files.iter().zip(&read) {
        let lines = text.lines().count();
        if under_src(path) && lines > FILE_LIMIT {
            found.push(Offender {
                path: path.clone(),
                function: None,
                lines,
            });
        }
        if tests.contains(path) {
            continue;
        }
        for function in items.functions() {
            if !function.test && function.lines() > FUNCTION_LIMIT {
                found.push(Offender {
                    path: path.clone(),
                    lines: function.lines(),
                    function: Some((function.name, function.first_line)),
                });
            }
        }
    }
    found
}

/// The rows of the table under [`EXCEPTIONS_HEADING`] in `markdown`: `| Path | Function |
/// Reason |`, the function cell empty (or `-`) for a whole file. None when there is no table.
fn exceptions(markdown: &str) -> Result<Vec<Exception>> {
    let mut rows = Vec::new();
    let section = markdown
        .lines()
        .skip_while(|line| line.trim() != EXCEPTIONS_HEADING)
        .skip(1)
        .take_while(|line| !line.starts_with("## "));
    for line in section.map(str::trim).filter(|line| line.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|cell| cell.trim().replace('`', ""))
            .collect();
        let separator = cells
            .iter()
            .all(|cell| !cell.is_empty() && cell.chars().all(|c| matches!(c, '-' | ':' | ' ')));
        if separator || cells.first().is_some_and(|cell| cell == "Path") {
            continue;
        }
        let [path, function, reason] = cells.as_slice() else {
            bail!("{EXCEPTIONS_HEADING}: a row needs path, function and reason: {line}");
        };
        if reason.is_empty() || path.is_empty() {
            bail!("{EXCEPTIONS_HEADING}: a row without a path or a reason: {line}");
        }
        let function = function.trim_start_matches("fn ").trim_end_matches("()");
        rows.push(Exception {
            path: path.clone(),
            function: (!function.is_empty() && function != "-" && function != "—")
                .then(|| function.to_owned()),
        });
    }
    Ok(rows)
}

/// The offenders that no exception covers, and the exceptions that cover no offender.
fn size_problems(offenders: &[Offender], exceptions: &[Exception]) -> Vec<String> {
    let covers = |exception: &Exception, offender: &Offender| {
        exception.path == offender.path
            && exception.function.as_deref() == offender.function.as_ref().map(|(n, _)| n.as_str())
    };
    let unlisted = offenders
        .iter()
        .filter(|offender| !exceptions.iter().any(|e| covers(e, offender)))
        .map(|offender| format!("{offender}: split it (or list it with a reason)"));
    let stale = exceptions
        .iter()
        .filter(|exception| !offenders.iter().any(|o| covers(exception, o)))
        .map(|exception| match &exception.function {
            None => format!(
                "{}: listed, but within {FILE_LIMIT} lines or gone: remove its row",
                exception.path
            ),
            Some(name) => format!(
                "{}: fn {name}: listed, but within {FUNCTION_LIMIT} lines or gone: remove its row",
                exception.path
            ),
        });
    unlisted.chain(stale).collect()
}

#[test]
fn no_file_or_function_is_over_its_size_limit() -> Result<()> {
    let files = rust_files()?;
    let found = offenders(&files);
    let architecture = cmd::root().join("ARCHITECTURE.md");
    let markdown = fs::read_to_string(&architecture)
        .with_context(|| format!("reading {}", architecture.display()))?;
    let listed = exceptions(&markdown)?;
    // Shown with --nocapture: what is over its limit today, listed or not.
    eprintln!(
        "over their size limit today:{}",
        listing(&found.iter().map(ToString::to_string).collect::<Vec<_>>())
    );
    let problems = size_problems(&found, &listed);
    assert!(
        problems.is_empty(),
        "size limits (ARCHITECTURE.md, {EXCEPTIONS_HEADING}):{}",
        listing(&problems)
    );
    Ok(())
}

mod checks {
    use super::{Exception, Offender, exceptions, offenders, size_problems, under_src};

    /// A file of `lines` lines with one function of `body + 2` lines.
    fn file(lines: usize, body: usize) -> String {
        let mut text = String::from("//! A file.\nfn long() {\n");
        text.push_str(&"    step();\n".repeat(body));
        text.push_str("}\n");
        let used = text.lines().count();
        text.push_str(&"\n".repeat(lines.saturating_sub(used)));
        text
    }

    fn sample() -> Vec<(String, String)> {
        let tested = format!(
            "{}#[cfg(test)]\nmod tests {{\n{}}}\n",
            file(3, 1),
            file(90, 85)
        );
        vec![
            ("a/src/big.rs".to_owned(), file(501, 1)),
            ("a/src/ok.rs".to_owned(), file(500, 78)),
            ("a/src/long.rs".to_owned(), file(100, 79)),
            ("a/tests/it/big.rs".to_owned(), file(900, 100)),
            ("a/src/x/tests.rs".to_owned(), file(20, 100)),
            ("a/src/tested.rs".to_owned(), tested),
        ]
    }

    #[test]
    fn big_files_under_src_and_long_functions_outside_tests_are_found() {
        let found: Vec<String> = offenders(&sample())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "a/src/big.rs: 501 lines (limit 500)",
                "a/src/long.rs: fn long (line 2): 81 lines (limit 80)",
            ]
        );
        assert!(under_src("tests/src/lib.rs"));
        assert!(!under_src("tests/it/main.rs"));
        assert!(!under_src("src/notes.md"));
    }

    const ARCHITECTURE: &str = "\
# Architecture

## Size exceptions

| Path | Function | Reason |
| --- | --- | --- |
| `a/src/big.rs` |  | a generated table |
| `a/src/long.rs` | `long` | to be split (issue 12) |

## Next
| `not/a/row.rs` | | ignored |
";

    #[test]
    fn the_exceptions_table_is_read() {
        let rows = exceptions(ARCHITECTURE).expect("well formed");
        let file = |path: &str, function: Option<&str>| Exception {
            path: path.to_owned(),
            function: function.map(str::to_owned),
        };
        assert_eq!(
            rows,
            [
                file("a/src/big.rs", None),
                file("a/src/long.rs", Some("long"))
            ]
        );
        assert!(exceptions("## Size exceptions\n| a.rs | | |\n").is_err());
        assert!(exceptions("# No table\n").expect("no table").is_empty());
    }

    #[test]
    fn listed_offenders_pass_and_unlisted_or_stale_rows_fail() {
        let found = offenders(&sample());
        let listed = exceptions(ARCHITECTURE).expect("well formed");
        assert!(size_problems(&found, &listed).is_empty());
        let problems = size_problems(&found, &listed[1..]);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("a/src/big.rs: 501 lines"),
            "{problems:?}"
        );
        let fixed = [Offender {
            path: "a/src/big.rs".to_owned(),
            function: None,
            lines: 501,
        }];
        let problems = size_problems(&fixed, &listed);
        assert_eq!(
            problems,
            ["a/src/long.rs: fn long: listed, but within 80 lines or gone: remove its row"]
        );
    }
}
