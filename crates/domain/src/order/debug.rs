//! `Debug` for the types that hold a whole order: ids, times, counts, totals and flags, never
//! the customer's email or address, the raw payload or notes, so that an order printed in a
//! log, a panic or a test failure carries no personal data (ARCHITECTURE.md, "Across crates").

use std::fmt::{Debug, Formatter, Result};

use crate::order::{NewOrder, Order, OrderRecord};

/// `Some("[redacted]")` for a value that is there, `None` otherwise.
fn redacted<T>(value: Option<&T>) -> Option<&'static str> {
    value.map(|_| "[redacted]")
}

/// The raw payload as its length only.
fn payload_len(payload: Option<&String>) -> Option<String> {
    payload.map(|text| format!("[redacted, {} bytes]", text.len()))
}

impl Debug for Order {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        f.debug_struct("Order")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("external_id", &self.external_id)
            .field("version", &self.version)
            .field("status", &self.status())
            .field("currency", &self.currency)
            .field("placed_at", &self.placed_at)
            .field("received_at", &self.received_at)
            .field("updated_at", &self.updated_at)
            .field("deliver_by", &self.deliver_by)
            .field("email", &redacted(self.email.as_ref()))
            .field(
                "shipping_address",
                &redacted(self.shipping_address.as_ref()),
            )
            .field("shipping_service", &self.shipping_service)
            .field("totals", &self.totals)
            .field("lines", &self.lines.len())
            .field("fulfillments", &self.fulfillments.len())
            .field("cancellations", &self.cancellations.len())
            .field("refunds", &self.refunds.len())
            .field("events", &self.events.len())
            .field("raw_payload", &payload_len(self.raw_payload.as_ref()))
            .field("flags", &self.flags)
            .field("marketplace", &self.marketplace)
            .field("erased_at", &self.erased_at)
            .finish_non_exhaustive()
    }
}

impl Debug for NewOrder {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        f.debug_struct("NewOrder")
            .field("channel", &self.channel)
            .field("external_id", &self.external_id)
            .field("currency", &self.currency)
            .field("placed_at", &self.placed_at)
            .field("deliver_by", &self.deliver_by)
            .field("email", &redacted(self.email.as_ref()))
            .field(
                "shipping_address",
                &redacted(self.shipping_address.as_ref()),
            )
            .field("shipping_service", &self.shipping_service)
            .field("totals", &self.totals)
            .field("lines", &self.lines)
            .field("raw_payload", &payload_len(self.raw_payload.as_ref()))
            .field("flags", &self.flags)
            .finish()
    }
}

impl Debug for OrderRecord {
    fn fmt(&self, f: &mut Formatter<'_>) -> Result {
        f.debug_struct("OrderRecord")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .field("external_id", &self.external_id)
            .field("version", &self.version)
            .field("currency", &self.currency)
            .field("placed_at", &self.placed_at)
            .field("received_at", &self.received_at)
            .field("updated_at", &self.updated_at)
            .field("deliver_by", &self.deliver_by)
            .field("email", &redacted(self.email.as_ref()))
            .field(
                "shipping_address",
                &redacted(self.shipping_address.as_ref()),
            )
            .field("shipping_service", &self.shipping_service)
            .field("totals", &self.totals)
            .field("lines", &self.lines)
            .field("fulfillments", &self.fulfillments.len())
            .field("cancellations", &self.cancellations.len())
            .field("refunds", &self.refunds.len())
            .field("events", &self.events.len())
            .field("raw_payload", &payload_len(self.raw_payload.as_ref()))
            .field("flags", &self.flags)
            .field("marketplace", &self.marketplace)
            .field("erased_at", &self.erased_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::order::Order;
    use crate::testing::new_order;
    use crate::values::{Address, Email, EventId, OrderId};

    #[test]
    fn an_order_prints_its_ids_and_counts_and_no_personal_data() {
        let mut new = new_order("adm", "1001", &[("SKU-1", 2, "9.99")]).unwrap();
        new.email = Email::read("zq.customer@example.org");
        new.shipping_address = Some(Address {
            first_name: Some("Zebediah".to_owned()),
            address1: Some("742 Evergreen Terrace".to_owned()),
            city: Some("Springfieldshire".to_owned()),
            phone: Some("555-867-5309".to_owned()),
            ..Address::default()
        });
        new.raw_payload = Some(
            r#"{"email":"zq.customer@example.org","address1":"742 Evergreen Terrace"}"#.to_owned(),
        );
        let new_text = format!("{new:?}");
        let order = Order::create(
            new,
            OrderId::from_uuid(uuid::Uuid::from_u128(7)),
            EventId::from_uuid(uuid::Uuid::from_u128(8)),
            chrono::Utc::now(),
        )
        .unwrap();
        let record_text = format!("{:?}", order.to_record());
        let order_text = format!("{order:?}");
        for text in [&new_text, &order_text, &record_text, &format!("{order:#?}")] {
            for personal in [
                "zq.customer",
                "example.org",
                "Zebediah",
                "Evergreen",
                "Springfieldshire",
                "867-5309",
            ] {
                assert!(!text.contains(personal), "{personal:?} in {text}");
            }
            assert!(
                text.contains("1001") && text.contains("[redacted"),
                "{text}"
            );
        }
        assert!(order_text.contains(&order.id().to_string()), "{order_text}");
        assert!(order_text.contains("lines: 1"), "{order_text}");
    }
}
