//! Webhook tests of the order's other fields: id, times, email, shipping address, currency,
//! and that no message shows customer data. What is tolerated rather than refused is listed
//! in `tolerance.rs`.

use orderbridge_domain::order::OrderFlag;
use orderbridge_domain::values::{Address, Currency};
use serde_json::{Value, json};

use super::{
    SEED, assert_refused, at, parsed, received, rejected, seed_setting, seed_with, seed_without,
    settings,
};
use crate::webhook::{INVALID_ORDER, WebhookSettings, parse_order};

#[test]
fn an_offset_is_converted_to_utc_not_dropped() {
    let body = seed_with(|value| {
        value["created_at"] = json!("2023-12-20T12:15:30+02:00");
        value["deliver_by"] = json!("2023-12-26T19:00:00-05:00");
    });
    let order = parsed(&body);
    assert_eq!(order.placed_at, at("2023-12-20T10:15:30Z"));
    assert_eq!(order.deliver_by, Some(at("2023-12-27T00:00:00Z")));
}

#[test]
fn an_offset_without_a_colon_and_fractional_seconds_are_read() {
    let order = parsed(&seed_setting(
        "/created_at",
        json!("2023-12-20T12:15:30.250+0200"),
    ));
    assert_eq!(order.placed_at, at("2023-12-20T10:15:30.250Z"));
}

// These times were refused before design section 11's tolerance; now they never are.
#[test]
fn a_time_without_an_offset_is_utc_and_a_date_alone_midnight_utc() {
    let body = seed_with(|value| {
        value["created_at"] = json!("2023-12-20T10:15:30");
        value["deliver_by"] = json!("2023-12-27");
        value["cancelled_at"] = json!("2023-12-21");
    });
    let order = parsed(&body);
    assert_eq!(order.placed_at, at("2023-12-20T10:15:30Z"));
    assert_eq!(order.deliver_by, Some(at("2023-12-27T00:00:00Z")));
    assert!(order.flags.is_empty(), "{:?}", order.flags);
}

#[test]
fn an_unreadable_time_is_flagged_never_refused() {
    for bad in [json!("yesterday"), json!(1_703_067_330), json!({"at": 1})] {
        let body = seed_with(|value| {
            value["created_at"] = bad.clone();
            value["deliver_by"] = bad.clone();
            value["cancelled_at"] = bad.clone();
        });
        let order = parsed(&body);
        assert_eq!(order.placed_at, received(), "{bad}");
        assert_eq!(order.deliver_by, None, "{bad}");
        assert_eq!(
            order.flags,
            [
                OrderFlag::PlacedAtUnreadable,
                OrderFlag::DeliverByUnreadable,
                OrderFlag::CancelledAtUnreadable
            ],
            "{bad}"
        );
    }
}

#[test]
fn a_missing_created_at_means_placed_when_received() {
    assert_eq!(
        parsed(&seed_without("", "created_at")).placed_at,
        received()
    );
    assert_eq!(
        parsed(&seed_setting("/created_at", Value::Null)).placed_at,
        received()
    );
}

#[test]
fn a_set_cancelled_at_is_checked_but_not_kept() {
    let order = parsed(&seed_setting(
        "/cancelled_at",
        json!("2023-12-21T00:00:00Z"),
    ));
    assert_eq!(order.lines.len(), 2);
}

#[test]
fn the_id_is_required() {
    assert_refused(&seed_without("", "id"), INVALID_ORDER, "id");
    for bad in [json!(null), json!(""), json!("  "), json!(true), json!([1])] {
        assert_refused(&seed_setting("/id", bad), INVALID_ORDER, "id");
    }
}

#[test]
fn an_integer_id_is_kept_as_its_digits() {
    let order = parsed(&seed_setting("/id", json!(987_654_321)));
    assert_eq!(order.external_id.as_str(), "987654321");
    let huge = SEED.replace("\"987654321\"", "123456789012345678901234567890");
    assert_eq!(
        parsed(&huge).external_id.as_str(),
        "123456789012345678901234567890"
    );
}

#[test]
fn a_negative_or_fractional_id_is_refused() {
    for bad in [json!(-5), json!(1.5)] {
        assert_refused(&seed_setting("/id", bad), INVALID_ORDER, "id");
    }
}

// Refused before design section 11's tolerance; now kept as given.
#[test]
fn a_bad_email_is_kept_as_given_and_unreadable() {
    let order = parsed(&seed_setting("/email", json!("jane.doe.at.example")));
    let email = order.email.unwrap_or_else(|| panic!("the email is kept"));
    assert_eq!(email.as_str(), "jane.doe.at.example");
    assert!(!email.is_readable());
    let wrong_type = parsed(&seed_setting("/email", json!(["jane@example.com"])));
    assert_eq!(wrong_type.email, None);
    assert_eq!(wrong_type.flags, [OrderFlag::EmailUnreadable]);
}

#[test]
fn an_absent_null_or_blank_email_is_none() {
    assert_eq!(parsed(&seed_without("", "email")).email, None);
    assert_eq!(parsed(&seed_setting("/email", Value::Null)).email, None);
    assert_eq!(parsed(&seed_setting("/email", json!(" "))).email, None);
}

#[test]
fn the_property_list_spelling_of_country_and_province_is_read() {
    let body = seed_with(|value| {
        let address = &mut value["shipping_address"];
        if let Some(map) = address.as_object_mut() {
            map.remove("country_code");
            map.remove("province_code");
        }
        address["country"] = json!("us");
        address["province"] = json!("California");
    });
    let address = parsed(&body).shipping_address.unwrap_or_default();
    assert_eq!(
        address.country_code.map(|c| c.to_string()),
        Some("US".into())
    );
    assert_eq!(address.country_name, None);
    assert_eq!(address.province.as_deref(), Some("California"));
}

// Kept as a name without a code before design section 11's tolerance; now also mapped.
#[test]
fn a_country_name_is_kept_and_mapped_to_its_code() {
    let body = seed_with(|value| {
        let address = &mut value["shipping_address"];
        if let Some(map) = address.as_object_mut() {
            map.remove("country_code");
        }
        address["country"] = json!("United States");
    });
    let address = parsed(&body).shipping_address.unwrap_or_default();
    assert_eq!(
        address.country_code.map(|c| c.to_string()),
        Some("US".into())
    );
    assert_eq!(address.country_name.as_deref(), Some("United States"));
}

#[test]
fn the_code_spelling_wins_when_both_are_sent() {
    let body = seed_with(|value| {
        value["shipping_address"]["country"] = json!("United States");
        value["shipping_address"]["province"] = json!("California");
    });
    let address = parsed(&body).shipping_address.unwrap_or_default();
    assert_eq!(
        address.country_code.map(|c| c.to_string()),
        Some("US".into())
    );
    assert_eq!(address.country_name.as_deref(), Some("United States"));
    assert_eq!(address.province.as_deref(), Some("CA"));
}

// Refused before design section 11's tolerance; now mapped, or kept as given and flagged.
#[test]
fn a_country_code_of_another_form_is_mapped_or_kept_as_given() {
    for (given, code) in [("USA", "US"), ("U.S.", "US"), ("Deutschland", "DE")] {
        let body = seed_setting("/shipping_address/country_code", json!(given));
        let order = parsed(&body);
        let address = order.shipping_address.unwrap_or_default();
        assert_eq!(
            address.country_code.map(|c| c.to_string()).as_deref(),
            Some(code),
            "{given}"
        );
        assert!(order.flags.is_empty(), "{given}");
    }
    for unknown in ["1", "Doeland", "QQ"] {
        let body = seed_setting("/shipping_address/country_code", json!(unknown));
        let address = parsed(&body).shipping_address.unwrap_or_default();
        assert_eq!(address.country_code, None, "{unknown}");
        assert_eq!(address.country_name.as_deref(), Some(unknown));
        assert!(address.country_unknown(), "{unknown}");
    }
}

#[test]
fn an_address_with_nulls_and_a_numeric_zip_is_read() {
    let order = parsed(&seed_setting("/shipping_address/zip", json!(12345)));
    let address = order.shipping_address.unwrap_or_default();
    assert_eq!(address.zip.as_deref(), Some("12345"));
    assert_eq!(address.company, None);
    assert_eq!(
        parsed(&seed_without("", "shipping_address")).shipping_address,
        None
    );
    assert_eq!(
        parsed(&seed_setting("/shipping_address", Value::Null)).shipping_address,
        None
    );
}

// Refused before design section 11's tolerance; now left out and flagged.
#[test]
fn a_shipping_address_or_field_of_the_wrong_type_is_left_out_and_flagged() {
    let body = seed_setting("/shipping_address", json!("Jane Doe, 123 Main Street"));
    let order = parsed(&body);
    assert_eq!(order.shipping_address, None);
    assert_eq!(order.flags, [OrderFlag::AddressUnreadable]);
    let nested = seed_setting("/shipping_address/last_name", json!({"name": "Doe"}));
    let order = parsed(&nested);
    let address = order.shipping_address.unwrap_or_default();
    assert_eq!(address.last_name, None);
    assert_eq!(address.first_name.as_deref(), Some("Jane"));
    assert_eq!(order.flags, [OrderFlag::AddressUnreadable]);
}

#[test]
fn no_rejection_message_shows_customer_data() {
    let bodies = [
        seed_setting("/id", json!({"Jane": "Doe"})),
        seed_setting("/line_items/0/price", json!("Jane Doe")),
        seed_setting("/line_items/0/quantity", json!("456-7890")),
        seed_setting("/line_items", json!("Jane Doe, 123 Main Street")),
        seed_setting("/total_price", json!("Jane Doe's birthday")),
    ];
    for body in bodies {
        let rejection = rejected(&body);
        for secret in ["Jane", "Doe", "Main", "456", "jane@"] {
            assert!(
                !rejection.message.contains(secret),
                "{:?} shows {secret}",
                rejection.message
            );
        }
    }
}

#[test]
fn a_duplicate_field_is_refused() {
    let body = SEED.replacen("\"id\": \"987654321\",", "\"id\": \"1\", \"id\": \"2\",", 1);
    let rejection = rejected(&body);
    assert_eq!(rejection.error, INVALID_ORDER);
    assert!(rejection.message.contains("`id`"), "{rejection:?}");
}

#[test]
fn the_currency_comes_from_the_settings() {
    let settings = WebhookSettings {
        currency: Currency::parse("EUR").unwrap_or(Currency::USD),
        ..settings()
    };
    let order = parse_order(SEED.as_bytes(), &settings, received());
    assert_eq!(order.map(|o| o.currency.to_string()), Ok("EUR".to_owned()));
}

/// Design section 12: every free-text field loses its control characters (NUL first: no store
/// can hold it) and is kept, never refused.
#[test]
fn control_characters_are_cleaned_out_of_every_free_text_field() {
    let dirty = "a\u{0}b\u{1b}c\td\u{7f}";
    let body = seed_with(|value| {
        for field in [
            "first_name",
            "last_name",
            "company",
            "address1",
            "address2",
            "city",
            "province",
            "province_code",
            "zip",
            "phone",
        ] {
            value["shipping_address"][field] = json!(dirty);
        }
        value["shipping_address"]["country_code"] = json!("U\u{0}S");
        value["shipping_service"] = json!(dirty);
        value["email"] = json!("jane\u{0}@example.com");
        value["line_items"][0]["title"] = json!(dirty);
        value["line_items"][0]["id"] = json!(dirty);
    });
    let order = parsed(&body);
    let clean = Some("abc d".to_owned());
    let address = order.shipping_address.clone().unwrap();
    for (name, field) in [
        ("first_name", &address.first_name),
        ("last_name", &address.last_name),
        ("company", &address.company),
        ("address1", &address.address1),
        ("address2", &address.address2),
        ("city", &address.city),
        ("province", &address.province),
        ("zip", &address.zip),
        ("phone", &address.phone),
    ] {
        assert_eq!(field, &clean, "{name}");
    }
    assert_eq!(
        address.country_code.map(|c| c.as_str().to_owned()),
        Some("US".to_owned())
    );
    assert_eq!(order.shipping_service, clean);
    assert_eq!(
        order.email.map(|e| e.as_str().to_owned()),
        Some("jane@example.com".to_owned())
    );
    assert_eq!(order.lines[0].title, clean);
    assert_eq!(order.lines[0].external_line_id, clean);
    assert!(order.flags.is_empty(), "{:?}", order.flags);
    let raw = order.raw_payload.unwrap();
    assert!(
        raw.contains("a\\u0000b"),
        "the raw payload stays exactly as received"
    );
}

#[test]
fn text_left_blank_by_cleaning_is_absent_and_long_text_is_clipped() {
    let body = seed_with(|value| {
        value["shipping_service"] = json!("\u{0}\u{1}");
        value["shipping_address"]["address1"] = json!("x".repeat(5_000));
    });
    let order = parsed(&body);
    assert_eq!(order.shipping_service, None);
    let address1 = order.shipping_address.unwrap().address1.unwrap();
    assert_eq!(address1.chars().count(), Address::FIELD.max());
}

#[test]
fn amounts_with_cents_cannot_be_read_in_a_currency_without_minor_units() {
    let yen = WebhookSettings {
        currency: Currency::parse("JPY").unwrap_or(Currency::USD),
        ..settings()
    };
    let rejection = parse_order(SEED.as_bytes(), &yen, received())
        .err()
        .unwrap_or_else(|| panic!("the seed's cents read as yen"));
    assert_eq!(rejection.error, INVALID_ORDER);
    assert_eq!(
        rejection.message,
        "line_items[0].price has a fraction, which JPY (the account's currency setting) has \
         not: check the ADM account's currency"
    );
    // Whole amounts are yen; a total with a fraction is named too.
    let whole = SEED
        .replace("\"12.34\"", "\"1234\"")
        .replace("\"43.21\"", "\"4321\"")
        .replace("\"2.34\"", "\"234\"")
        .replace("\"3.21\"", "\"321\"")
        .replace("\"0.65\"", "\"65\"")
        .replace("\"3.65\"", "\"365\"");
    let rejection = parse_order(whole.as_bytes(), &yen, received())
        .err()
        .unwrap_or_else(|| panic!("the totals' cents read as yen"));
    assert!(
        rejection
            .message
            .starts_with("subtotal_price has a fraction"),
        "{rejection:?}"
    );
    let all_whole = whole
        .replace("\"79.98\"", "\"7998\"")
        .replace("\"5.00\"", "\"500\"")
        .replace("\"85.97\"", "\"8597\"")
        .replace("\"10.99\"", "\"1099\"");
    let order = parse_order(all_whole.as_bytes(), &yen, received())
        .unwrap_or_else(|r| panic!("whole yen refused: {r}"));
    assert_eq!(order.currency.to_string(), "JPY");
    // With cents, dollars read as before, finer amounts too.
    let fine = SEED.replace("\"12.34\"", "\"12.345\"");
    assert!(parse_order(fine.as_bytes(), &settings(), received()).is_ok());
}
