//! Erasing an order's personal data under `retention.days` (design section 11): what is
//! erased, once, for every store.

use crate::order::{Order, OrderEvent};

impl Order {
    /// Erases the customer's personal data: the email, the shipping address (names, street
    /// lines, phone and all), the payload as received and the free-text notes of its
    /// cancellations and refunds. Lines, totals, shipments and history stay; `event` (a
    /// `personal_data_erased` entry) is appended and its time kept as
    /// [`Order::erased_at`]. The SQL stores erase the same columns in their own statements;
    /// the in-memory store calls this.
    pub fn erase_personal_data(&mut self, event: OrderEvent) {
        self.email = None;
        self.shipping_address = None;
        self.raw_payload = None;
        for cancellation in &mut self.cancellations {
            cancellation.note = None;
        }
        for refund in &mut self.refunds {
            refund.note = None;
        }
        self.erased_at = Some(event.at);
        self.events.push(event);
    }
}
