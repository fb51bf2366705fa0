//! Mapping of v1 orders to `NewOrder`: exact money, ids as text, UTC dates, countries, summed
//! totals, tolerated extra fields, byte-exact raw payloads and per-order failures. What only
//! informs and is tolerated rather than refused is listed in `tolerance.rs`.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{NewOrder, OrderFlag, Totals};
use orderbridge_domain::ports::source::SourcedOrder;
use orderbridge_domain::values::ChannelId;
use serde_json::{Value, json};

use super::parse_page;
use crate::fields::dec;

mod tolerance;

const PAGE: &str = include_str!("../../tests/fixtures/new_orders_page.json");

fn channel() -> ChannelId {
    ChannelId::parse("feedamp").unwrap_or_else(|e| panic!("{e}"))
}

/// When the test pages were fetched.
fn fetched() -> DateTime<Utc> {
    utc("2018-05-03T12:00:00Z")
}

fn page(body: &str) -> (Vec<SourcedOrder>, Option<String>) {
    parse_page(body.as_bytes(), &channel(), fetched()).unwrap_or_else(|e| panic!("{e}"))
}

fn fixture() -> Vec<SourcedOrder> {
    page(PAGE).0
}

fn mapped(sourced: &SourcedOrder) -> &NewOrder {
    sourced
        .order
        .as_ref()
        .unwrap_or_else(|e| panic!("not mapped: {e}"))
}

/// One order `{"id": "1", "order_info": info}` on a page, mapped.
fn one(info: &Value) -> SourcedOrder {
    let body = json!({"orders": [{"id": "1", "order_info": info}]}).to_string();
    page(&body)
        .0
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no order"))
}

fn minimal_info() -> Value {
    json!({
        "purchase_date": "2018-05-01T23:52:01.000Z",
        "currency": "USD",
        "order_lines": [{"sku": "S", "quantity": 1, "unit_price": 5}]
    })
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn money_sent_as_json_numbers_keeps_its_exact_text() {
    let orders = fixture();
    let order = mapped(&orders[0]);
    let [a, b] = &order.lines[..] else {
        panic!("two lines expected");
    };
    assert_eq!(a.unit_price.to_string(), "19.99");
    assert_eq!(a.total_tax.to_string(), "0.1");
    assert_eq!(b.unit_price.to_string(), "200");
    assert_eq!(b.total_tax.to_string(), "0.2");
    assert_eq!(b.total_discount.to_string(), "10");
    assert_eq!(
        order.totals.shipping.map(|d| d.to_string()).as_deref(),
        Some("1.95")
    );
}

#[test]
fn totals_are_summed_over_the_lines() {
    let orders = fixture();
    assert_eq!(
        mapped(&orders[0]).totals,
        Totals {
            subtotal: Some(dec("229.98")),
            discounts: Some(dec("10")),
            shipping: Some(dec("1.95")),
            tax: Some(dec("0.46")),
            total: Some(dec("234.39")),
        }
    );
}

#[test]
fn tenths_add_up_exactly_in_the_totals() {
    let mut info = minimal_info();
    info["order_lines"] = json!([
        {"sku": "S", "quantity": 1, "unit_price": 0.1, "sales_tax": 0.1, "shipping_tax": 0.2},
        {"sku": "T", "quantity": 2, "unit_price": 0.2}
    ]);
    let sourced = one(&info);
    let totals = &mapped(&sourced).totals;
    assert_eq!(totals.tax.map(|d| d.to_string()).as_deref(), Some("0.3"));
    assert_eq!(totals.total.map(|d| d.to_string()).as_deref(), Some("0.8"));
}

#[test]
fn long_ids_stay_text_digit_for_digit_even_when_sent_as_numbers() {
    let orders = fixture();
    assert_eq!(
        mapped(&orders[0]).external_id.as_str(),
        "109872189273617283"
    );
    assert_eq!(
        mapped(&orders[1]).external_id.as_str(),
        "109872189273617284"
    );
    let ids: Vec<Option<&str>> = orders
        .iter()
        .map(|o| o.external_id.as_ref().map(|id| id.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            Some("109872189273617283"),
            Some("109872189273617284"),
            Some("109872189273617285")
        ]
    );
}

#[test]
fn dates_are_read_as_utc_and_offsets_converted() {
    let orders = fixture();
    assert_eq!(mapped(&orders[0]).placed_at, utc("2018-05-01T23:52:01Z"));
    assert_eq!(mapped(&orders[1]).placed_at, utc("2018-05-01T23:52:01Z"));
    // The deadline is the latest ship date, not the latest delivery date.
    assert_eq!(
        mapped(&orders[0]).deliver_by,
        Some(utc("2018-05-03T23:59:59Z"))
    );
}

#[test]
fn a_three_letter_country_is_kept_and_the_two_letter_code_filled_in() {
    let orders = fixture();
    let address = mapped(&orders[0])
        .shipping_address
        .clone()
        .unwrap_or_default();
    assert_eq!(address.country_code_alpha3.as_deref(), Some("USA"));
    assert_eq!(
        address.country_code.map(|c| c.to_string()).as_deref(),
        Some("US")
    );
    assert_eq!(address.full_name.as_deref(), Some("Jane Doe"));
    assert_eq!(address.address1.as_deref(), Some("123 Main Street"));
    assert_eq!(address.address2.as_deref(), Some("Apt 4"));
    assert_eq!(address.address3, None);
    assert_eq!(address.city.as_deref(), Some("Springfield"));
    assert_eq!(address.province.as_deref(), Some("IL"));
    assert_eq!(address.zip.as_deref(), Some("62701"));
    assert_eq!(address.phone.as_deref(), Some("(123) 456-7890"));

    let other = mapped(&orders[1])
        .shipping_address
        .clone()
        .unwrap_or_default();
    assert_eq!(
        other.country_code.map(|c| c.to_string()).as_deref(),
        Some("GB")
    );
    assert_eq!(other.country_code_alpha3, None);
    assert_eq!(other.phone.as_deref(), Some("5551234"));
}

#[test]
fn a_three_letter_country_outside_the_table_keeps_only_its_code() {
    let mut info = minimal_info();
    info["shipping_country_code"] = json!("xyz");
    let sourced = one(&info);
    let address = mapped(&sourced)
        .shipping_address
        .clone()
        .unwrap_or_default();
    assert_eq!(address.country_code_alpha3.as_deref(), Some("XYZ"));
    assert_eq!(address.country_code, None);
    assert!(address.country_unknown());
}

#[test]
fn lines_keep_their_feedamp_number_name_and_quantity() {
    let orders = fixture();
    let line = &mapped(&orders[0]).lines[0];
    assert_eq!(line.external_line_id.as_deref(), Some("40127348123641"));
    assert_eq!(line.title.as_deref(), Some("Widget A"));
    assert_eq!(line.sku.as_str(), "SKU-A");
    assert_eq!(line.quantity.get(), 2);
    let numeric = &mapped(&orders[1]).lines[0];
    assert_eq!(numeric.external_line_id.as_deref(), Some("7"));
    assert_eq!(numeric.quantity.get(), 3);
    assert_eq!(numeric.unit_price, dec("12.34"));
    assert_eq!(numeric.total_tax, dec("0"));
    assert_eq!(
        mapped(&orders[0]).shipping_service.as_deref(),
        Some("FedEx")
    );
}

// A malformed email was dropped before design section 11's tolerance; now it is kept.
#[test]
fn currency_and_email_are_parsed_and_a_malformed_email_is_kept_as_given() {
    let orders = fixture();
    assert_eq!(mapped(&orders[0]).currency.as_str(), "USD");
    let email = mapped(&orders[0]).email.clone();
    assert_eq!(
        email.as_ref().map(|e| e.as_str()),
        Some("jane.doe@example.com")
    );
    assert!(email.is_some_and(|e| e.is_readable()));
    assert_eq!(mapped(&orders[1]).currency.as_str(), "GBP");
    let malformed = mapped(&orders[1]).email.clone();
    assert_eq!(malformed.as_ref().map(|e| e.as_str()), Some("not-an-email"));
    assert!(malformed.is_some_and(|e| !e.is_readable()));
}

#[test]
fn the_raw_payload_is_the_orders_text_byte_for_byte() {
    let orders = fixture();
    let raws: Vec<&str> = orders
        .iter()
        .filter_map(|o| o.order.as_ref().ok())
        .filter_map(|o| o.raw_payload.as_deref())
        .collect();
    assert_eq!(raws.len(), 2);
    for raw in raws {
        assert!(PAGE.contains(raw), "not a slice of the page: {raw}");
        assert!(raw.starts_with('{') && raw.ends_with('}'));
    }
    let first = mapped(&orders[0])
        .raw_payload
        .as_deref()
        .unwrap_or_default();
    assert!(first.contains("\"nested\": [1, 2.50, null]"), "{first}");
}

#[test]
fn one_bad_order_fails_alone_naming_the_field() {
    let orders = fixture();
    assert_eq!(orders.len(), 3);
    assert!(orders[0].order.is_ok() && orders[1].order.is_ok());
    assert_eq!(
        orders[2].order,
        Err("order_info.order_lines[0].unit_price: expected a decimal number".to_owned())
    );
}

#[test]
fn missing_essentials_are_named() {
    // A missing purchase_date was refused before design section 11's tolerance; see
    // `tolerance.rs`.
    let cases = [
        ("currency", "order_info.currency: missing"),
        ("order_lines", "order_info.order_lines: missing"),
    ];
    for (field, expected) in cases {
        let mut info = minimal_info();
        if let Some(object) = info.as_object_mut() {
            object.remove(field);
        }
        assert_eq!(one(&info).order, Err(expected.to_owned()), "{field}");
    }
    let mut info = minimal_info();
    info["order_lines"] = json!([{"quantity": 1, "unit_price": 5}]);
    assert_eq!(
        one(&info).order,
        Err("order_info.order_lines[0].sku: missing".to_owned())
    );
    info["order_lines"] = json!([{"sku": "S", "quantity": 0, "unit_price": 5}]);
    assert!(
        one(&info)
            .order
            .is_err_and(|e| e.starts_with("order_info.order_lines[0].quantity:"))
    );
    info["order_lines"] = json!([{"sku": "S", "quantity": 1, "unit_price": -1}]);
    assert_eq!(
        one(&info).order,
        Err("order_info.order_lines[0].unit_price: must be zero or more".to_owned())
    );
    info["order_lines"] = json!([]);
    assert!(one(&info).order.is_err());
}

#[test]
fn a_wrong_shape_names_the_path_but_never_the_value() {
    let mut info = minimal_info();
    info["order_lines"] = json!([{"sku": "S", "quantity": 1, "unit_price": 5}, "Jane Doe"]);
    let sourced = one(&info);
    assert_eq!(
        sourced.external_id.as_ref().map(|id| id.as_str()),
        Some("1")
    );
    let reason = sourced.order.err().unwrap_or_default();
    assert!(reason.starts_with("order_info.order_lines[1]"), "{reason}");
    assert!(!reason.contains("Jane"), "{reason}");

    let (orders, _) = page(r#"{"orders": ["Jane Doe", {"id": 5}]}"#);
    assert_eq!(
        orders[0].order,
        Err("the order is not a JSON object".to_owned())
    );
    assert_eq!(orders[0].external_id, None);
    assert_eq!(orders[1].order, Err("order_info: missing".to_owned()));
}

#[test]
fn cosmetic_fields_of_unexpected_types_are_left_out_and_flagged() {
    let mut info = minimal_info();
    info["shipping_full_name"] = json!({"first": "Jane"});
    info["shipping_city"] = json!(["x"]);
    info["customer_email"] = json!(true);
    info["latest_ship_date"] = json!("soon");
    let sourced = one(&info);
    let order = mapped(&sourced);
    assert_eq!(order.email, None);
    assert_eq!(order.deliver_by, None);
    assert_eq!(order.shipping_address, None);
    let mut flags = order.flags.clone();
    flags.sort_unstable();
    assert_eq!(
        flags,
        [
            OrderFlag::EmailUnreadable,
            OrderFlag::AddressUnreadable,
            OrderFlag::DeliverByUnreadable
        ]
    );
}

#[test]
fn the_next_cursor_ends_the_feed_when_null_blank_or_missing() {
    assert_eq!(
        page(r#"{"orders": [], "next_cursor": "abc"}"#).1.as_deref(),
        Some("abc")
    );
    for body in [
        r#"{"orders": [], "next_cursor": null}"#,
        r#"{"orders": [], "next_cursor": ""}"#,
        r#"{"orders": []}"#,
    ] {
        assert_eq!(page(body).1, None, "{body}");
    }
}

#[test]
fn a_body_that_is_not_a_page_is_an_error_without_its_content() {
    for body in ["<html>Jane</html>", r#"{"orders": "Jane"}"#, "{}"] {
        let error = parse_page(body.as_bytes(), &channel(), fetched())
            .err()
            .unwrap_or_default();
        assert!(error.starts_with("the new-orders page is not"), "{error}");
        assert!(!error.contains("Jane"), "{error}");
    }
}

#[test]
fn every_order_keeps_its_exact_text_which_reads_again_as_the_same_order() {
    for sourced in fixture() {
        let again = super::reread_order(&sourced.raw, &channel(), fetched());
        assert_eq!(
            again,
            sourced.order,
            "{}",
            String::from_utf8_lossy(&sourced.raw)
        );
    }
    let broken = one(&json!({"currency": "USD", "order_lines": "none"}));
    assert!(broken.order.is_err());
    assert_eq!(
        broken.raw,
        br#"{"id":"1","order_info":{"currency":"USD","order_lines":"none"}}"#.to_vec(),
        "an order that cannot be read is kept too"
    );
    assert!(super::reread_order(&broken.raw, &channel(), fetched()).is_err());
    let not_json = super::reread_order(b"{\"id\": ", &channel(), fetched());
    assert!(not_json.is_err_and(|e| e.contains("not JSON")));
}
