//! ISO 3166-1 alpha-3 to alpha-2 for the countries sellers ship to most. FeedAMP v1 sends the
//! three-letter form (`USA`); orderbridge keeps it and fills the two-letter code where this
//! table knows it. The table is deliberately partial: a country missing here keeps its
//! three-letter code only, and nothing is lost.

/// The two-letter code for a three-letter one (upper case), where the table has it.
pub(crate) fn alpha2_for(alpha3: &str) -> Option<&'static str> {
    let alpha2 = match alpha3 {
        "USA" => "US",
        "CAN" => "CA",
        "MEX" => "MX",
        "PRI" => "PR",
        "GBR" => "GB",
        "IRL" => "IE",
        "FRA" => "FR",
        "DEU" => "DE",
        "ITA" => "IT",
        "ESP" => "ES",
        "PRT" => "PT",
        "NLD" => "NL",
        "BEL" => "BE",
        "LUX" => "LU",
        "AUT" => "AT",
        "CHE" => "CH",
        "LIE" => "LI",
        "DNK" => "DK",
        "SWE" => "SE",
        "NOR" => "NO",
        "FIN" => "FI",
        "ISL" => "IS",
        "POL" => "PL",
        "CZE" => "CZ",
        "SVK" => "SK",
        "HUN" => "HU",
        "ROU" => "RO",
        "BGR" => "BG",
        "GRC" => "GR",
        "HRV" => "HR",
        "SVN" => "SI",
        "EST" => "EE",
        "LVA" => "LV",
        "LTU" => "LT",
        "MLT" => "MT",
        "CYP" => "CY",
        "TUR" => "TR",
        "UKR" => "UA",
        "ISR" => "IL",
        "ARE" => "AE",
        "SAU" => "SA",
        "IND" => "IN",
        "CHN" => "CN",
        "HKG" => "HK",
        "TWN" => "TW",
        "JPN" => "JP",
        "KOR" => "KR",
        "SGP" => "SG",
        "MYS" => "MY",
        "THA" => "TH",
        "VNM" => "VN",
        "IDN" => "ID",
        "PHL" => "PH",
        "AUS" => "AU",
        "NZL" => "NZ",
        "BRA" => "BR",
        "ARG" => "AR",
        "CHL" => "CL",
        "COL" => "CO",
        "PER" => "PE",
        "ZAF" => "ZA",
        "EGY" => "EG",
        "NGA" => "NG",
        "KEN" => "KE",
        "MAR" => "MA",
        _ => return None,
    };
    Some(alpha2)
}

#[cfg(test)]
mod tests {
    use super::alpha2_for;

    #[test]
    fn common_countries_map_to_their_two_letter_codes() {
        assert_eq!(alpha2_for("USA"), Some("US"));
        assert_eq!(alpha2_for("GBR"), Some("GB"));
        assert_eq!(alpha2_for("DEU"), Some("DE"));
        assert_eq!(alpha2_for("CHE"), Some("CH"));
    }

    #[test]
    fn a_country_outside_the_table_has_no_two_letter_code() {
        assert_eq!(alpha2_for("ATA"), None);
        assert_eq!(alpha2_for("usa"), None);
    }
}
