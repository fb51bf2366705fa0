//! Webhook tests of the order's other fields: id, times, email, shipping address, currency,
//! and that no message shows customer data.

use orderbridge_domain::values::Currency;
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

#[test]
fn a_time_without_an_offset_is_refused_naming_the_field() {
    for field in ["created_at", "deliver_by", "cancelled_at"] {
        let body = seed_setting(&format!("/{field}"), json!("2023-12-20T10:15:30"));
        assert_refused(&body, INVALID_ORDER, field);
        let date_only = seed_setting(&format!("/{field}"), json!("2023-12-20"));
        assert_refused(&date_only, INVALID_ORDER, field);
        let garbage = seed_setting(&format!("/{field}"), json!("yesterday"));
        assert_refused(&garbage, INVALID_ORDER, field);
    }
}

#[test]
fn a_time_of_the_wrong_json_type_is_refused_naming_the_field() {
    let rejection = rejected(&seed_setting("/created_at", json!(1_703_067_330)));
    assert_eq!(rejection.error, INVALID_ORDER);
    assert_eq!(
        rejection.message,
        "created_at must be a string, found a number"
    );
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

#[test]
fn a_bad_email_is_refused_without_showing_it() {
    let rejection = rejected(&seed_setting("/email", json!("jane.doe.at.example")));
    assert_eq!(rejection.error, INVALID_ORDER);
    assert!(rejection.message.starts_with("email "), "{rejection:?}");
    assert!(!rejection.message.contains("jane"), "{rejection:?}");
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

#[test]
fn a_country_name_is_kept_as_a_name() {
    let body = seed_with(|value| {
        let address = &mut value["shipping_address"];
        if let Some(map) = address.as_object_mut() {
            map.remove("country_code");
        }
        address["country"] = json!("United States");
    });
    let address = parsed(&body).shipping_address.unwrap_or_default();
    assert_eq!(address.country_code, None);
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

#[test]
fn an_invalid_country_code_is_refused_naming_it() {
    for bad in ["USA", "1", "U S"] {
        let body = seed_setting("/shipping_address/country_code", json!(bad));
        assert_refused(&body, INVALID_ORDER, "shipping_address.country_code");
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

#[test]
fn a_shipping_address_of_the_wrong_type_is_refused_without_showing_it() {
    let body = seed_setting("/shipping_address", json!("Jane Doe, 123 Main Street"));
    let rejection = rejected(&body);
    assert_eq!(rejection.error, INVALID_ORDER);
    assert_eq!(
        rejection.message,
        "shipping_address must be an object, found a string"
    );
    let nested = seed_setting("/shipping_address/last_name", json!({"name": "Doe"}));
    let rejection = rejected(&nested);
    assert_eq!(
        rejection.message,
        "shipping_address.last_name must be a string, found an object"
    );
}

#[test]
fn no_rejection_message_shows_customer_data() {
    let bodies = [
        seed_setting("/email", json!("Jane Doe <jane@example>")),
        seed_setting("/shipping_address", json!("Jane Doe, 123 Main Street")),
        seed_setting("/shipping_address/phone", json!(["(123) 456-7890"])),
        seed_setting("/shipping_address/country_code", json!("Doeland")),
        seed_setting("/shipping_service", json!({"Jane": "Doe"})),
        seed_setting("/created_at", json!("Jane Doe's birthday")),
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
