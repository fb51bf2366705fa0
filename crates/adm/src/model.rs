//! ADM's outbound wire formats: the Create Fulfillment request body and the fields read back
//! from its responses. Private to the crate; the shape of the body lives in one function,
//! [`fulfillment_body`].

use orderbridge_domain::order::{Fulfillment, Order};
use orderbridge_domain::values::ExternalOrderId;
use serde::Serialize;
use serde_json::Value;

/// ADM's order id on the wire: a JSON integer when the id is all digits and fits `u64`, text
/// otherwise (design section 4: the documents type it as both).
pub(crate) fn order_id_json(id: &ExternalOrderId) -> Value {
    match id.as_u64() {
        Some(number) => Value::from(number),
        None => Value::from(id.as_str()),
    }
}

/// The Create Fulfillment body: seed 002's flat example shape.
#[derive(Debug, Serialize)]
pub(crate) struct FulfillmentBody<'a> {
    order_id: Value,
    line_items: Vec<FulfillmentLine>,
    tracking_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracking_url: Option<&'a str>,
}

/// One SKU of a shipment and its units.
#[derive(Debug, Serialize)]
struct FulfillmentLine {
    sku: String,
    quantity: u64,
}

/// Builds the body for one shipment: `{"order_id", "line_items": [{"sku", "quantity"}],
/// "tracking_number"}` plus `"tracking_url"` when known. Lines are summed per SKU, in the
/// order SKUs first appear, since ADM knows lines by SKU only. The carrier is not sent: ADM's
/// documents have no field for it.
pub(crate) fn fulfillment_body<'a>(
    order: &Order,
    fulfillment: &'a Fulfillment,
) -> FulfillmentBody<'a> {
    FulfillmentBody {
        order_id: order_id_json(order.external_id()),
        line_items: fulfillment
            .units_by_sku()
            .into_iter()
            .map(|(sku, quantity)| FulfillmentLine {
                sku: sku.as_str().to_owned(),
                quantity,
            })
            .collect(),
        tracking_number: fulfillment.tracking_number().as_str(),
        tracking_url: fulfillment.tracking_url().map(|url| url.as_str()),
    }
}

/// The text of a string field of a JSON object body, if the body is one and has it.
pub(crate) fn text_field(body: &Value, field: &str) -> Option<String> {
    match body.get(field)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The response body as JSON, or `Null` when it is not JSON.
pub(crate) fn response_json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}
