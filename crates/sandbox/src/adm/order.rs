//! The order a test or the webhook sender hands ADM's side of the webhook: one generated
//! order ([`GeneratedOrder`]) with its id, its lines and its `orders/create` payload.

use serde_json::Value;

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
