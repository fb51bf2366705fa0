//! Port rules: ports stay small, and test doubles implement only the port they stand in for.
//! A port with many methods makes every decorator and fake forward them all, and a double that
//! implements several storage ports is a second store to keep honest (style.md, "What the
//! examples above warn against"); the storage ports were split by capability for that.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use super::items::{Items, test_files};
use super::{listing, rust_files};

/// Where the domain's ports live (searched recursively).
const PORTS: &str = "crates/domain/src/ports/";

/// Methods a port trait may declare.
const METHOD_LIMIT: usize = 8;

/// The storage ports, one per capability; `Store` is all of them for the real stores and the
/// in-memory reference store.
const STORAGE_PORTS: [&str; 6] = [
    "OrderStore",
    "DeliveryQueue",
    "DeliveryLog",
    "PollState",
    "Retention",
    "Health",
];

/// The traits in `text` that declare more than [`METHOD_LIMIT`] methods, with their counts.
fn big_traits(text: &str) -> Vec<String> {
    Items::read(text)
        .traits()
        .into_iter()
        .filter(|port| port.methods > METHOD_LIMIT)
        .map(|port| {
            format!(
                "trait {} (line {}): {} methods (limit {METHOD_LIMIT})",
                port.name, port.line, port.methods
            )
        })
        .collect()
}

/// The types in test code that implement more than one storage port, per file: in `files`
/// (path and text), test code is a whole test file, or `#[cfg(test)]` and `#[test]` code.
fn multi_port_doubles(files: &[(String, String)]) -> Vec<String> {
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
    for (path, items) in &read {
        let whole_file = tests.contains(*path);
        let mut ports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for implementation in items.trait_impls() {
            if (whole_file || implementation.test)
                && STORAGE_PORTS.contains(&implementation.trait_name.as_str())
            {
                ports
                    .entry(implementation.type_name)
                    .or_default()
                    .insert(implementation.trait_name);
            }
        }
        for (type_name, ports) in ports.into_iter().filter(|(_, ports)| ports.len() > 1) {
            let ports: Vec<String> = ports.into_iter().collect();
            found.push(format!(
                "{path}: {type_name} implements {}: one double per port",
                ports.join(", ")
            ));
        }
    }
    found
}

#[test]
fn no_port_declares_more_than_eight_methods() -> Result<()> {
    let files = rust_files()?;
    let ports: Vec<&(String, String)> = files
        .iter()
        .filter(|(path, _)| path.starts_with(PORTS))
        .collect();
    assert!(
        ports
            .iter()
            .any(|(_, text)| text.contains("trait OrderStore")),
        "no OrderStore port under {PORTS}"
    );
    let found: Vec<String> = ports
        .iter()
        .flat_map(|(path, text)| {
            big_traits(text)
                .into_iter()
                .map(move |hit| format!("{path}: {hit}"))
        })
        .collect();
    assert!(
        found.is_empty(),
        "split these ports by capability:{}",
        listing(&found)
    );
    Ok(())
}

#[test]
fn no_test_double_implements_more_than_one_storage_port() -> Result<()> {
    let found = multi_port_doubles(&rust_files()?);
    assert!(
        found.is_empty(),
        "a test double stands in for one port; use the in-memory store for more:{}",
        listing(&found)
    );
    Ok(())
}

mod checks {
    use super::{big_traits, multi_port_doubles};

    fn port(methods: usize) -> String {
        let mut text = String::from("//! A port.\n#[async_trait]\npub trait Big: Send {\n");
        for index in 0..methods {
            text.push_str(&format!(
                "    /// Method {index}.\n    async fn m{index}(&self);\n"
            ));
        }
        text.push_str(
            "    fn with_default(&self) -> u8 {\n        fn inner() {}\n        0\n    }\n}\n",
        );
        text
    }

    #[test]
    fn a_port_with_more_than_eight_methods_is_reported() {
        assert!(big_traits(&port(7)).is_empty());
        assert_eq!(
            big_traits(&port(8)),
            ["trait Big (line 3): 9 methods (limit 8)"]
        );
    }

    const DOUBLES: &str = "\
//! Doubles.
struct Slow;
impl OrderStore for Slow {}
impl Health for Down {}
impl<S: Send> ports::store::DeliveryLog for Slow {}
impl std::fmt::Debug for Down {}
";

    #[test]
    fn a_double_implementing_two_storage_ports_is_reported() {
        let file = |path: &str, text: &str| (path.to_owned(), text.to_owned());
        let found = multi_port_doubles(&[
            file("a/tests/it/slow.rs", DOUBLES),
            file("a/src/store.rs", DOUBLES),
            file(
                "a/src/workers_tests.rs",
                "//! One.\nimpl Health for Down {}\n",
            ),
        ]);
        assert_eq!(
            found,
            ["a/tests/it/slow.rs: Slow implements DeliveryLog, OrderStore: one double per port"]
        );
        let inline = format!("//! A store.\n#[cfg(test)]\nmod tests {{\n{DOUBLES}}}\n");
        assert_eq!(
            multi_port_doubles(&[file("a/src/store.rs", &inline)]).len(),
            1
        );
    }
}
