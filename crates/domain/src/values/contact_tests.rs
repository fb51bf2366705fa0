//! Tests of the contact values: strict and tolerant emails, countries read into addresses,
//! cleaned free text, and redacted `Debug` output.

use super::{Address, Email};
use crate::values::CountryCode;

#[test]
fn emails_need_a_local_part_and_a_dotted_domain() {
    assert!(Email::parse("customer@example.com").is_ok());
    assert!(Email::parse("customer@localhost").is_err());
    assert!(Email::parse("@example.com").is_err());
    assert!(Email::parse("a b@example.com").is_err());
    assert!(Email::parse("a@b@example.com").is_err());
}

#[test]
fn a_readable_email_reads_as_parsed() {
    let email = Email::read("  customer@example.com ").unwrap();
    assert_eq!(email.as_str(), "customer@example.com");
    assert!(email.is_readable());
    assert_eq!(Email::parse("customer@example.com").ok(), Some(email));
}

#[test]
fn an_email_that_does_not_parse_is_kept_as_given_and_unreadable() {
    for given in [
        "jane.doe.at.example",
        "Jane Doe <jane@example>",
        "customer@localhost",
        "a@b@example.com",
    ] {
        let email = Email::read(given).unwrap();
        assert_eq!(email.as_str(), given);
        assert!(!email.is_readable(), "{given}");
    }
}

#[test]
fn a_tolerated_email_is_cleaned_and_cut() {
    let email = Email::read("\tjane\u{0}@example.com\n").unwrap();
    assert_eq!(email.as_str(), "jane@example.com");
    assert!(email.is_readable());
    let long = format!("{}@example.com", "a".repeat(300));
    let cut = Email::read(&long).unwrap();
    assert_eq!(cut.as_str().chars().count(), Email::MAX_LEN);
    assert!(!cut.is_readable(), "a cut address is not the one sent");
    assert_eq!(Email::read(" \u{7} "), None);
}

fn with_country(given: &[&str]) -> Address {
    let mut address = Address::default();
    for spelling in given {
        address.set_country(spelling);
    }
    address
}

#[test]
fn a_two_letter_country_becomes_the_code() {
    let address = with_country(&["us"]);
    assert_eq!(address.country_code, CountryCode::parse("US").ok());
    assert_eq!(address.country_name, None);
    assert_eq!(address.country_code_alpha3, None);
    assert!(!address.country_unknown());
}

#[test]
fn a_three_letter_country_is_kept_and_mapped() {
    let address = with_country(&["deu"]);
    assert_eq!(address.country_code, CountryCode::parse("DE").ok());
    assert_eq!(address.country_code_alpha3.as_deref(), Some("DEU"));
    assert!(!address.country_unknown());
}

#[test]
fn a_country_name_is_kept_and_mapped() {
    let address = with_country(&["United States"]);
    assert_eq!(address.country_code, CountryCode::parse("US").ok());
    assert_eq!(address.country_name.as_deref(), Some("United States"));
    assert!(!address.country_unknown());
}

#[test]
fn an_unknown_country_is_kept_as_given_without_a_code() {
    let named = with_country(&[" Atlantis "]);
    assert_eq!(named.country_code, None);
    assert_eq!(named.country_name.as_deref(), Some("Atlantis"));
    assert!(named.country_unknown());
    let coded = with_country(&["QQ"]);
    assert_eq!(coded.country_name.as_deref(), Some("QQ"));
    assert!(coded.country_unknown());
    let alpha3 = with_country(&["xyz"]);
    assert_eq!(alpha3.country_code_alpha3.as_deref(), Some("XYZ"));
    assert!(alpha3.country_unknown());
    assert!(!with_country(&["", "  "]).country_unknown());
}

#[test]
fn the_first_spelling_given_wins_and_a_later_name_is_kept_beside_it() {
    let address = with_country(&["US", "United States of America"]);
    assert_eq!(address.country_code, CountryCode::parse("US").ok());
    assert_eq!(
        address.country_name.as_deref(),
        Some("United States of America")
    );
    let rescued = with_country(&["Atlantis", "DE"]);
    assert_eq!(rescued.country_code, CountryCode::parse("DE").ok());
    assert!(!rescued.country_unknown());
}

#[test]
fn address_fields_are_cleaned_never_refused() {
    let address = Address {
        address1: Some("123\tMain Street\n".to_owned()),
        address2: Some(" \u{0} ".to_owned()),
        phone: Some("(555) CALL-NOW".to_owned()),
        city: Some("Any\u{7}town".to_owned()),
        ..Address::default()
    }
    .cleaned();
    assert_eq!(address.address1.as_deref(), Some("123 Main Street"));
    assert_eq!(address.address2, None);
    assert_eq!(address.phone.as_deref(), Some("(555) CALL-NOW"));
    assert_eq!(address.city.as_deref(), Some("Anytown"));
}

#[test]
fn debug_output_never_shows_personal_data() {
    let email = Email::parse("jane.doe@example.com").ok();
    let unreadable = Email::read("jane at example");
    let address = Address {
        first_name: Some("Jane".to_owned()),
        address1: Some("123 Main Street".to_owned()),
        phone: Some("(123) 456-7890".to_owned()),
        country_code: CountryCode::parse("US").ok(),
        ..Address::default()
    };
    let printed = format!("{email:?} {unreadable:?} {address:?}");
    for secret in ["jane", "Jane", "Main", "456"] {
        assert!(!printed.contains(secret), "{printed} shows {secret}");
    }
    assert!(printed.contains("US"));
}
