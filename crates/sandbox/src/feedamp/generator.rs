//! Random but reproducible FeedAMP v1 orders: the same seed gives the same orders. Names,
//! streets and emails are made up (`example.*` domains, 555 phone numbers).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::feedamp::order::{SandboxLine, SandboxOrder};
use crate::feedamp::wire::money_number;
use crate::kit::generator::{Sequence, discount_and_tax, email, product, quantity, street_address};
use crate::kit::prng::SplitMix64;

const FIRST_NAMES: [&str; 12] = [
    "Ava", "Ben", "Chloe", "Diego", "Elif", "Farah", "Gus", "Hana", "Ivan", "Jun", "Kofi", "Lena",
];
const LAST_NAMES: [&str; 12] = [
    "Abbott", "Baker", "Costa", "Dubois", "Eriksen", "Fischer", "Gomez", "Hughes", "Ito", "Jensen",
    "Keller", "Lopez",
];
const STREETS: [&str; 8] = [
    "Market Street",
    "Harbor Road",
    "Willow Lane",
    "Birch Avenue",
    "Station Road",
    "Orchard Way",
    "Park Place",
    "Mill Street",
];
/// City, state, postal code prefix, 3-letter country.
const US_CITIES: [(&str, &str, &str); 6] = [
    ("Springfield", "IL", "627"),
    ("Portland", "OR", "972"),
    ("Austin", "TX", "787"),
    ("Columbus", "OH", "432"),
    ("Raleigh", "NC", "276"),
    ("Boise", "ID", "837"),
];
const CA_CITIES: [(&str, &str, &str); 3] = [
    ("Toronto", "ON", "M5V"),
    ("Calgary", "AB", "T2P"),
    ("Halifax", "NS", "B3H"),
];
/// SKU and product name.
const PRODUCTS: [(&str, &str); 14] = [
    ("FA-TEE-BLK-M", "Cotton T-Shirt, Black, M"),
    ("FA-TEE-WHT-L", "Cotton T-Shirt, White, L"),
    ("FA-MUG-12", "Ceramic Mug 12 oz"),
    ("FA-BTL-1L", "Steel Water Bottle 1 L"),
    ("FA-CBL-USBC", "USB-C Cable 1 m"),
    ("FA-CHG-65W", "65 W Charger"),
    ("FA-NB-A5", "Dotted Notebook A5"),
    ("FA-PEN-3PK", "Gel Pens, 3 Pack"),
    ("FA-SOCK-WL", "Wool Socks"),
    ("FA-CAP-NVY", "Baseball Cap, Navy"),
    ("FA-LMP-LED", "LED Desk Lamp"),
    ("FA-TWL-HND", "Hand Towel"),
    ("FA-CND-LAV", "Lavender Candle"),
    ("FA-BAG-TOT", "Canvas Tote Bag"),
];
const SHIPPING_METHODS: [&str; 5] = ["Standard", "Expedited", "FedEx", "UPS Ground", "SecondDay"];
/// Shipping prices in cents, 0 (free) most often.
const SHIPPING_CENTS: [u64; 6] = [0, 0, 195, 499, 595, 1099];

/// Generates FeedAMP v1 orders from a seed. Ids are consecutive 18-digit numbers from a start
/// the seed picks (one of 800 million blocks of a million), so one generator never repeats an
/// id and two seeds rarely overlap; [`FeedampOrderGenerator::starting_at`] sets the start.
///
/// What the orders hold: 1 to 4 lines; after the first line, one line in four repeats an
/// earlier line's SKU (at its own price); money with up to 2 decimals, often whole (`200`) or
/// with one (`19.9`); Amazon US, eBay, Walmart and some Amazon Canada orders (CAD, `CAN`);
/// a `latest_ship_date` at the end of the first to third day after purchase (`""` for one
/// order in ten); and one order in three carries undocumented fields at the top level, in `order_info` and
/// in its first line.
#[derive(Debug, Clone)]
pub struct FeedampOrderGenerator {
    sequence: Sequence,
}

impl FeedampOrderGenerator {
    /// Orders from `seed`, bought from 2025-01-01T00:00:00Z on, a few minutes apart.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            sequence: Sequence::new(seed, 100_000_000_000_000_000, 800_000_000),
        }
    }

    /// Numbers ids from `first_id` on.
    #[must_use]
    pub fn starting_at(mut self, first_id: u64) -> Self {
        self.sequence.start_at(first_id);
        self
    }

    /// Dates the first purchase at `start` (the next ones a few minutes apart after it).
    #[must_use]
    pub fn purchased_from(mut self, start: DateTime<Utc>) -> Self {
        self.sequence.date_from(start);
        self
    }

    /// The next order.
    pub fn next_order(&mut self) -> SandboxOrder {
        let (id, purchased) = self.sequence.next(30, 900);
        let ship_by = ship_by(&id, purchased);
        let prng = &mut self.sequence.prng;
        let (integration, marketplace, canada) = match prng.below(10) {
            0..=4 => ("amazon", "amazon_us", false),
            5 => ("amazon", "amazon_ca", true),
            6 | 7 => ("ebay", "ebay_us", false),
            _ => ("walmart", "walmart_us", false),
        };
        let mp_order_number = mp_order_number(prng, integration);
        let order = SandboxOrder::new()
            .id(id)
            .mp_order_number(mp_order_number)
            .marketplace(integration, marketplace)
            .purchase_date(purchased)
            .currency(if canada { "CAD" } else { "USD" });
        let order = match ship_by {
            Some(at) => order.latest_ship_date(at),
            None => order,
        };
        let mut order = addressed(prng, order, canada);
        let mut lines = lines(prng);
        if prng.chance(1, 3) {
            let (top, info, line) = extras(prng);
            order = order
                .extra_field(top.0, top.1)
                .extra_info_field(info.0, info.1);
            if let Some(first_line) = lines.first_mut() {
                *first_line = first_line.clone().extra(line.0, line.1);
            }
        }
        for line in lines {
            order = order.line(line);
        }
        order
    }
}

/// The order's `latest_ship_date`: the end of the first, second or third day after purchase;
/// none (served as `""`) for one order in ten. Taken from the id rather than the seeded draws,
/// so that a seed gives the same orders as before the field was served.
fn ship_by(id: &str, purchased: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let n: u64 = id.parse().unwrap_or(0);
    if n.is_multiple_of(10) {
        return None;
    }
    let day = purchased.date_naive() + chrono::Days::new(1 + n % 3);
    day.and_hms_opt(23, 59, 59).map(|at| at.and_utc())
}

/// The marketplace's own order number, in its style.
fn mp_order_number(prng: &mut SplitMix64, integration: &str) -> String {
    match integration {
        "amazon" => format!(
            "1{:02}-{:07}-{:07}",
            prng.below(100),
            prng.below(10_000_000),
            prng.below(10_000_000)
        ),
        "ebay" => format!(
            "{:02}-{:05}-{:05}",
            prng.below(100),
            prng.below(100_000),
            prng.below(100_000)
        ),
        _ => format!(
            "{:015}",
            prng.between(100_000_000_000_000, 999_999_999_999_999)
        ),
    }
}

/// The customer: a name, an address in the US or Canada, a phone and an email.
fn addressed(prng: &mut SplitMix64, order: SandboxOrder, canada: bool) -> SandboxOrder {
    let first = prng.pick(&FIRST_NAMES);
    let last = prng.pick(&LAST_NAMES);
    let cities: &[(&str, &str, &str)] = if canada { &CA_CITIES } else { &US_CITIES };
    let (city, state, postal) = prng
        .pick_copied(cities)
        .unwrap_or(("Springfield", "IL", "627"));
    let postal_code = if canada {
        format!("{postal} {}", prng.pick(&["1A1", "2B2", "3C3", "4E5"]))
    } else {
        format!("{postal}{:02}", prng.below(100))
    };
    order
        .ship_to(
            format!("{first} {last}"),
            street_address(prng, &STREETS),
            city,
            state,
            postal_code,
            if canada { "CAN" } else { "USA" },
        )
        .shipping_phone(format!(
            "555-{:03}-{:04}",
            prng.between(200, 999),
            prng.below(10_000)
        ))
        .customer_email(email(prng, first, last))
}

/// 1 to 4 lines; a SKU may repeat.
fn lines(prng: &mut SplitMix64) -> Vec<SandboxLine> {
    let line_base = prng.between(10_000_000_000_000, 89_999_999_999_999);
    let line_count = prng.between(1, 4);
    let mut skus: Vec<(&str, &str)> = Vec::new();
    let mut lines = Vec::new();
    for index in 0..line_count {
        let (sku, name) =
            product(prng, &skus, &PRODUCTS).unwrap_or(("FA-MUG-12", "Ceramic Mug 12 oz"));
        skus.push((sku, name));
        let quantity = quantity(prng);
        // Whole prices one time in five, one decimal now and then, else two.
        let price = match prng.below(5) {
            0 => prng.between(2, 300) * 100,
            1 => prng.between(10, 2_000) * 10,
            _ => prng.between(199, 19_999),
        };
        let (discount, tax) = discount_and_tax(prng, price * quantity, 4);
        let shipping = prng.pick_copied(&SHIPPING_CENTS).unwrap_or(0);
        let shipping_discount = if shipping > 0 && prng.chance(1, 6) {
            shipping
        } else {
            0
        };
        let line = SandboxLine::new(sku, u32::try_from(quantity).unwrap_or(1), money(price))
            .mp_line_number((line_base + index).to_string())
            .product_name(name)
            .sales_tax(money(tax))
            .shipping_method(prng.pick(&SHIPPING_METHODS))
            .shipping_price(money(shipping))
            .shipping_tax(money(shipping * 8 / 100))
            .discount(money(discount))
            .shipping_discount(money(shipping_discount));
        lines.push(line);
    }
    lines
}

impl Iterator for FeedampOrderGenerator {
    type Item = SandboxOrder;

    fn next(&mut self) -> Option<SandboxOrder> {
        Some(self.next_order())
    }
}

/// An undocumented field: its name and value.
type Extra = (&'static str, Value);

/// One undocumented field each for the top level, `order_info` and a line.
fn extras(prng: &mut SplitMix64) -> (Extra, Extra, Extra) {
    let commission = money_number(&money(prng.between(10, 999))).map_or(Value::Null, Value::Number);
    let top = match prng.below(3) {
        0 => ("feedamp_order_version", json!(3)),
        1 => ("import_source", json!("scheduled_import")),
        _ => ("tags", json!(["priority", "gift"])),
    };
    let info = match prng.below(4) {
        0 => ("sales_channel", json!("Amazon.com")),
        1 => ("is_amazon_prime", json!(true)),
        2 => (
            "order_additional_properties",
            json!({"gift_wrap": false, "channel_ref": format!("CH-{}", prng.below(10_000))}),
        ),
        _ => ("loyalty_tier", json!("gold")),
    };
    let line = match prng.below(3) {
        0 => ("commission", commission),
        1 => ("is_tax_collected_by_marketplace", json!(true)),
        _ => (
            "order_line_additional_properties",
            json!({"condition": "new"}),
        ),
    };
    (top, info, line)
}

/// Cents as the shortest decimal text: 1999 -> "19.99", 1990 -> "19.9", 20000 -> "200".
fn money(cents: u64) -> String {
    let (units, rest) = (cents / 100, cents % 100);
    match rest {
        0 => units.to_string(),
        r if r % 10 == 0 => format!("{units}.{}", r / 10),
        r => format!("{units}.{r:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_is_the_shortest_decimal_text() {
        assert_eq!(money(0), "0");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(10), "0.1");
        assert_eq!(money(1999), "19.99");
        assert_eq!(money(1990), "19.9");
        assert_eq!(money(20_000), "200");
    }
}
