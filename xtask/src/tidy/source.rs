//! Source habits: every file says what it is for, no debugging leftovers or disabled tests,
//! and no SQL in the row mapping.

use anyhow::Result;

use super::lexer::scan;
use super::{listing, rust_files};

/// Where the row mapping shared by the PostgreSQL and SQLite stores lives.
const ROWS_SOURCES: &str = "crates/rows/src/";

/// Words that open an SQL statement. A string literal in the row mapping that starts with one
/// is SQL, which belongs in the store that runs it: the mapping is shared because it is not
/// SQL, and each store's dialect differs (column lists are fine: they are names, not SQL).
const SQL_KEYWORDS: [&str; 8] = [
    "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "CREATE", "ALTER", "DROP",
];

/// Text that must not stay in a source file: debugging leftovers and disabled tests (assert on
/// the `Err` instead). Built with `concat!` so that this file does not match itself.
const NEEDLES: [&str; 4] = [
    concat!("dbg", "!("),
    concat!("todo", "!("),
    concat!("#[", "ignore"),
    concat!("#[", "should_panic"),
];

/// Whether a source file opens with a `//!` line saying what it is for.
fn opens_with_doc_line(text: &str) -> bool {
    text.starts_with("//!")
}

/// Every `NEEDLES` entry in `text`, as "line N: `needle`".
fn needles_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        for needle in NEEDLES.iter().filter(|needle| line.contains(**needle)) {
            found.push(format!("line {}: `{needle}`", number + 1));
        }
    }
    found
}
/// The string literals of `text` that start (after spaces) with an SQL keyword followed by a
/// space or nothing, in any case, as "line N: "..."". Comments are not literals.
fn sql_literals(text: &str) -> Vec<String> {
    scan(text)
        .strings
        .iter()
        .filter(|literal| {
            let words = literal.text.trim_start();
            SQL_KEYWORDS.iter().any(|keyword| {
                words
                    .get(..keyword.len())
                    .is_some_and(|start| start.eq_ignore_ascii_case(keyword))
                    && words[keyword.len()..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace)
            })
        })
        .map(|literal| {
            let first: String = literal.text.trim().lines().next().unwrap_or("").to_owned();
            format!("line {}: \"{first}\"", literal.line)
        })
        .collect()
}

#[test]
fn every_rust_file_opens_with_a_doc_line() -> Result<()> {
    let files = rust_files()?;
    assert!(
        files
            .iter()
            .any(|(name, _)| name == "xtask/src/tidy/mod.rs"),
        "git listed no sources"
    );
    let missing: Vec<String> = files
        .iter()
        .filter(|(_, text)| !opens_with_doc_line(text))
        .map(|(name, _)| {
            format!("{name}: the first line must be a `//!` line saying what it is for")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` opening line:{}",
        listing(&missing)
    );
    Ok(())
}

#[test]
fn no_debugging_leftovers_or_disabled_tests_in_sources() -> Result<()> {
    let found: Vec<String> = rust_files()?
        .iter()
        .flat_map(|(name, text)| {
            needles_in(text)
                .into_iter()
                .map(move |hit| format!("{name}: {hit}"))
        })
        .collect();
    assert!(
        found.is_empty(),
        "remove these (style.md, Tests):{}",
        listing(&found)
    );
    Ok(())
}
#[test]
fn the_row_mapping_holds_no_sql() -> Result<()> {
    let files = rust_files()?;
    let rows: Vec<&(String, String)> = files
        .iter()
        .filter(|(name, _)| name.starts_with(ROWS_SOURCES))
        .collect();
    assert!(
        rows.iter().any(|(name, _)| name.ends_with("/outbox.rs")),
        "no row mapping sources under {ROWS_SOURCES}"
    );
    let found: Vec<String> = rows
        .iter()
        .flat_map(|(name, text)| {
            sql_literals(text)
                .into_iter()
                .map(move |hit| format!("{name}: {hit}"))
        })
        .collect();
    assert!(
        found.is_empty(),
        "SQL belongs in the store that runs it, not in the shared row mapping \
         (ARCHITECTURE.md, crates/rows):{}",
        listing(&found)
    );
    Ok(())
}

mod checks {
    use super::{NEEDLES, needles_in, opens_with_doc_line, sql_literals};

    #[test]
    fn a_file_must_open_with_a_doc_line() {
        assert!(opens_with_doc_line(
            "//! What this file is for.\n\nfn main() {}\n"
        ));
        assert!(!opens_with_doc_line("// A plain comment.\n//! Too late.\n"));
        assert!(!opens_with_doc_line("\n//! After a blank line.\n"));
        assert!(!opens_with_doc_line(""));
    }

    #[test]
    fn every_needle_is_found_with_its_line() {
        for needle in NEEDLES {
            let text = format!("//! A file.\nfn f() {{}}\n    {needle}\n");
            assert_eq!(needles_in(&text), [format!("line 3: `{needle}`")]);
        }
        assert!(needles_in("//! Clean.\n#[test]\nfn f() {}\n").is_empty());
    }

    /// The shape of `crates/rows/src/outbox.rs`: a column list, column names read one by one.
    const ROWS_SAMPLE: &str = r#"//! Outbox rows.
/// The outbox columns, not SQL: SELECT them in the store.
pub const COLUMNS: &str = "id, order_id, channel, kind, subject, line_no, state, attempts, \
     created_at, next_attempt_at, last_error, remote_ref, delivered_at";
fn f(row: &Row) { row.time("updated_at"); row.text("deleted_by"); row.text("selection"); }
"#;

    #[test]
    fn column_lists_and_names_are_not_sql() {
        assert!(
            sql_literals(ROWS_SAMPLE).is_empty(),
            "{:?}",
            sql_literals(ROWS_SAMPLE)
        );
    }

    #[test]
    fn an_sql_statement_in_the_row_mapping_is_reported() {
        let bad = format!(
            "{ROWS_SAMPLE}const CLAIM: &str = \"select {{COLUMNS}} from outbox\";\n\
             fn g() {{ query(r\"\n  UPDATE outbox SET state = 'sent'\"); }}\n"
        );
        assert_eq!(
            sql_literals(&bad),
            [
                "line 6: \"select {COLUMNS} from outbox\"",
                "line 7: \"UPDATE outbox SET state = 'sent'\""
            ]
        );
        assert_eq!(
            sql_literals("const D: &str = \"DELETE\";"),
            ["line 1: \"DELETE\""]
        );
    }
}
