//! The items the size and port rules look at, found in a file's blanked code (see `lexer`):
//! functions with their extent, test code, module declarations, traits with their methods, and
//! `impl Trait for Type` blocks; and which files are test code as a whole.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use super::lexer::{Scanned, is_ident, scan};

/// A function with a body: its name, the lines of its `fn` keyword and of its closing brace,
/// and whether it is test code (a `#[test]`-like fn, or inside `#[cfg(test)]` code).
#[derive(Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    pub first_line: usize,
    pub last_line: usize,
    pub test: bool,
}

impl Function {
    pub fn lines(&self) -> usize {
        self.last_line - self.first_line + 1
    }
}

/// A trait definition and the number of methods it declares (with or without a default body).
#[derive(Debug, PartialEq, Eq)]
pub struct Trait {
    pub name: String,
    pub line: usize,
    pub methods: usize,
}

/// An `impl Trait for Type` block: trait and type by their last path segment, generics dropped.
#[derive(Debug, PartialEq, Eq)]
pub struct TraitImpl {
    pub trait_name: String,
    pub type_name: String,
    pub line: usize,
    pub test: bool,
}

/// A file read for its items.
#[derive(Debug)]
pub struct Items {
    scanned: Scanned,
    /// Byte ranges of test code: bodies of `#[cfg(test)]` items and of `#[test]`-like fns.
    tests: Vec<Range<usize>>,
}

impl Items {
    pub fn read(text: &str) -> Self {
        let scanned = scan(text);
        let code = scanned.code.as_str();
        let mut tests = Vec::new();
        for keyword in ["fn", "mod", "impl"] {
            for at in words(code, keyword) {
                let attributes = attributes_before(code, at);
                let test = has_cfg_test(attributes) || (keyword == "fn" && has_test(attributes));
                if let (true, Some(body)) = (test, body_after(code, at + keyword.len())) {
                    tests.push(body);
                }
            }
        }
        Items { scanned, tests }
    }

    fn in_test_code(&self, at: usize) -> bool {
        self.tests.iter().any(|range| range.contains(&at))
    }

    /// Every function with a body.
    pub fn functions(&self) -> Vec<Function> {
        let code = self.scanned.code.as_str();
        let mut found = Vec::new();
        for at in words(code, "fn") {
            let Some(name) = ident_after(code, at + 2) else {
                continue; // A function pointer type, `fn(u8) -> u8`.
            };
            let Some(body) = body_after(code, at + 2) else {
                continue; // A declaration without a body.
            };
            let attributes = attributes_before(code, at);
            found.push(Function {
                name: name.to_owned(),
                first_line: self.scanned.line_of(at),
                last_line: self.scanned.line_of(body.end - 1),
                test: self.in_test_code(at) || has_test(attributes) || has_cfg_test(attributes),
            });
        }
        found
    }

    /// Every trait definition, with the `fn` items directly inside its braces.
    pub fn traits(&self) -> Vec<Trait> {
        let code = self.scanned.code.as_str();
        let mut found = Vec::new();
        for at in words(code, "trait") {
            let (Some(name), Some(body)) = (ident_after(code, at + 5), body_after(code, at + 5))
            else {
                continue;
            };
            let mut depth = 0usize;
            let mut methods = 0;
            let inner = &code[body.start + 1..body.end - 1];
            for (index, byte) in inner.bytes().enumerate() {
                match byte {
                    b'{' => depth += 1,
                    b'}' => depth = depth.saturating_sub(1),
                    b'f' if depth == 0
                        && is_word_at(inner, index, "fn")
                        && ident_after(inner, index + 2).is_some() =>
                    {
                        methods += 1;
                    }
                    _ => {}
                }
            }
            found.push(Trait {
                name: name.to_owned(),
                line: self.scanned.line_of(at),
                methods,
            });
        }
        found
    }

    /// Every `impl Trait for Type` block.
    pub fn trait_impls(&self) -> Vec<TraitImpl> {
        let code = self.scanned.code.as_str();
        let mut found = Vec::new();
        for at in words(code, "impl") {
            let Some(header) = impl_header(code, at + 4) else {
                continue;
            };
            let Some(split) = words(header, "for").next() else {
                continue; // An inherent impl.
            };
            let (Some(trait_name), Some(type_name)) = (
                last_segment(&header[..split]),
                last_segment(&header[split + 3..]),
            ) else {
                continue;
            };
            found.push(TraitImpl {
                trait_name,
                type_name,
                line: self.scanned.line_of(at),
                test: self.in_test_code(at),
            });
        }
        found
    }

    /// The names of the `#[cfg(test)] mod name;` declarations (modules in their own file).
    pub fn test_module_files(&self) -> Vec<String> {
        let code = self.scanned.code.as_str();
        words(code, "mod")
            .filter(|at| has_cfg_test(attributes_before(code, *at)))
            .filter_map(|at| {
                let name = ident_after(code, at + 3)?;
                let rest = code[at + 3..].trim_start()[name.len()..].trim_start();
                rest.starts_with(';').then(|| name.to_owned())
            })
            .collect()
    }
}

/// The files among `paths` that are test code as a whole: named `tests.rs` or `*_tests.rs`,
/// under a `tests/` directory, declared by a `#[cfg(test)] mod name;`, or below such a module.
/// `declared` lists, for each file, the modules it declares under `#[cfg(test)]`.
pub fn test_files(paths: &[(String, Vec<String>)]) -> BTreeSet<String> {
    let mut test_dirs: Vec<String> = Vec::new();
    let mut files = BTreeSet::new();
    for (path, declared) in paths {
        let dir = module_dir(path);
        for name in declared {
            files.insert(format!("{dir}{name}.rs"));
            files.insert(format!("{dir}{name}/mod.rs"));
            test_dirs.push(format!("{dir}{name}/"));
        }
    }
    paths
        .iter()
        .map(|(path, _)| path)
        .filter(|path| {
            let file = Path::new(path.as_str());
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            stem == "tests"
                || stem.ends_with("_tests")
                || path.starts_with("tests/")
                || path.contains("/tests/")
                || files.contains(path.as_str())
                || test_dirs.iter().any(|dir| path.starts_with(dir.as_str()))
        })
        .cloned()
        .collect()
}

/// The folder of the modules a file declares: its own folder for `lib.rs`, `main.rs` and
/// `mod.rs`, else the folder named after it. Ends with `/`.
fn module_dir(path: &str) -> String {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    match file {
        "lib.rs" | "main.rs" | "mod.rs" => prefix,
        _ => format!("{prefix}{}/", file.trim_end_matches(".rs")),
    }
}

/// Offsets of `word` in `code` as a whole identifier.
fn words<'a>(code: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    code.match_indices(word)
        .map(|(at, _)| at)
        .filter(move |at| is_word_at(code, *at, word))
}

fn is_word_at(code: &str, at: usize, word: &str) -> bool {
    let bytes = code.as_bytes();
    code[at..].starts_with(word)
        && (at == 0 || !is_ident(bytes[at - 1]))
        && bytes
            .get(at + word.len())
            .is_none_or(|byte| !is_ident(*byte))
}

/// The identifier after `at` (spaces skipped), if one follows.
fn ident_after(code: &str, at: usize) -> Option<&str> {
    let rest = code[at..].trim_start();
    let end = rest
        .bytes()
        .position(|byte| !is_ident(byte))
        .unwrap_or(rest.len());
    (end > 0 && !rest.as_bytes()[0].is_ascii_digit()).then(|| &rest[..end])
}

/// The text between the end of the previous item and `at`: attributes and modifiers.
fn attributes_before(code: &str, at: usize) -> &str {
    let start = code[..at]
        .rfind([';', '{', '}'])
        .map_or(0, |boundary| boundary + 1);
    &code[start..at]
}

/// The paths of the attributes in `prefix` (`#[tokio::test(...)]` gives `tokio::test`), each
/// with the rest of its text, spaces removed.
fn attributes(prefix: &str) -> impl Iterator<Item = (String, String)> + '_ {
    prefix.match_indices("#[").map(|(at, _)| {
        let inner: String = prefix[at + 2..]
            .chars()
            .take_while(|c| *c != ']')
            .filter(|c| !c.is_whitespace())
            .collect();
        let end = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(inner.len());
        (inner[..end].to_owned(), inner[end..].to_owned())
    })
}

/// A `#[test]`, `#[tokio::test]`, `#[sqlx::test(...)]` and the like.
fn has_test(prefix: &str) -> bool {
    attributes(prefix).any(|(path, _)| path.rsplit("::").next() == Some("test"))
}

/// A `#[cfg(test)]` or `#[cfg(all(test, ...))]`.
fn has_cfg_test(prefix: &str) -> bool {
    attributes(prefix).any(|(path, rest)| {
        path == "cfg" && (rest.starts_with("(test)") || rest.starts_with("(all(test"))
    })
}

/// The body (from its `{` to just past its `}`) of the item whose header starts at `at`, or
/// `None` when a `;` ends the item first (a declaration) or the braces do not balance.
fn body_after(code: &str, at: usize) -> Option<Range<usize>> {
    let bytes = code.as_bytes();
    let mut nesting = 0usize;
    let open = (at..bytes.len()).find(|index| match bytes[*index] {
        b'(' | b'[' => {
            nesting += 1;
            false
        }
        b')' | b']' => {
            nesting = nesting.saturating_sub(1);
            false
        }
        b';' | b'{' | b'}' => nesting == 0,
        _ => false,
    })?;
    if bytes[open] != b'{' {
        return None;
    }
    let mut depth = 0usize;
    for (index, byte) in bytes.iter().enumerate().skip(open) {
        match byte {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open..index + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The text of an impl header after `impl`, up to its `{` or `where`, generics after `impl`
/// skipped.
fn impl_header(code: &str, at: usize) -> Option<&str> {
    let mut rest = code[at..].trim_start();
    if rest.starts_with('<') {
        let bytes = rest.as_bytes();
        let mut depth = 0usize;
        let mut index = 0;
        while index < bytes.len() {
            match bytes[index] {
                b'-' if bytes.get(index + 1) == Some(&b'>') => index += 1,
                b'<' => depth += 1,
                b'>' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            index += 1;
        }
        rest = rest.get(index + 1..)?;
    }
    let end = rest.find(['{', ';'])?;
    let header = &rest[..end];
    Some(
        words(header, "where")
            .next()
            .map_or(header, |at| &header[..at]),
    )
}

/// The last path segment of a type or trait, without generics, references or `dyn`.
fn last_segment(path: &str) -> Option<String> {
    let path = path.trim();
    let path = path.split('<').next().unwrap_or(path);
    let name = path.rsplit("::").next()?.trim();
    let name = name.rsplit([' ', '&', '!', '(']).next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

mod checks {
    use super::{Items, TraitImpl, test_files};

    const SAMPLE: &str = "\
//! A sample.
pub trait Port: Send {
    fn one(&self);
    async fn two(&self) -> u8 {
        fn helper() {}
        0
    }
}

#[async_trait]
impl<S: Port> Port for Wrapper<S> where S: Send {
    fn one(&self) {
        let _ = \"}\";
    }
}

fn plain(f: fn(u8) -> u8) -> u8 {
    f(1)
}

#[tokio::test(flavor = \"multi_thread\")]
async fn a_test() {}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod inline {
    impl Port for Fake {}
    fn helper() {}
}
";

    #[test]
    fn functions_are_found_with_their_lines_and_test_code_is_told_apart() {
        let functions = Items::read(SAMPLE).functions();
        let seen: Vec<(&str, usize, bool)> = functions
            .iter()
            .map(|function| (function.name.as_str(), function.lines(), function.test))
            .collect();
        assert_eq!(
            seen,
            [
                ("two", 4, false),
                ("helper", 1, false),
                ("one", 3, false),
                ("plain", 3, false),
                ("a_test", 1, true),
                ("helper", 1, true),
            ]
        );
    }

    #[test]
    fn trait_methods_are_counted_without_nested_functions() {
        let traits = Items::read(SAMPLE).traits();
        assert_eq!(traits.len(), 1);
        assert_eq!((traits[0].name.as_str(), traits[0].methods), ("Port", 2));
    }

    #[test]
    fn trait_impls_name_their_trait_and_type() {
        let impls = Items::read(SAMPLE).trait_impls();
        let port = |type_name: &str, line, test| TraitImpl {
            trait_name: "Port".to_owned(),
            type_name: type_name.to_owned(),
            line,
            test,
        };
        assert_eq!(impls, [port("Wrapper", 11, false), port("Fake", 29, true)]);
    }

    #[test]
    fn test_files_are_found_by_name_folder_and_declaration() {
        let declared = Items::read(SAMPLE).test_module_files();
        assert_eq!(declared, ["tests"]);
        let file = |path: &str, declared: &[&str]| {
            let declared = declared.iter().map(|name| (*name).to_owned()).collect();
            (path.to_owned(), declared)
        };
        let paths = [
            file("a/src/main.rs", &["tidy"]),
            file("a/src/tidy/mod.rs", &[]),
            file("a/src/tidy/deps.rs", &[]),
            file("a/src/order.rs", &["properties"]),
            file("a/src/order/properties.rs", &[]),
            file("a/src/order/rules.rs", &[]),
            file("a/src/dispatch_tests.rs", &[]),
            file("a/src/x/tests.rs", &[]),
            file("a/tests/it/main.rs", &[]),
            file("tests/src/lib.rs", &[]),
        ];
        let found = test_files(&paths);
        let expected = [
            "a/src/dispatch_tests.rs",
            "a/src/order/properties.rs",
            "a/src/tidy/deps.rs",
            "a/src/tidy/mod.rs",
            "a/src/x/tests.rs",
            "a/tests/it/main.rs",
            "tests/src/lib.rs",
        ];
        assert_eq!(found.iter().collect::<Vec<_>>(), expected);
    }
}
