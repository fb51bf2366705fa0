//! Property tests: whatever bytes arrive, the webhook parser answers an order or a rejection,
//! never panics, and never puts the seed's customer data into a rejection message.
//! `cargo xtask proptest` runs them with 10,000 cases.

use proptest::prelude::*;
use serde_json::Value;

use crate::webhook::tests::{SEED, received, settings};
use crate::webhook::{INVALID_ORDER, INVALID_SKU_OR_QUANTITY, MALFORMED_JSON, parse_order};

/// Customer data in the seed payload that no message may show.
const PERSONAL: [&str; 6] = [
    "Jane",
    "Doe",
    "Main Street",
    "customer@",
    "456-7890",
    "Anytown",
];

/// Parses `body` and checks what any answer must satisfy.
fn check(body: &[u8]) -> Result<(), TestCaseError> {
    match parse_order(body, &settings(), received()) {
        Ok(order) => {
            prop_assert!(!order.lines.is_empty());
            prop_assert_eq!(order.raw_payload.as_deref().map(str::as_bytes), Some(body));
        }
        Err(rejection) => {
            prop_assert!(
                [MALFORMED_JSON, INVALID_ORDER, INVALID_SKU_OR_QUANTITY].contains(&rejection.error),
                "unknown title {}",
                rejection.error
            );
            prop_assert!(!rejection.message.is_empty());
            for personal in PERSONAL {
                prop_assert!(
                    !rejection.message.contains(personal),
                    "{:?} shows {}",
                    rejection.message,
                    personal
                );
            }
        }
    }
    Ok(())
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Truncate(usize),
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let position = 0..SEED.len() + 1;
    prop_oneof![
        position.clone().prop_map(Edit::Truncate),
        (position.clone(), any::<u8>()).prop_map(|(at, byte)| Edit::Replace(at, byte)),
        (
            position.clone(),
            prop::sample::select(b"{}[]\",:0-.e \\nt".to_vec())
        )
            .prop_map(|(at, byte)| Edit::Insert(at, byte)),
        (position, 1..40_usize).prop_map(|(at, length)| Edit::Delete(at, length)),
    ]
}

fn apply(body: &mut Vec<u8>, edit: &Edit) {
    let end = body.len();
    match *edit {
        Edit::Truncate(at) => body.truncate(at.min(end)),
        Edit::Replace(at, byte) => {
            if let Some(slot) = body.get_mut(at) {
                *slot = byte;
            }
        }
        Edit::Insert(at, byte) => body.insert(at.min(end), byte),
        Edit::Delete(at, length) => {
            let from = at.min(end);
            body.drain(from..from.saturating_add(length).min(end));
        }
    }
}

/// Any JSON value, small.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        "-?[0-9]{1,30}(\\.[0-9]{1,30})?([eE][-+]?[0-9]{1,3})?".prop_filter_map("a number", |t| {
            t.parse::<serde_json::Number>().ok().map(Value::Number)
        }),
        ".{0,20}".prop_map(Value::String),
        "-?[0-9]{0,5}[.,]?[0-9]{0,5}".prop_map(Value::String),
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}:?[0-9]{2})?"
            .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer of the seed payload, objects and arrays included.
fn seed_pointers() -> Vec<String> {
    fn walk(value: &Value, at: &str, out: &mut Vec<String>) {
        out.push(at.to_owned());
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    walk(child, &format!("{at}/{key}"), out);
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    walk(child, &format!("{at}/{index}"), out);
                }
            }
            _ => {}
        }
    }
    let seed: Value = serde_json::from_str(SEED).unwrap_or(Value::Null);
    let mut out = Vec::new();
    walk(&seed, "", &mut out);
    out
}

proptest! {
    #[test]
    fn random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&body)?;
    }

    #[test]
    fn random_text_never_panics(body in "\\PC{0,300}") {
        check(body.as_bytes())?;
    }

    #[test]
    fn byte_edits_of_the_seed_never_panic(edits in prop::collection::vec(edit(), 1..6)) {
        let mut body = SEED.as_bytes().to_vec();
        for edit in &edits {
            apply(&mut body, edit);
        }
        check(&body)?;
    }

    #[test]
    fn any_value_anywhere_in_the_seed_never_panics(
        changes in prop::collection::vec(
            (prop::sample::select(seed_pointers()), json_value()),
            1..4,
        ),
    ) {
        let mut seed: Value = serde_json::from_str(SEED).unwrap_or(Value::Null);
        for (pointer, value) in changes {
            if let Some(slot) = seed.pointer_mut(&pointer) {
                *slot = value;
            }
        }
        check(seed.to_string().as_bytes())?;
    }
}
