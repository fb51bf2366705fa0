//! Tidy: the architecture rules of design.md section 2 and the source habits of style.md, as
//! ordinary tests, so that `cargo xtask test` fails when one is broken.
//!
//! The dependency graphs come from `cargo tree`, not from `cargo metadata`: metadata's resolve
//! graph lists optional dependencies that no feature turns on (it shows `rust_decimal ->
//! serde_json` for the domain today) and unifies features over the whole workspace, while
//! `cargo tree -p` resolves features the way `cargo build -p` does.
//!
//! `deps`: what each crate may depend on. `source`: doc lines, leftovers, no SQL in the row
//! mapping. `size`: file and function lengths. `ports`: port size and test doubles. `lexer`
//! and `items` read Rust sources well enough for those rules, without a parser dependency.

mod deps;
mod items;
mod lexer;
mod ports;
mod size;
mod source;

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::cmd;

/// The repository's Rust files, tracked or new (but not ignored), outside `target/`.
fn rust_files() -> Result<Vec<(String, String)>> {
    let mut git = cmd::program(
        "git",
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            "*.rs",
        ],
    );
    let listing = cmd::output("list the Rust files", &mut git)?;
    let root = cmd::root();
    let mut files = Vec::new();
    for name in listing.split('\0').filter(|name| !name.is_empty()) {
        let path: PathBuf = root.join(name);
        // A file deleted from the working tree but not yet from the index has nothing to check.
        if name.starts_with("target/") || !path.is_file() {
            continue;
        }
        let text = fs::read_to_string(&path).with_context(|| format!("reading {name}"))?;
        files.push((name.to_owned(), text));
    }
    Ok(files)
}

fn listing(problems: &[String]) -> String {
    problems
        .iter()
        .map(|problem| format!("\n  {problem}"))
        .collect()
}
