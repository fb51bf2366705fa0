//! Random but reproducible ADM `orders/create` payloads in seed 001's shape: the same seed
//! gives the same orders. Names, streets and emails are made up (`example.*` domains, 555
//! phone numbers).

use chrono::{DateTime, Duration as TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};

use crate::adm::ledger::rfc3339;
use crate::prng::SplitMix64;

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
const EMAIL_DOMAINS: [&str; 3] = ["example.com", "example.org", "example.net"];
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

/// One generated order: its id, its lines and the webhook payload.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedOrder {
    /// The order id: all digits, as a JSON string in the payload (as in seed 001).
    pub id: String,
    /// `(sku, quantity)` per line, in order; a SKU may repeat.
    pub lines: Vec<(String, u32)>,
    /// The `orders/create` payload.
    pub payload: Value,
}

impl GeneratedOrder {
    /// The lines in the form [`AdmSandbox::register_order`](crate::AdmSandbox::register_order)
    /// takes.
    #[must_use]
    pub fn line_refs(&self) -> Vec<(&str, u32)> {
        self.lines
            .iter()
            .map(|(sku, q)| (sku.as_str(), *q))
            .collect()
    }

    /// The payload as the bytes to send.
    #[must_use]
    pub fn body(&self) -> Vec<u8> {
        self.payload.to_string().into_bytes()
    }

    /// True when two lines share a SKU (as in seed 001's example).
    #[must_use]
    pub fn has_repeated_sku(&self) -> bool {
        self.lines
            .iter()
            .enumerate()
            .any(|(i, (sku, _))| self.lines.iter().skip(i + 1).any(|(other, _)| other == sku))
    }
}

/// Generates ADM orders from a seed. Ids are consecutive 12-digit numbers from a start that
/// the seed picks (one of 900,000 blocks of a million), so one generator never repeats an id
/// and two seeds rarely overlap; [`AdmOrderGenerator::starting_at`] sets the start.
#[derive(Debug, Clone)]
pub struct AdmOrderGenerator {
    prng: SplitMix64,
    next_id: u64,
    clock: DateTime<Utc>,
}

impl AdmOrderGenerator {
    /// Orders from `seed`, created from 2025-01-01T00:00:00Z on, a few minutes apart.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        let mut prng = SplitMix64::new(seed);
        let next_id = 100_000_000_000 + prng.below(900_000) * 1_000_000;
        let clock = Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(DateTime::UNIX_EPOCH);
        Self {
            prng,
            next_id,
            clock,
        }
    }

    /// Numbers ids from `first_id` on.
    #[must_use]
    pub fn starting_at(mut self, first_id: u64) -> Self {
        self.next_id = first_id;
        self
    }

    /// Dates the first order at `start` (the next ones a few minutes apart after it).
    #[must_use]
    pub fn created_from(mut self, start: DateTime<Utc>) -> Self {
        self.clock = start;
        self
    }

    /// The next order.
    pub fn next_order(&mut self) -> GeneratedOrder {
        let id = self.next_id.to_string();
        self.next_id = self.next_id.wrapping_add(1);
        let created_at = self.clock;
        let step = i64::try_from(self.prng.between(5, 600)).unwrap_or(60);
        self.clock += TimeDelta::seconds(step);
        let prng = &mut self.prng;

        let line_count = prng.between(1, 4);
        let mut lines: Vec<(String, u32)> = Vec::new();
        let mut items = Vec::new();
        let (mut merchandise, mut discounts, mut taxes) = (0_u64, 0_u64, 0_u64);
        for _ in 0..line_count {
            // One line in four (after the first) repeats an earlier line's SKU, as seed 001's
            // example does with ABC-123 at two prices.
            let repeat = !lines.is_empty() && prng.chance(1, 4);
            let sku = if repeat {
                let index = usize::try_from(prng.below(lines.len() as u64)).unwrap_or(0);
                lines
                    .get(index)
                    .map(|(sku, _)| sku.clone())
                    .unwrap_or_default()
            } else {
                prng.pick(&SKUS).to_owned()
            };
            let quantity = if prng.chance(3, 5) {
                1
            } else {
                prng.between(2, 5)
            };
            let price = prng.between(199, 19_999);
            let gross = price * quantity;
            let discount = if prng.chance(1, 3) {
                gross * prng.between(5, 20) / 100
            } else {
                0
            };
            let tax = (gross - discount) * 8 / 100;
            merchandise += gross;
            discounts += discount;
            taxes += tax;
            items.push(json!({
                "price": money(price),
                "quantity": quantity,
                "sku": sku,
                "total_discount": money(discount),
                "total_tax": money(tax),
            }));
            lines.push((sku, u32::try_from(quantity).unwrap_or(1)));
        }
        let shipping_index = usize::try_from(prng.below(4)).unwrap_or(0);
        let shipping = SHIPPING_PRICES.get(shipping_index).copied().unwrap_or(0);
        let service = SHIPPING_SERVICES
            .get(shipping_index)
            .copied()
            .unwrap_or("Standard Ground");
        let subtotal = merchandise - discounts;
        let deliver_by = created_at.date_naive() + chrono::Days::new(prng.between(3, 10));
        let deliver_by = deliver_by.and_hms_opt(0, 0, 0).map(|at| at.and_utc());

        let payload = json!({
            "created_at": rfc3339(created_at),
            "deliver_by": deliver_by.map(rfc3339),
            "email": email(prng),
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

fn email(prng: &mut SplitMix64) -> String {
    format!(
        "{}.{}{}@{}",
        prng.pick(&FIRST_NAMES).to_lowercase(),
        prng.pick(&LAST_NAMES).to_lowercase(),
        prng.below(100),
        prng.pick(&EMAIL_DOMAINS)
    )
}

fn address(prng: &mut SplitMix64) -> Value {
    let (city, province, zip_start) = CITIES
        .get(usize::try_from(prng.below(CITIES.len() as u64)).unwrap_or(0))
        .copied()
        .unwrap_or(("Anytown", "CA", "9"));
    let address2 = prng
        .chance(1, 4)
        .then(|| format!("Apt {}", prng.between(1, 40)));
    let company = prng.chance(1, 5).then(|| prng.pick(&COMPANIES));
    json!({
        "address1": format!("{} {}", prng.between(1, 9_999), prng.pick(&STREETS)),
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
