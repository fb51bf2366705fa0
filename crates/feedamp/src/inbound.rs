//! FeedAMP v1's inbound wire format: the new-orders page and the v1 order (reference §4.3), and
//! their mapping to the domain's `NewOrder`.
//!
//! Unknown fields are ignored everywhere (FeedAMP adds fields without notice). Free text
//! (address, names, titles, line numbers, shipping method, the cursor) is cleaned by the
//! domain's rules for it (design section 12): control characters out, clipped. Scalars are read
//! as raw JSON values so that a field that only informs never costs an order (design section
//! 11): an unreadable date, email, country or address field is kept as given, replaced or left
//! out, and flagged on the order. Only what an order cannot do without (id, currency, lines
//! with SKU, quantity and unit price, well-formed amounts) makes it unmappable. Such an order
//! becomes an `Err` naming the field, never its value, and the rest of the page still maps.

use chrono::{DateTime, Utc};
use orderbridge_domain::order::{NewLine, NewOrder, Order, OrderFlag, Totals};
use orderbridge_domain::ports::source::SourcedOrder;
use orderbridge_domain::values::{
    Address, ChannelId, CleanText, Currency, Email, ExternalOrderId, Sku,
};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::fields::{Unreadable, clean, date, money, not_text, or_zero, quantity, text};

/// A page of the new-orders feed: `{"orders": [...], "next_cursor": ...}`. Each order is kept
/// as its exact text, which becomes its raw payload.
#[derive(Deserialize)]
struct WirePage<'a> {
    #[serde(borrow)]
    orders: Vec<&'a RawValue>,
    next_cursor: Option<Value>,
}

/// The v1 order's top level; `state`, `marketplace_state`, `paused`, `acknowledged` and the
/// rest are not needed and stay in the raw payload.
#[derive(Deserialize)]
struct WireOrder {
    id: Option<Value>,
    order_info: Option<WireInfo>,
}

/// Just the id, read when the rest of an order cannot be.
#[derive(Deserialize)]
struct WireId {
    id: Option<Value>,
}

#[derive(Deserialize)]
struct WireInfo {
    currency: Option<Value>,
    purchase_date: Option<Value>,
    latest_ship_date: Option<Value>,
    customer_email: Option<Value>,
    shipping_full_name: Option<Value>,
    shipping_address1: Option<Value>,
    shipping_address2: Option<Value>,
    shipping_address3: Option<Value>,
    shipping_city: Option<Value>,
    shipping_state: Option<Value>,
    shipping_postal_code: Option<Value>,
    shipping_country_code: Option<Value>,
    shipping_phone: Option<Value>,
    order_lines: Option<Vec<WireLine>>,
}

#[derive(Deserialize)]
struct WireLine {
    mp_line_number: Option<Value>,
    sku: Option<Value>,
    product_name: Option<Value>,
    quantity: Option<Value>,
    unit_price: Option<Value>,
    sales_tax: Option<Value>,
    shipping_method: Option<Value>,
    shipping_price: Option<Value>,
    shipping_tax: Option<Value>,
    discount: Option<Value>,
    shipping_discount: Option<Value>,
    gift_wrap_price: Option<Value>,
    gift_wrap_tax: Option<Value>,
}

/// The longest cursor kept, in characters.
const MAX_CURSOR_CHARS: usize = 2_048;

/// Reads a page fetched at `fetched_at` (the time received of its orders): every order mapped
/// (or the reason it cannot be), and the next cursor, which is `None` when FeedAMP's
/// `next_cursor` is null, blank or missing.
///
/// # Errors
/// A message (with the position, never the content) when the body is not JSON of the
/// documented shape.
pub(crate) fn parse_page(
    body: &[u8],
    channel: &ChannelId,
    fetched_at: DateTime<Utc>,
) -> Result<(Vec<SourcedOrder>, Option<String>), String> {
    let page: WirePage<'_> = serde_json::from_slice(body).map_err(|error| {
        format!(
            "the new-orders page is not {{\"orders\": [...], \"next_cursor\": ...}} \
             (line {}, column {})",
            error.line(),
            error.column()
        )
    })?;
    let orders = page
        .orders
        .iter()
        .map(|raw| sourced_order(raw, channel, fetched_at))
        .collect();
    // A cursor is sent back as FeedAMP gave it, but kept in the store: one that holds control
    // characters loses them (FeedAMP then refuses it and the feed is read from its start).
    let cursor = clean(page.next_cursor.as_ref(), CleanText::line(MAX_CURSOR_CHARS));
    Ok((orders, cursor))
}

/// Reads again one order's exact text, as a page held it (a quarantined entry's body), as if
/// received at `now`.
///
/// # Errors
/// Why it does not map, as for a page.
pub(crate) fn reread_order(
    raw: &[u8],
    channel: &ChannelId,
    now: DateTime<Utc>,
) -> Result<NewOrder, String> {
    let raw: &RawValue = serde_json::from_slice(raw).map_err(|error| {
        format!(
            "the kept order is not JSON (line {}, column {})",
            error.line(),
            error.column()
        )
    })?;
    sourced_order(raw, channel, now).order
}

/// Maps one order of a page, keeping `raw` (its exact text) as the raw payload.
fn sourced_order(raw: &RawValue, channel: &ChannelId, fetched_at: DateTime<Utc>) -> SourcedOrder {
    let text = raw.get();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize::<_, WireOrder>(&mut deserializer) {
        Ok(wire) => {
            let external_id = wire.id.as_ref().and_then(|id| external_id(id).ok());
            SourcedOrder {
                external_id,
                order: map_order(wire, text, channel, fetched_at),
                raw: text.as_bytes().to_vec(),
            }
        }
        Err(error) => {
            let path = error.path().to_string();
            let reason = if path == "." {
                "the order is not a JSON object".to_owned()
            } else {
                format!("{path}: wrong JSON type or shape")
            };
            let external_id = serde_json::from_str::<WireId>(text)
                .ok()
                .and_then(|w| w.id)
                .and_then(|id| external_id(&id).ok());
            SourcedOrder {
                external_id,
                order: Err(reason),
                raw: text.as_bytes().to_vec(),
            }
        }
    }
}

/// FeedAMP's order id: a string, or an integer kept digit for digit.
fn external_id(value: &Value) -> Result<ExternalOrderId, String> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => {
            let digits = number.to_string();
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err("id: expected a string or a whole number".to_owned());
            }
            digits
        }
        _ => return Err("id: expected a string or a whole number".to_owned()),
    };
    ExternalOrderId::parse(&text).map_err(|e| format!("id: {e}"))
}

/// Running sums over the lines for the order's totals.
#[derive(Default)]
struct Sums {
    subtotal: Decimal,
    shipping: Decimal,
    tax: Decimal,
    discounts: Decimal,
    total: Decimal,
}

/// `a + b + ...`, or an error when the sum overflows a `Decimal`.
fn sum(terms: &[Decimal]) -> Result<Decimal, String> {
    terms
        .iter()
        .try_fold(Decimal::ZERO, |acc, term| acc.checked_add(*term))
        .ok_or_else(|| "order_info.order_lines: amounts too large to add up".to_owned())
}

/// Maps a v1 order to a `NewOrder`.
///
/// Amounts: a line's `total_tax` is its `sales_tax` and its `total_discount` its `discount`
/// (the item's own). FeedAMP v1 gives no order totals, so they are summed over the lines:
/// - `subtotal` = Σ(unit_price × quantity − discount)
/// - `shipping` = Σ shipping_price
/// - `tax` = Σ(sales_tax + shipping_tax + gift_wrap_tax)
/// - `discounts` = Σ(discount + shipping_discount)
/// - `total` = Σ(unit_price × quantity + sales_tax + shipping_price + shipping_tax +
///   gift_wrap_price + gift_wrap_tax − discount − shipping_discount)
///
/// Absent amounts count as zero. `platform_discount` (funded by the marketplace) and
/// `commission` are left out.
///
/// Fields that only inform never reject an order (design section 11): a `purchase_date`
/// missing or unreadable is `fetched_at` (flagged `placed_at_unreadable`); a date alone is
/// midnight UTC.
///
/// The order's deadline (`deliver_by`, which ship-by holds the seller to) is FeedAMP's
/// `latest_ship_date`: the marketplace's ship-by time. Empty (`""`, FeedAMP's way of saying
/// none), null or missing is no deadline; unreadable leaves it out, flagged
/// `deliver_by_unreadable`. The delivery dates (`latest_delivery_date` and the others) stay
/// in the raw payload only.
/// The email and the address are kept as given (see [`address`]).
fn map_order(
    wire: WireOrder,
    raw: &str,
    channel: &ChannelId,
    fetched_at: DateTime<Utc>,
) -> Result<NewOrder, String> {
    let id = wire.id.as_ref().ok_or("id: missing")?;
    let external_id = external_id(id)?;
    let info = wire.order_info.ok_or("order_info: missing")?;
    let currency = text(info.currency.as_ref()).ok_or("order_info.currency: missing")?;
    let currency = Currency::parse(&currency).map_err(|e| format!("order_info.currency: {e}"))?;
    let mut flags = Vec::new();
    let placed_at = match date(info.purchase_date.as_ref()) {
        Ok(Some(time)) => time,
        Ok(None) | Err(Unreadable) => {
            flags.push(OrderFlag::PlacedAtUnreadable);
            fetched_at
        }
    };
    let deliver_by = date(info.latest_ship_date.as_ref()).unwrap_or_else(|Unreadable| {
        flags.push(OrderFlag::DeliverByUnreadable);
        None
    });
    let wire_lines = info
        .order_lines
        .as_deref()
        .ok_or("order_info.order_lines: missing")?;
    if wire_lines.is_empty() {
        return Err("order_info.order_lines: an order needs at least one line".to_owned());
    }
    if wire_lines.len() > Order::MAX_LINES {
        return Err(format!(
            "order_info.order_lines: more than {} lines",
            Order::MAX_LINES
        ));
    }
    let mut sums = Sums::default();
    let mut lines = Vec::with_capacity(wire_lines.len());
    for (index, line) in wire_lines.iter().enumerate() {
        lines.push(map_line(index, line, &mut sums)?);
    }
    let email = text(info.customer_email.as_ref()).and_then(|raw| Email::read(&raw));
    if not_text(info.customer_email.as_ref()) {
        flags.push(OrderFlag::EmailUnreadable);
    }
    let shipping_service = wire_lines
        .iter()
        .find_map(|line| clean(line.shipping_method.as_ref(), NewOrder::SHIPPING_SERVICE));
    Ok(NewOrder {
        channel: channel.clone(),
        external_id,
        currency,
        placed_at,
        deliver_by,
        email,
        shipping_address: address(&info, &mut flags),
        shipping_service,
        totals: Totals {
            subtotal: Some(sums.subtotal),
            discounts: Some(sums.discounts),
            shipping: Some(sums.shipping),
            tax: Some(sums.tax),
            total: Some(sums.total),
        },
        lines,
        raw_payload: Some(raw.to_owned()),
        flags,
    })
}

/// Maps line `index` and adds its amounts to `sums`.
fn map_line(index: usize, line: &WireLine, sums: &mut Sums) -> Result<NewLine, String> {
    let field = |name: &str| format!("order_info.order_lines[{index}].{name}");
    let sku = text(line.sku.as_ref()).ok_or_else(|| format!("{}: missing", field("sku")))?;
    let sku = Sku::parse(&sku).map_err(|e| format!("{}: {e}", field("sku")))?;
    let quantity = quantity(line.quantity.as_ref(), &field("quantity"))?;
    let unit_price = money(line.unit_price.as_ref(), &field("unit_price"))?
        .ok_or_else(|| format!("{}: missing", field("unit_price")))?;
    if unit_price.is_sign_negative() && !unit_price.is_zero() {
        return Err(format!("{}: must be zero or more", field("unit_price")));
    }
    let amount =
        |value: &Option<Value>, name: &str| money(value.as_ref(), &field(name)).map(or_zero);
    let sales_tax = amount(&line.sales_tax, "sales_tax")?;
    let shipping_price = amount(&line.shipping_price, "shipping_price")?;
    let shipping_tax = amount(&line.shipping_tax, "shipping_tax")?;
    let discount = amount(&line.discount, "discount")?;
    let shipping_discount = amount(&line.shipping_discount, "shipping_discount")?;
    let gift_wrap_price = amount(&line.gift_wrap_price, "gift_wrap_price")?;
    let gift_wrap_tax = amount(&line.gift_wrap_tax, "gift_wrap_tax")?;

    let goods = unit_price
        .checked_mul(Decimal::from(quantity.get()))
        .ok_or_else(|| format!("{}: too large", field("unit_price")))?;
    let neg = |d: Decimal| -d;
    sums.subtotal = sum(&[sums.subtotal, goods, neg(discount)])?;
    sums.shipping = sum(&[sums.shipping, shipping_price])?;
    sums.tax = sum(&[sums.tax, sales_tax, shipping_tax, gift_wrap_tax])?;
    sums.discounts = sum(&[sums.discounts, discount, shipping_discount])?;
    sums.total = sum(&[
        sums.total,
        goods,
        sales_tax,
        shipping_price,
        shipping_tax,
        gift_wrap_price,
        gift_wrap_tax,
        neg(discount),
        neg(shipping_discount),
    ])?;

    Ok(NewLine {
        sku,
        quantity,
        unit_price,
        total_discount: discount,
        total_tax: sales_tax,
        external_line_id: clean(line.mp_line_number.as_ref(), NewLine::EXTERNAL_ID),
        title: clean(line.product_name.as_ref(), NewLine::TITLE),
    })
}

/// The shipping address, or `None` when FeedAMP sent none of its fields. The country is read
/// by the domain's table: two letters are the code; three letters are kept as
/// `country_code_alpha3` and mapped where known; a name is kept and mapped where known; an
/// unknown country stays as given (the order is then flagged `country_unknown`). A field that
/// is not text is left out and flagged `address_unreadable`.
fn address(info: &WireInfo, flags: &mut Vec<OrderFlag>) -> Option<Address> {
    let fields = [
        &info.shipping_full_name,
        &info.shipping_address1,
        &info.shipping_address2,
        &info.shipping_address3,
        &info.shipping_city,
        &info.shipping_state,
        &info.shipping_postal_code,
        &info.shipping_country_code,
        &info.shipping_phone,
    ];
    if fields.iter().any(|field| not_text(field.as_ref())) {
        flags.push(OrderFlag::AddressUnreadable);
    }
    let field = |value: &Option<Value>| clean(value.as_ref(), Address::FIELD);
    let mut address = Address {
        full_name: field(&info.shipping_full_name),
        address1: field(&info.shipping_address1),
        address2: field(&info.shipping_address2),
        address3: field(&info.shipping_address3),
        city: field(&info.shipping_city),
        province: field(&info.shipping_state),
        zip: field(&info.shipping_postal_code),
        phone: field(&info.shipping_phone),
        ..Address::default()
    };
    if let Some(country) = text(info.shipping_country_code.as_ref()) {
        address.set_country(&country);
    }
    (address != Address::default()).then_some(address)
}

#[cfg(test)]
mod tests;
