//! A small Rust lexer for the tidy rules: it blanks out comments and the insides of string and
//! char literals, so that braces, keywords and `fn` lines can be found in what is left, and it
//! keeps the string literals aside for the rules that read them. No `syn`: xtask keeps to few
//! small dependencies, and the rules need no more than this.

/// A source file with its comments and literal contents replaced by spaces (newlines kept, so
/// byte offsets and line numbers stay those of the original), and its string literals.
#[derive(Debug)]
pub struct Scanned {
    pub code: String,
    pub strings: Vec<Literal>,
}

/// A string literal: the line it starts on and its text between the quotes, escapes as written.
#[derive(Debug, PartialEq, Eq)]
pub struct Literal {
    pub line: usize,
    pub text: String,
}

impl Scanned {
    /// The 1-based line of the byte at `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        line_of(&self.code, offset)
    }
}

/// The 1-based line of the byte at `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

/// Whether `byte` can be part of an identifier.
pub fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

/// Reads `text` into its blanked code and its string literals.
pub fn scan(text: &str) -> Scanned {
    let bytes = text.as_bytes();
    let mut lexer = Lexer {
        bytes,
        out: bytes.to_vec(),
        strings: Vec::new(),
    };
    let mut at = 0;
    while at < bytes.len() {
        at = lexer.step(at);
    }
    Scanned {
        code: String::from_utf8_lossy(&lexer.out).into_owned(),
        strings: lexer.strings,
    }
}

struct Lexer<'a> {
    bytes: &'a [u8],
    out: Vec<u8>,
    strings: Vec<Literal>,
}

impl Lexer<'_> {
    /// Reads whatever starts at `at` and returns where the next thing starts.
    fn step(&mut self, at: usize) -> usize {
        let bytes = self.bytes;
        let next = bytes.get(at + 1).copied();
        match bytes[at] {
            b'/' if next == Some(b'/') => {
                let end = find_from(bytes, at, b'\n').unwrap_or(bytes.len());
                self.blank(at, end);
                end
            }
            b'/' if next == Some(b'*') => {
                let end = block_comment_end(bytes, at);
                self.blank(at, end);
                end
            }
            b'"' => self.string(at + 1, false, 0),
            b'\'' => self.char_or_lifetime(at),
            b'r' if self.raw_string_starts(at) => {
                let hashes = bytes[at + 1..].iter().take_while(|b| **b == b'#').count();
                self.string(at + 2 + hashes, true, hashes)
            }
            _ => at + 1,
        }
    }

    /// A raw string (`r"`, `r#"`, `br"`, `cr#"`) starts at the `r` at `at`.
    fn raw_string_starts(&self, at: usize) -> bool {
        let bytes = self.bytes;
        let prefix_ok = match at.checked_sub(1).map(|before| bytes[before]) {
            None => true,
            Some(b'b' | b'c') => at < 2 || !is_ident(bytes[at - 2]),
            Some(before) => !is_ident(before),
        };
        let hashes = bytes[at + 1..].iter().take_while(|b| **b == b'#').count();
        prefix_ok && bytes.get(at + 1 + hashes) == Some(&b'"')
    }

    /// A string whose text starts at `start`, closed by a quote followed by `hashes` hashes.
    /// Backslash escapes only exist in ordinary strings, not in `raw` ones.
    fn string(&mut self, start: usize, raw: bool, hashes: usize) -> usize {
        let bytes = self.bytes;
        let mut at = start;
        while at < bytes.len() {
            match bytes[at] {
                b'\\' if !raw => at += 2,
                b'"' if bytes[at + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|b| **b == b'#')
                    .count()
                    == hashes =>
                {
                    break;
                }
                _ => at += 1,
            }
        }
        let end = at.min(bytes.len());
        self.strings.push(Literal {
            line: line_of_bytes(bytes, start),
            text: String::from_utf8_lossy(&bytes[start..end]).into_owned(),
        });
        self.blank(start, end);
        (end + 1 + hashes).min(bytes.len())
    }

    /// A char literal (`'x'`, `'\n'`, `'\u{1F600}'`) or a lifetime or label (`'a`).
    fn char_or_lifetime(&mut self, at: usize) -> usize {
        let bytes = self.bytes;
        let end = match bytes.get(at + 1) {
            Some(b'\\') => find_from(bytes, at + 3, b'\''),
            Some(first) => {
                let width = utf8_width(*first);
                (bytes.get(at + 1 + width) == Some(&b'\'')).then_some(at + 1 + width)
            }
            None => None,
        };
        match end {
            Some(end) => {
                self.blank(at + 1, end);
                end + 1
            }
            None => at + 1,
        }
    }

    /// Replaces `start..end` by spaces, keeping newlines.
    fn blank(&mut self, start: usize, end: usize) {
        for byte in &mut self.out[start..end.min(self.bytes.len())] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
}

fn find_from(bytes: &[u8], from: usize, wanted: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|byte| *byte == wanted)
        .map(|offset| from + offset)
}

/// The end (exclusive) of the block comment opening at `at`; block comments nest.
fn block_comment_end(bytes: &[u8], at: usize) -> usize {
    let mut depth = 0usize;
    let mut index = at;
    while index + 1 < bytes.len() {
        match (bytes[index], bytes[index + 1]) {
            (b'/', b'*') => {
                depth += 1;
                index += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                index += 2;
                if depth == 0 {
                    return index;
                }
            }
            _ => index += 1,
        }
    }
    bytes.len()
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn line_of_bytes(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

mod checks {
    use super::{Literal, scan};

    #[test]
    fn comments_and_literal_contents_are_blanked_and_lines_kept() {
        let text = "// { a comment\nfn f() { let s = \"}\"; /* { /* } */ { */ }\n";
        let scanned = scan(text);
        assert_eq!(scanned.code.len(), text.len());
        assert_eq!(scanned.code.matches('{').count(), 1, "{}", scanned.code);
        assert_eq!(scanned.code.matches('}').count(), 1, "{}", scanned.code);
        assert_eq!(scanned.code.lines().count(), 2);
        assert_eq!(
            scanned.strings,
            [Literal {
                line: 2,
                text: "}".to_owned()
            }]
        );
    }

    #[test]
    fn escapes_raw_strings_chars_and_lifetimes_are_told_apart() {
        let text = "fn f<'a>(x: &'a str) -> char {\n    let _ = \"a \\\" {\";\n    \
                    let _ = r#\"b \" {\"#;\n    let _ = br\"c\";\n    let _ = '{';\n    \
                    let _ = '\\'';\n    let _ = 'é';\n    '}'\n}\n";
        let scanned = scan(text);
        let texts: Vec<&str> = scanned.strings.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["a \\\" {", "b \" {", "c"]);
        assert_eq!(scanned.code.matches('{').count(), 1, "{}", scanned.code);
        assert_eq!(scanned.code.matches('}').count(), 1, "{}", scanned.code);
        assert!(
            scanned.code.contains("<'a>(x: &'a str)"),
            "{}",
            scanned.code
        );
    }
}
