//! Random but reproducible ADM `orders/create` payloads in seed 001's shape: the same seed
//! gives the same orders. Names, streets and emails are made up (`example.*` domains, 555
//! phone numbers).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::adm::order::GeneratedOrder;
use crate::adm::wire::rfc3339;
use crate::kit::generator::{Sequence, discount_and_tax, email, product, quantity, street_address};
use crate::kit::prng::SplitMix64;

const FIRST_NAMES: [&str; 16] = [
    "Jane", "John", "Maria", "Wei", "Aisha", "Carlos", "Emma", "Liam", "Noah", "Olivia", "Priya",
    "Kenji", "Sofia", "Mateo", "Hannah", "Omar",
];
const LAST_NAMES: [&str; 16] = [
    "Doe", "Smith", "Garcia", "Chen", "Khan", "Novak", "Brown", "Okafor", "Rossi", "Tanaka",
    "Silva", "Moreau", "Kowalski", "Nguyen", "Larsen", "Haddad",
];
const STREETS: [&str; 10] = [
    "Main Street",
    "Oak Avenue",
    "Pine Road",
    "Maple Drive",
    "Cedar Lane",
    "Elm Street",
    "Lakeview Boulevard",
    "Hillcrest Way",
    "River Road",
    "Sunset Avenue",
];
/// City, province code, first digits of the zip.
const CITIES: [(&str, &str, &str); 10] = [
    ("Anytown", "CA", "9"),
    ("Springfield", "IL", "6"),
    ("Riverside", "CA", "9"),
    ("Franklin", "TN", "3"),
    ("Greenville", "SC", "2"),
    ("Bristol", "CT", "0"),
    ("Clinton", "NY", "1"),
    ("Fairview", "TX", "7"),
    ("Salem", "OR", "9"),
    ("Madison", "WI", "5"),
];
const COMPANIES: [&str; 5] = [
    "Acme Corp",
    "Globex LLC",
    "Initech",
    "Umbrella Supplies",
    "Stark Goods",
];
const SHIPPING_SERVICES: [&str; 4] = ["Standard Ground", "Expedited", "Two-Day", "Overnight"];
const SHIPPING_PRICES: [u64; 4] = [0, 599, 1099, 2499];
const SKUS: [&str; 16] = [
    "ABC-123",
    "RPBF24-1941",
    "TSH-RED-M",
    "TSH-BLU-L",
    "MUG-11OZ",
    "CAP-BLK",
    "BAG-TOTE-01",
    "SOCK-3PK",
    "PEN-GEL-05",
    "NB-A5-DOT",
    "BTL-750",
    "CBL-USBC-1M",
    "LMP-DESK-W",
    "PLT-CER-26",
    "TWL-BATH-G",
    "CND-SOY-8",
];

/// Generates ADM orders from a seed. Ids are consecutive 12-digit numbers from a start that
/// the seed picks (one of 900,000 blocks of a million), so one generator never repeats an id
/// and two seeds rarely overlap; [`AdmOrderGenerator::starting_at`] sets the start.
#[derive(Debug, Clone)]
pub struct AdmOrderGenerator {
    sequence: Sequence,
}

impl AdmOrderGenerator {
    /// Orders from `seed`, created from 2025-01-01T00:00:00Z on, a few minutes apart.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self {
            sequence: Sequence::new(seed, 100_000_000_000, 900_000),
        }
    }

    /// Numbers ids from `first_id` on.
    #[must_use]
    pub fn starting_at(mut self, first_id: u64) -> Self {
        self.sequence.start_at(first_id);
        self
    }

    /// Dates the first order at `start` (the next ones a few minutes apart after it).
    #[must_use]
    pub fn created_from(mut self, start: DateTime<Utc>) -> Self {
        self.sequence.date_from(start);
        self
    }

    /// The next order.
    pub fn next_order(&mut self) -> GeneratedOrder {
        let (id, created_at) = self.sequence.next(5, 600);
        let prng = &mut self.sequence.prng;
        let Lines {
            lines,
            items,
            merchandise,
            discounts,
            taxes,
        } = lines(prng);
        let shipping_index = usize::try_from(prng.below(4)).unwrap_or(0);
        let shipping = SHIPPING_PRICES.get(shipping_index).copied().unwrap_or(0);
        let service = SHIPPING_SERVICES
            .get(shipping_index)
            .copied()
            .unwrap_or("Standard Ground");
        let subtotal = merchandise - discounts;
        let deliver_by = created_at.date_naive() + chrono::Days::new(prng.between(3, 10));
        let deliver_by = deliver_by.and_hms_opt(0, 0, 0).map(|at| at.and_utc());
        let first = prng.pick(&FIRST_NAMES);
        let last = prng.pick(&LAST_NAMES);

        let payload = json!({
            "created_at": rfc3339(created_at),
            "deliver_by": deliver_by.map(rfc3339),
            "email": email(prng, first, last),
            "id": id,
            "line_items": items,
            "shipping_address": address(prng),
            "shipping_service": service,
            "subtotal_price": money(subtotal),
            "total_discounts": money(discounts),
            "total_price": money(subtotal + shipping + taxes),
            "total_shipping_price": money(shipping),
            "total_tax": money(taxes),
        });
        GeneratedOrder { id, lines, payload }
    }
}

/// An order's lines: as `(sku, units)` and as payload items, with their totals in cents.
struct Lines {
    lines: Vec<(String, u32)>,
    items: Vec<Value>,
    merchandise: u64,
    discounts: u64,
    taxes: u64,
}

/// 1 to 4 lines; a SKU may repeat.
fn lines(prng: &mut SplitMix64) -> Lines {
    let line_count = prng.between(1, 4);
    let mut skus: Vec<&str> = Vec::new();
    let mut out = Lines {
        lines: Vec::new(),
        items: Vec::new(),
        merchandise: 0,
        discounts: 0,
        taxes: 0,
    };
    for _ in 0..line_count {
        let sku = product(prng, &skus, &SKUS).unwrap_or_default();
        skus.push(sku);
        let quantity = quantity(prng);
        let price = prng.between(199, 19_999);
        let gross = price * quantity;
        let (discount, tax) = discount_and_tax(prng, gross, 3);
        out.merchandise += gross;
        out.discounts += discount;
        out.taxes += tax;
        out.items.push(json!({
            "price": money(price),
            "quantity": quantity,
            "sku": sku,
            "total_discount": money(discount),
            "total_tax": money(tax),
        }));
        out.lines
            .push((sku.to_owned(), u32::try_from(quantity).unwrap_or(1)));
    }
    out
}

impl Iterator for AdmOrderGenerator {
    type Item = GeneratedOrder;

    fn next(&mut self) -> Option<GeneratedOrder> {
        Some(self.next_order())
    }
}

/// Cents as a price string with two decimals: 1234 -> "12.34".
fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn address(prng: &mut SplitMix64) -> Value {
    let (city, province, zip_start) = prng.pick_copied(&CITIES).unwrap_or(("Anytown", "CA", "9"));
    let address2 = prng
        .chance(1, 4)
        .then(|| format!("Apt {}", prng.between(1, 40)));
    let company = prng.chance(1, 5).then(|| prng.pick(&COMPANIES));
    json!({
        "address1": street_address(prng, &STREETS),
        "address2": address2,
        "city": city,
        "company": company,
        "country_code": "US",
        "first_name": prng.pick(&FIRST_NAMES),
        "last_name": prng.pick(&LAST_NAMES),
        "phone": format!("(555) {:03}-{:04}", prng.between(200, 999), prng.below(10_000)),
        "province_code": province,
        "zip": format!("{zip_start}{:04}", prng.below(10_000)),
    })
}

#[cfg(test)]
mod tests {
    use super::money;

    #[test]
    fn money_has_two_decimals() {
        assert_eq!(money(0), "0.00");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(1234), "12.34");
        assert_eq!(money(100_000), "1000.00");
    }
}
