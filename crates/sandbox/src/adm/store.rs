//! What the fake ADM holds: registered orders with the units shipped so far and the
//! fulfillments it accepted (its request log is the kit's, beside it).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::adm::wire::{FulfillmentRequest, ORDER_NOT_FOUND, Rejection, rfc3339};

/// One line of an accepted fulfillment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfilledLine {
    /// The SKU sent.
    pub sku: String,
    /// The units sent.
    pub quantity: u64,
}

/// A fulfillment the fake ADM accepted (answered `200`).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedFulfillment {
    /// `order_id` as text (an integer in decimal).
    pub order_id: String,
    /// `order_id` exactly as sent: a JSON integer or string.
    pub order_id_sent: Value,
    /// `line_items` in the order sent.
    pub line_items: Vec<FulfilledLine>,
    /// `tracking_number`.
    pub tracking_number: String,
    /// `tracking_url`, when sent.
    pub tracking_url: Option<String>,
    /// When the request arrived; also the answer's `created_at`.
    pub received_at: DateTime<Utc>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// The header that carried the API key: `authorization` or the configured one.
    pub key_header: String,
    /// The raw body, as text.
    pub body: String,
}

impl ReceivedFulfillment {
    /// As JSON, for the control path.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let lines: Vec<Value> = self
            .line_items
            .iter()
            .map(|line| json!({"sku": line.sku, "quantity": line.quantity}))
            .collect();
        json!({
            "order_id": self.order_id,
            "order_id_sent": self.order_id_sent,
            "line_items": lines,
            "tracking_number": self.tracking_number,
            "tracking_url": self.tracking_url,
            "received_at": rfc3339(self.received_at),
            "content_type": self.content_type,
            "user_agent": self.user_agent,
            "key_header": self.key_header,
            "body": self.body,
        })
    }
}

/// A registered order: units ordered and shipped per SKU.
#[derive(Debug, Default)]
struct KnownOrder {
    ordered: BTreeMap<String, u64>,
    shipped: BTreeMap<String, u64>,
}

#[derive(Debug)]
struct State {
    orders: HashMap<String, KnownOrder>,
    accepted: VecDeque<ReceivedFulfillment>,
    /// Hashes of (order id, tracking number) accepted so far, to count repeats.
    seen: HashSet<u64>,
    duplicates: u64,
    accepted_total: u64,
    keep: usize,
}

/// The fake ADM's memory, behind one mutex.
#[derive(Debug)]
pub(crate) struct Store {
    state: Mutex<State>,
    accepted_total: watch::Sender<u64>,
}

impl Store {
    /// An empty store keeping at most `keep` accepted fulfillments (the oldest go first; the
    /// counters keep counting).
    pub(crate) fn new(keep: usize) -> Self {
        Self {
            state: Mutex::new(State {
                orders: HashMap::new(),
                accepted: VecDeque::new(),
                seen: HashSet::new(),
                duplicates: 0,
                accepted_total: 0,
                keep,
            }),
            accepted_total: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update below leaves the state consistent before it can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers (or replaces) an order; its shipped units start at zero.
    pub(crate) fn register(&self, id: &str, lines: &[(&str, u32)]) {
        let mut order = KnownOrder::default();
        for (sku, quantity) in lines {
            let entry = order.ordered.entry((*sku).to_owned()).or_default();
            *entry = entry.saturating_add(u64::from(*quantity));
        }
        self.lock().orders.insert(id.to_owned(), order);
    }

    /// Checks a valid request against what ADM knows and, when it passes, records it as
    /// accepted: `404` for an unknown order unless `accept_unknown`, `400` Invalid SKU or
    /// Quantity for a SKU not on a known order or more units than it has left.
    pub(crate) fn accept(
        &self,
        request: &FulfillmentRequest,
        accept_unknown: bool,
        received: ReceivedFulfillment,
    ) -> Result<(), Rejection> {
        let mut state = self.lock();
        if let Some(order) = state.orders.get_mut(&request.order_id) {
            let units = request.units_by_sku();
            for (sku, quantity) in &units {
                let ordered = order.ordered.get(*sku).copied().unwrap_or(0);
                let shipped = order.shipped.get(*sku).copied().unwrap_or(0);
                if shipped.saturating_add(*quantity) > ordered {
                    return Err(Rejection::invalid_lines());
                }
            }
            for (sku, quantity) in units {
                let shipped = order.shipped.entry(sku.to_owned()).or_default();
                *shipped = shipped.saturating_add(quantity);
            }
        } else if !accept_unknown {
            return Err(Rejection::fixed(StatusCode::NOT_FOUND, ORDER_NOT_FOUND));
        }
        let key = pair_hash(&request.order_id, &request.tracking_number);
        if !state.seen.insert(key) {
            state.duplicates += 1;
        }
        state.accepted_total += 1;
        let total = state.accepted_total;
        let keep = state.keep;
        push_capped(&mut state.accepted, received, keep);
        drop(state);
        self.accepted_total.send_replace(total);
        Ok(())
    }

    pub(crate) fn accepted(&self) -> Vec<ReceivedFulfillment> {
        self.lock().accepted.iter().cloned().collect()
    }

    pub(crate) fn accepted_count(&self) -> u64 {
        *self.accepted_total.borrow()
    }

    pub(crate) fn duplicates(&self) -> u64 {
        self.lock().duplicates
    }

    /// Units of `sku` accepted so far for a registered order (`None` for an unknown order).
    pub(crate) fn shipped(&self, order_id: &str, sku: &str) -> Option<u64> {
        let state = self.lock();
        let order = state.orders.get(order_id)?;
        Some(order.shipped.get(sku).copied().unwrap_or(0))
    }

    pub(crate) async fn wait_for_accepted(&self, n: u64, timeout: Duration) -> bool {
        let mut receiver = self.accepted_total.subscribe();
        matches!(
            tokio::time::timeout(timeout, receiver.wait_for(|total| *total >= n)).await,
            Ok(Ok(_))
        )
    }

    /// Forgets orders, accepted fulfillments and counters.
    pub(crate) fn reset(&self) {
        let mut state = self.lock();
        state.orders.clear();
        state.accepted.clear();
        state.seen.clear();
        state.duplicates = 0;
        state.accepted_total = 0;
        drop(state);
        self.accepted_total.send_replace(0);
    }
}

fn push_capped<T>(queue: &mut VecDeque<T>, item: T, keep: usize) {
    if keep == 0 {
        return;
    }
    while queue.len() >= keep {
        queue.pop_front();
    }
    queue.push_back(item);
}

/// A 64-bit hash of the pair, to count repeats without keeping every string (a benchmark
/// sends millions). `DefaultHasher::new()` uses fixed keys, so this is stable in a process.
fn pair_hash(order_id: &str, tracking_number: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (order_id, tracking_number).hash(&mut hasher);
    hasher.finish()
}
