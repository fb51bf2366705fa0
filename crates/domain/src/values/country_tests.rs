//! Tests of the country table: every ISO 3166-1 spelling maps to its own code, common other
//! names are known, and anything else is not.

use super::{CountryCode, ISO_3166_1};

fn found(given: &str) -> Option<String> {
    CountryCode::find(given).map(|c| c.to_string())
}

#[test]
fn country_codes_are_two_letters_upper_cased() {
    assert_eq!(
        CountryCode::parse("us").map(|c| c.to_string()),
        Ok("US".to_owned())
    );
    assert!(CountryCode::parse("USA").is_err());
    assert!(CountryCode::parse("U1").is_err());
}

#[test]
fn the_table_holds_all_of_iso_3166_1_and_each_spelling_finds_its_own_country() {
    assert_eq!(ISO_3166_1.lines().count(), 249);
    for line in ISO_3166_1.lines() {
        let mut parts = line.splitn(3, ' ');
        let (alpha2, alpha3, names) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let expected = Some(alpha2.to_owned());
        assert_eq!(found(alpha2), expected, "{line}");
        assert_eq!(found(&alpha2.to_lowercase()), expected, "{line}");
        assert_eq!(found(alpha3), expected, "{line}");
        for name in names.split('|') {
            assert_eq!(found(name), expected, "{name}");
            assert_eq!(found(&name.to_uppercase()), expected, "{name}");
        }
    }
}

#[test]
fn three_letter_codes_map_to_two_letters_whatever_the_case() {
    for (given, code) in [("USA", "US"), ("gbr", "GB"), ("Deu", "DE"), ("ATA", "AQ")] {
        assert_eq!(found(given).as_deref(), Some(code), "{given}");
    }
}

#[test]
fn names_are_found_however_they_are_written() {
    for (given, code) in [
        ("United States", "US"),
        ("united states of america", "US"),
        ("U.S.A.", "US"),
        (" u.s. ", "US"),
        ("USA", "US"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Great Britain", "GB"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("The Netherlands", "NL"),
        ("Bosnia & Herzegovina", "BA"),
        ("St. Lucia", "LC"),
        ("Cote d'Ivoire", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("Korea, Republic of", "KR"),
        ("South Korea", "KR"),
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Virgin Islands, U.S.", "VI"),
        ("Kosovo", "XK"),
    ] {
        assert_eq!(found(given).as_deref(), Some(code), "{given}");
    }
}

#[test]
fn an_unknown_country_is_not_found() {
    for given in [
        "Atlantis", "XYZ", "QQ", "ZZ", "", "  ", "U", "Doeland", "1234",
    ] {
        assert_eq!(found(given), None, "{given:?}");
    }
}
