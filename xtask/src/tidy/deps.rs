//! Dependency rules: what each workspace crate may depend on, and the IO, storage and client
//! crates that the domain, the HTTP crate and the row mapping must not reach.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use anyhow::{Context, Result, bail};

use super::listing;
use crate::cmd;

const DOMAIN: &str = "orderbridge-domain";
const HTTP: &str = "orderbridge-http";
const CONSOLE: &str = "orderbridge-console";
const ROWS: &str = "orderbridge-rows";

/// Crates that do IO or serialization, which the domain must not reach even transitively.
const IO_CRATES: [&str; 6] = ["tokio", "sqlx", "hyper", "axum", "reqwest", "serde_json"];

/// Storage and client libraries the inbound HTTP crate must not reach, directly or through a
/// marketplace crate (it uses their webhook DTOs only, without their clients).
const NOT_FOR_HTTP: [&str; 2] = ["sqlx", "reqwest"];

/// Database drivers the shared row mapping must not reach, even transitively: it maps rows
/// that each store reads with its own driver through the `Columns` seam, so that a store's SQL
/// and driver stay in that store and the mapping stays one for both ("no SQL, no sqlx").
const NOT_FOR_ROWS: [&str; 5] = [
    "sqlx",
    "sqlx-core",
    "rusqlite",
    "libsqlite3-sys",
    "tokio-postgres",
];

/// Which workspace crates each workspace crate may depend on (normal dependencies; tests may
/// use anything through dev-dependencies), from the table in design.md section 2.
const INTERNAL_RULES: &[(&str, Allowed)] = &[
    (DOMAIN, Allowed::Only(&[])),
    (
        HTTP,
        Allowed::Only(&[DOMAIN, "orderbridge-adm", "orderbridge-feedamp"]),
    ),
    // The operator console: pages over the domain's services, like the HTTP crate (which it
    // sits beside, without depending on it).
    (CONSOLE, Allowed::Only(&[DOMAIN])),
    ("orderbridge-adm", Allowed::Only(&[DOMAIN])),
    ("orderbridge-feedamp", Allowed::Only(&[DOMAIN])),
    // The alerts webhook: an outbound adapter of the domain's `AlertSink` port.
    ("orderbridge-alerts", Allowed::Only(&[DOMAIN])),
    // The worked example of docs/adding-a-marketplace.md: an adapter like any other.
    ("orderbridge-example-marketplace", Allowed::Only(&[DOMAIN])),
    // The row mapping both stores share: domain records to rows and back, without SQL.
    (ROWS, Allowed::Only(&[DOMAIN])),
    ("orderbridge-postgres", Allowed::Only(&[DOMAIN, ROWS])),
    ("orderbridge-sqlite", Allowed::Only(&[DOMAIN, ROWS])),
    (
        "orderbridge-sandbox",
        Allowed::Only(&["orderbridge-adm", "orderbridge-feedamp"]),
    ),
    // Not in the design's table: the `OrderStore` conformance suite that every store adapter
    // (and the in-memory fake) runs from its tests (style.md, "Ports and adapters").
    ("orderbridge-store-contract", Allowed::Only(&[DOMAIN])),
    // Likewise the `Marketplace` conformance kit every marketplace adapter runs.
    ("orderbridge-marketplace-contract", Allowed::Only(&[DOMAIN])),
    ("orderbridge", Allowed::Anything),
    // The benchmarks drive the service and measure the store and the sandbox directly.
    ("orderbridge-bench", Allowed::Anything),
    ("orderbridge-tests", Allowed::Anything),
    ("xtask", Allowed::Only(&[])),
];

/// What a crate may depend on inside the workspace.
#[derive(Debug, Clone, Copy)]
enum Allowed {
    Only(&'static [&'static str]),
    Anything,
}

/// Packages (by name) and their direct dependencies, as `cargo tree` printed them.
#[derive(Debug, Default)]
struct Graph {
    /// The top-level packages of the listing: the workspace members with `--workspace`.
    roots: Vec<String>,
    deps: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// Reads `cargo tree --prefix depth --format {p}` output: each line is the depth followed
    /// by `name vX.Y.Z ...`, and a line's parent is the nearest line above it one level up.
    fn parse(listing: &str) -> Result<Self> {
        let mut graph = Graph::default();
        let mut chain: Vec<String> = Vec::new();
        for (number, line) in listing
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.is_empty())
        {
            let digits = line
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(line.len());
            let depth: usize = line[..digits]
                .parse()
                .with_context(|| format!("line {}: no depth in {line:?}", number + 1))?;
            let Some(name) = line[digits..].split_whitespace().next() else {
                bail!("line {}: no package in {line:?}", number + 1);
            };
            if depth > chain.len() {
                bail!(
                    "line {}: depth {depth} under depth {}",
                    number + 1,
                    chain.len()
                );
            }
            chain.truncate(depth);
            match chain.last() {
                Some(parent) => {
                    graph
                        .deps
                        .entry(parent.clone())
                        .or_default()
                        .insert(name.to_owned());
                }
                None => graph.roots.push(name.to_owned()),
            }
            graph.deps.entry(name.to_owned()).or_default();
            chain.push(name.to_owned());
        }
        Ok(graph)
    }

    fn direct(&self, package: &str) -> impl Iterator<Item = &String> {
        self.deps.get(package).into_iter().flatten()
    }
}

/// Every package in `forbidden` that `from` reaches, each with the chain that reaches it
/// ("a -> b -> tokio"), shortest chain first.
fn forbidden_paths(graph: &Graph, from: &str, forbidden: &[&str]) -> Vec<String> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = VecDeque::from([from]);
    let mut found = Vec::new();
    while let Some(package) = queue.pop_front() {
        if forbidden.contains(&package) {
            let mut chain = vec![package];
            while let Some(up) = parent.get(chain[chain.len() - 1]) {
                chain.push(*up);
            }
            chain.reverse();
            found.push(chain.join(" -> "));
        }
        for dep in graph.direct(package) {
            if dep != from && !parent.contains_key(dep.as_str()) {
                parent.insert(dep.as_str(), package);
                queue.push_back(dep.as_str());
            }
        }
    }
    found
}

/// Dependencies between workspace members (the graph's roots) that `rules` does not allow,
/// and members that `rules` does not know.
fn internal_violations(graph: &Graph, rules: &[(&str, Allowed)]) -> Vec<String> {
    let members: BTreeSet<&str> = graph.roots.iter().map(String::as_str).collect();
    let mut problems = Vec::new();
    for member in &members {
        let Some((_, allowed)) = rules.iter().find(|(name, _)| name == member) else {
            problems.push(format!(
                "`{member}` has no entry in xtask's tidy table INTERNAL_RULES: add what it may \
                 depend on (design.md section 2)"
            ));
            continue;
        };
        let Allowed::Only(allowed) = allowed else {
            continue;
        };
        for dep in graph.direct(member) {
            if members.contains(dep.as_str()) && !allowed.contains(&dep.as_str()) {
                problems.push(format!(
                    "`{member}` must not depend on `{dep}` (it may depend on: {})",
                    if allowed.is_empty() {
                        "no workspace crate".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                ));
            }
        }
    }
    problems
}

/// The direct dependencies of `package` named in `forbidden` (none when it does not exist).
fn direct_violations(graph: &Graph, package: &str, forbidden: &[&str]) -> Vec<String> {
    graph
        .direct(package)
        .filter(|dep| forbidden.contains(&dep.as_str()))
        .map(|dep| format!("`{package}` must not depend on `{dep}`"))
        .collect()
}
/// `cargo tree` with `args`, from the workspace root, read as a graph.
fn cargo_tree(args: &[&str]) -> Result<Graph> {
    let mut tree = cmd::cargo(&["tree", "--prefix", "depth", "--format", "{p}"]);
    tree.args(args);
    Graph::parse(&cmd::output("read the dependency graph", &mut tree)?)
}
/// Checks that `package`, built alone with every feature on every target platform (normal
/// dependencies only), reaches none of `forbidden`, even transitively; `why` names the rule.
fn assert_reaches_none(package: &str, forbidden: &[&str], why: &str) -> Result<()> {
    let args = [
        "-p",
        package,
        "--all-features",
        "-e",
        "normal",
        "--target",
        "all",
    ];
    let graph = cargo_tree(&args)?;
    assert_eq!(graph.roots, [package], "cargo tree did not list {package}");
    let found = forbidden_paths(&graph, package, forbidden);
    assert!(found.is_empty(), "{why}:{}", listing(&found));
    Ok(())
}

#[test]
fn the_domain_depends_on_no_io_or_serialization_crate() -> Result<()> {
    // Every feature (mocks, testing): the test support must not bring IO in either.
    assert_reaches_none(
        DOMAIN,
        &IO_CRATES,
        "the domain must do no IO (design.md section 2)",
    )
}

#[test]
fn workspace_crates_depend_only_on_the_crates_the_design_allows() -> Result<()> {
    let args = [
        "--workspace",
        "--all-features",
        "-e",
        "normal",
        "--depth",
        "1",
        "--target",
        "all",
    ];
    let graph = cargo_tree(&args)?;
    assert!(
        graph.roots.iter().any(|root| root == DOMAIN),
        "no domain crate in {:?}",
        graph.roots
    );
    let problems = internal_violations(&graph, INTERNAL_RULES);
    assert!(
        problems.is_empty(),
        "forbidden dependencies between crates:{}",
        listing(&problems)
    );
    let problems = direct_violations(&graph, HTTP, &NOT_FOR_HTTP);
    assert!(
        problems.is_empty(),
        "the HTTP crate is inbound only:{}",
        listing(&problems)
    );
    Ok(())
}

#[test]
fn the_http_crate_reaches_neither_sqlx_nor_reqwest() -> Result<()> {
    // Built alone, as `cargo build -p orderbridge-http` resolves its features.
    let args = ["-p", HTTP, "-e", "normal", "--target", "all"];
    let graph = cargo_tree(&args)?;
    if graph.roots.is_empty() {
        return Ok(()); // The crate does not exist yet.
    }
    let found = forbidden_paths(&graph, HTTP, &NOT_FOR_HTTP);
    assert!(
        found.is_empty(),
        "the HTTP crate is inbound only (issue 4):{}",
        listing(&found)
    );
    Ok(())
}

#[test]
fn the_console_reaches_neither_sqlx_nor_reqwest() -> Result<()> {
    // Built alone, as `cargo build -p orderbridge-console` resolves its features: like the
    // HTTP crate it sits beside, it calls the domain's services, never a store or a client.
    let args = ["-p", CONSOLE, "-e", "normal", "--target", "all"];
    let graph = cargo_tree(&args)?;
    assert!(!graph.roots.is_empty(), "no {CONSOLE} in the workspace");
    let found = forbidden_paths(&graph, CONSOLE, &NOT_FOR_HTTP);
    assert!(
        found.is_empty(),
        "the console is pages over the domain's services (issue 16):{}",
        listing(&found)
    );
    Ok(())
}

#[test]
fn the_row_mapping_reaches_no_database_driver() -> Result<()> {
    // With every feature, as each store builds it.
    assert_reaches_none(
        ROWS,
        &NOT_FOR_ROWS,
        "the row mapping holds no SQL and no driver (ARCHITECTURE.md, crates/rows)",
    )
}

mod checks {
    use super::internal_violations;
    use super::{Allowed, Graph, NOT_FOR_ROWS, ROWS, direct_violations, forbidden_paths};

    const WORKSPACE: &str = "\
0orderbridge-domain v0.1.0 (/w/crates/domain)
1chrono v0.4.45
2num-traits v0.2.19
1rust_decimal v1.43.0
2serde_json v1.0.154
3itoa v1.0.19

0orderbridge-http v0.1.0 (/w/crates/http)
1orderbridge-domain v0.1.0 (/w/crates/domain) (*)
1orderbridge-postgres v0.1.0 (/w/crates/postgres)
2sqlx v0.9.0
1reqwest v0.13.0

0orderbridge-postgres v0.1.0 (/w/crates/postgres)
1orderbridge-domain v0.1.0 (/w/crates/domain) (*)
1sqlx v0.9.0
";

    const RULES: &[(&str, Allowed)] = &[
        ("orderbridge-domain", Allowed::Only(&[])),
        ("orderbridge-http", Allowed::Only(&["orderbridge-domain"])),
        (
            "orderbridge-postgres",
            Allowed::Only(&["orderbridge-domain"]),
        ),
    ];

    fn graph() -> Graph {
        Graph::parse(WORKSPACE).expect("the sample listing is well formed")
    }

    #[test]
    fn a_tree_listing_is_read_into_roots_and_direct_dependencies() {
        let graph = graph();
        assert_eq!(
            graph.roots,
            [
                "orderbridge-domain",
                "orderbridge-http",
                "orderbridge-postgres"
            ]
        );
        let rust_decimal: Vec<&String> = graph.direct("rust_decimal").collect();
        assert_eq!(rust_decimal, ["serde_json"]);
        let http: Vec<&String> = graph.direct("orderbridge-http").collect();
        assert_eq!(
            http,
            ["orderbridge-domain", "orderbridge-postgres", "reqwest"]
        );
    }

    #[test]
    fn a_listing_that_skips_a_level_is_refused() {
        assert!(Graph::parse("0a v1\n2b v1\n").is_err());
        assert!(Graph::parse("x v1\n").is_err());
    }

    #[test]
    fn a_transitive_io_dependency_of_the_domain_is_reported_with_its_chain() {
        let found = forbidden_paths(&graph(), "orderbridge-domain", &["tokio", "serde_json"]);
        assert_eq!(found, ["orderbridge-domain -> rust_decimal -> serde_json"]);
    }

    #[test]
    fn a_graph_without_forbidden_crates_passes() {
        assert!(forbidden_paths(&graph(), "orderbridge-domain", &["tokio", "sqlx"]).is_empty());
        assert!(forbidden_paths(&graph(), "no-such-crate", &["serde_json"]).is_empty());
    }

    #[test]
    fn an_adapter_depending_on_another_adapter_is_reported() {
        assert_eq!(
            internal_violations(&graph(), RULES),
            [
                "`orderbridge-http` must not depend on `orderbridge-postgres` (it may depend on: \
              orderbridge-domain)"
            ]
        );
    }

    #[test]
    fn a_crate_missing_from_the_rules_is_reported() {
        let problems = internal_violations(&graph(), &RULES[..2]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[1].starts_with("`orderbridge-postgres` has no entry"),
            "{problems:?}"
        );
    }

    #[test]
    fn crates_allowed_anything_are_not_checked() {
        let rules = [
            ("orderbridge-domain", Allowed::Only(&[][..])),
            ("orderbridge-http", Allowed::Anything),
            (
                "orderbridge-postgres",
                Allowed::Only(&["orderbridge-domain"][..]),
            ),
        ];
        assert!(internal_violations(&graph(), &rules).is_empty());
    }

    #[test]
    fn only_direct_storage_and_client_dependencies_of_http_are_reported() {
        let found = direct_violations(&graph(), "orderbridge-http", &["sqlx", "reqwest"]);
        assert_eq!(found, ["`orderbridge-http` must not depend on `reqwest`"]);
        assert!(direct_violations(&graph(), "orderbridge-app", &["sqlx"]).is_empty());
    }

    #[test]
    fn a_row_mapping_that_reaches_a_driver_through_another_crate_is_reported() {
        let clean = "0orderbridge-rows v0.1.0\n1orderbridge-domain v0.1.0\n1serde_json v1.0.0\n";
        let graph = Graph::parse(clean).expect("well formed");
        assert!(forbidden_paths(&graph, ROWS, &NOT_FOR_ROWS).is_empty());
        let bad = format!("{clean}1helper v0.1.0\n2sqlx-core v0.9.0\n");
        let graph = Graph::parse(&bad).expect("well formed");
        assert_eq!(
            forbidden_paths(&graph, ROWS, &NOT_FOR_ROWS),
            ["orderbridge-rows -> helper -> sqlx-core"]
        );
    }
}
