//! What the fake FeedAMP holds: its orders in creation order (the new-orders feed is the
//! unconfirmed ones), their confirm and fulfil history, and the refunds posted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops::Bound;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::feedamp::order::{AddOrderError, SandboxOrder};
use crate::feedamp::wire::ApiError;
use crate::feedamp::wire::fulfil::{FulfilBody, LineFulfilment};
use crate::feedamp::wire::order::BuiltOrder;
use crate::feedamp::wire::refund::RefundBody;

/// The first id the sandbox gives an order added without one (18 digits, like FeedAMP's).
const FIRST_ASSIGNED_ID: u64 = 109_872_189_273_600_000;
/// The first refund id.
const FIRST_REFUND_ID: u64 = 500_000_000_000_000_001;

/// A v1 order's `state`, as the fake FeedAMP moves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// `ORDERED`: not yet confirmed, nothing fulfilled.
    Ordered,
    /// `PLACED`: confirmed, nothing fulfilled.
    Placed,
    /// `IN_PROGRESS`: some units shipped or cancelled, not all.
    InProgress,
    /// `SHIPPED`: every unit shipped or cancelled, at least one shipped; locked.
    Shipped,
    /// `CANCELLED`: every unit cancelled, or the marketplace cancelled the order; locked.
    Cancelled,
}

impl OrderState {
    /// The wire text.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ordered => "ORDERED",
            Self::Placed => "PLACED",
            Self::InProgress => "IN_PROGRESS",
            Self::Shipped => "SHIPPED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Whether the order takes no different fulfilment any more.
    #[must_use]
    pub fn is_locked(self) -> bool {
        matches!(self, Self::Shipped | Self::Cancelled)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug)]
struct StoredOrder {
    order: BuiltOrder,
    confirm_count: u32,
    /// The fulfilment state last set, by line.
    fulfilment: BTreeMap<String, LineFulfilment>,
    /// The last accepted fulfil body.
    fulfilment_body: Option<Value>,
    fulfil_calls: Vec<Value>,
    /// Units refunded per line.
    refunded: HashMap<String, u64>,
    /// Paused at the marketplace (`paused: 1`): fulfil calls are refused until released.
    paused: bool,
    /// Cancelled at the marketplace: `CANCELLED` whatever was fulfilled.
    cancelled_by_marketplace: bool,
}

/// What the marketplace does to an order (the control paths of `control.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MarketplaceAction {
    /// Cancels the order: its state reads `CANCELLED` from now on.
    Cancel,
    /// Pauses it (`paused: 1`).
    Pause,
    /// Releases it (`paused: 0`).
    Release,
}

impl StoredOrder {
    fn state(&self) -> OrderState {
        if self.cancelled_by_marketplace {
            return OrderState::Cancelled;
        }
        let (mut shipped, mut cancelled, mut complete) = (0, 0, true);
        for (number, ordered) in &self.order.lines {
            let line = self.fulfilment.get(number);
            let line_shipped = line.map_or(0, LineFulfilment::shipped);
            let line_cancelled = line.map_or(0, LineFulfilment::cancelled);
            shipped += line_shipped;
            cancelled += line_cancelled;
            complete &= line_shipped + line_cancelled == *ordered;
        }
        match (complete, shipped, cancelled) {
            (true, 0, _) => OrderState::Cancelled,
            (true, _, _) => OrderState::Shipped,
            (false, 0, 0) if self.confirm_count > 0 => OrderState::Placed,
            (false, 0, 0) => OrderState::Ordered,
            (false, _, _) => OrderState::InProgress,
        }
    }

    /// The v1 order object.
    fn to_json(&self, include_raw: bool) -> Value {
        let mut object = self.order.json.clone();
        let state = self.state();
        let marketplace_state = match state {
            OrderState::Shipped => "SHIPPED",
            OrderState::Cancelled => "CANCELLED",
            _ => self.order.marketplace_state.as_str(),
        };
        object.insert("state".into(), json!(state.as_str()));
        object.insert("paused".into(), json!(u8::from(self.paused)));
        object.insert("marketplace_state".into(), json!(marketplace_state));
        object.insert(
            "acknowledged".into(),
            json!(u8::from(self.confirm_count > 0)),
        );
        if include_raw {
            object.insert("raw_data".into(), self.order.raw.clone());
        }
        Value::Object(object)
    }
}

#[derive(Debug, Default)]
struct Inner {
    orders: BTreeMap<u64, StoredOrder>,
    by_id: HashMap<String, u64>,
    unconfirmed: BTreeSet<u64>,
    next_seq: u64,
    refunds: Vec<(String, Value)>,
    refund_numbers: HashMap<String, String>,
    duplicate_refunds: u64,
    next_refund: u64,
}

impl Inner {
    fn order(&self, id: &str) -> Result<&StoredOrder, ApiError> {
        self.by_id
            .get(id)
            .and_then(|seq| self.orders.get(seq))
            .ok_or_else(|| ApiError::not_found(id))
    }

    fn order_mut(&mut self, id: &str) -> Result<&mut StoredOrder, ApiError> {
        self.by_id
            .get(id)
            .and_then(|seq| self.orders.get_mut(seq))
            .ok_or_else(|| ApiError::not_found(id))
    }
}

/// One page of the new-orders feed.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) orders: Vec<Value>,
    /// The sequence number of the last order returned, when more unconfirmed orders follow.
    pub(crate) next_after: Option<u64>,
}

/// The orders and refunds, behind one mutex; `version` counts changes for waiters.
#[derive(Debug)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
    version: watch::Sender<u64>,
}

impl Store {
    pub(crate) fn new() -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            version: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every change below checks first and writes after, so a poisoned state is consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn changed(&self) {
        self.version.send_modify(|version| *version += 1);
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Adds orders, all or none; returns their ids.
    pub(crate) fn add(&self, orders: Vec<SandboxOrder>) -> Result<Vec<String>, AddOrderError> {
        let mut inner = self.lock();
        let mut built = Vec::with_capacity(orders.len());
        let mut new_ids = BTreeSet::new();
        for (offset, order) in (0_u64..).zip(orders) {
            let seq = inner.next_seq + offset;
            let id = order
                .order_id()
                .map_or_else(|| (FIRST_ASSIGNED_ID + seq).to_string(), str::to_owned);
            if inner.by_id.contains_key(&id) || !new_ids.insert(id.clone()) {
                return Err(AddOrderError::DuplicateId(id));
            }
            built.push(order.build(id, (1000 + seq).to_string())?);
        }
        let mut ids = Vec::with_capacity(built.len());
        for order in built {
            let seq = inner.next_seq;
            inner.next_seq += 1;
            ids.push(order.id.clone());
            inner.by_id.insert(order.id.clone(), seq);
            inner.unconfirmed.insert(seq);
            inner.orders.insert(
                seq,
                StoredOrder {
                    order,
                    confirm_count: 0,
                    fulfilment: BTreeMap::new(),
                    fulfilment_body: None,
                    fulfil_calls: Vec::new(),
                    refunded: HashMap::new(),
                    paused: false,
                    cancelled_by_marketplace: false,
                },
            );
        }
        drop(inner);
        self.changed();
        Ok(ids)
    }

    /// Up to `limit` unconfirmed orders after sequence number `after`, in creation order.
    pub(crate) fn page(&self, after: Option<u64>, limit: usize, include_raw: bool) -> Page {
        let inner = self.lock();
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut seqs = inner.unconfirmed.range((start, Bound::Unbounded)).copied();
        let page: Vec<u64> = seqs.by_ref().take(limit).collect();
        let more = seqs.next().is_some();
        let orders = page
            .iter()
            .filter_map(|seq| inner.orders.get(seq))
            .map(|order| order.to_json(include_raw))
            .collect();
        Page {
            orders,
            next_after: if more { page.last().copied() } else { None },
        }
    }

    pub(crate) fn get(&self, id: &str, include_raw: bool) -> Result<Value, ApiError> {
        Ok(self.lock().order(id)?.to_json(include_raw))
    }

    /// Confirms receipt; a repeat is answered the same and counted.
    pub(crate) fn confirm(&self, id: &str) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let seq = *inner.by_id.get(id).ok_or_else(|| ApiError::not_found(id))?;
        inner.unconfirmed.remove(&seq);
        let order = inner.order_mut(id)?;
        order.confirm_count += 1;
        let answer = json!({"order": {
            "id": order.order.id,
            "cp_order_number": order.order.cp_order_number,
            "state": order.state().as_str(),
        }});
        drop(inner);
        self.changed();
        Ok(answer)
    }

    /// Replaces the order's fulfilment state with `body` (see the module docs of `feedamp`).
    pub(crate) fn fulfil(&self, id: &str, body: FulfilBody) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let order = inner.order_mut(id)?;
        let state = order.state();
        if order.paused {
            return Err(ApiError::bad_request(format!(
                "order {id:?} is paused: it takes no fulfilment until it is released"
            )));
        }
        if state.is_locked() {
            if body.lines != order.fulfilment {
                return Err(ApiError::bad_request(format!(
                    "order {id:?} is {state}: every unit is shipped or cancelled and it rejects \
                     further fulfilment updates"
                )));
            }
        } else {
            check_against_order(&order.order, &body)?;
            order.fulfilment = body.lines;
        }
        order.fulfil_calls.push(body.body.clone());
        order.fulfilment_body = Some(body.body);
        let answer = json!({ "order": order.to_json(false) });
        drop(inner);
        self.changed();
        Ok(answer)
    }

    /// Records a one-line refund.
    pub(crate) fn refund(&self, id: &str, body: RefundBody) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        inner.order(id)?;
        if let Some(earlier) = inner.refund_numbers.get(&body.cp_refund_number) {
            let error = format!(
                "duplicate cp_refund_number {:?}: refund {earlier} already has it",
                body.cp_refund_number
            );
            inner.duplicate_refunds += 1;
            drop(inner);
            self.changed();
            return Err(ApiError::bad_request(error));
        }
        let refund_id = (FIRST_REFUND_ID + inner.next_refund).to_string();
        let order = inner.order_mut(id)?;
        let Some(ordered) = order
            .order
            .lines
            .iter()
            .find(|(number, _)| *number == body.mp_line_number)
            .map(|(_, quantity)| *quantity)
        else {
            return Err(ApiError::bad_request(format!(
                "mp_line_number {:?} is not a line of order {id:?}",
                body.mp_line_number
            )));
        };
        if body.currency != order.order.currency {
            return Err(ApiError::bad_request(format!(
                "currency {:?} is not the order's currency {:?}",
                body.currency, order.order.currency
            )));
        }
        let refunded = order
            .refunded
            .get(&body.mp_line_number)
            .copied()
            .unwrap_or(0);
        if refunded + body.refund_quantity > ordered {
            return Err(ApiError::bad_request(format!(
                "refund_quantity {} on line {:?} would refund {} of {ordered} units ordered",
                body.refund_quantity,
                body.mp_line_number,
                refunded + body.refund_quantity
            )));
        }
        order
            .refunded
            .insert(body.mp_line_number.clone(), refunded + body.refund_quantity);
        inner.next_refund += 1;
        inner
            .refund_numbers
            .insert(body.cp_refund_number, refund_id.clone());
        inner.refunds.push((id.to_owned(), body.info.clone()));
        drop(inner);
        self.changed();
        Ok(json!({
            "id": refund_id,
            "order_id": id,
            "state": "CREATED",
            "refund_info": body.info,
        }))
    }

    /// Cancels, pauses or releases the order at the marketplace's word; the order as served.
    pub(crate) fn marketplace(
        &self,
        id: &str,
        action: MarketplaceAction,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let order = inner.order_mut(id)?;
        match action {
            MarketplaceAction::Cancel => order.cancelled_by_marketplace = true,
            MarketplaceAction::Pause => order.paused = true,
            MarketplaceAction::Release => order.paused = false,
        }
        let answer = order.to_json(false);
        drop(inner);
        self.changed();
        Ok(answer)
    }

    pub(crate) fn state(&self, id: &str) -> Option<OrderState> {
        self.lock().order(id).ok().map(StoredOrder::state)
    }

    pub(crate) fn order_json(&self, id: &str) -> Option<Value> {
        self.lock().order(id).ok().map(|order| order.to_json(false))
    }

    pub(crate) fn confirm_count(&self, id: &str) -> u32 {
        self.lock().order(id).map_or(0, |order| order.confirm_count)
    }

    pub(crate) fn fulfil_calls(&self, id: &str) -> Vec<Value> {
        self.lock()
            .order(id)
            .map(|order| order.fulfil_calls.clone())
            .unwrap_or_default()
    }

    pub(crate) fn fulfilment(&self, id: &str) -> Option<Value> {
        self.lock().order(id).ok()?.fulfilment_body.clone()
    }

    pub(crate) fn refunds(&self) -> Vec<(String, Value)> {
        self.lock().refunds.clone()
    }

    pub(crate) fn duplicate_refunds(&self) -> u64 {
        self.lock().duplicate_refunds
    }

    /// Every order id, in creation order.
    pub(crate) fn ids(&self) -> Vec<String> {
        let inner = self.lock();
        inner.orders.values().map(|o| o.order.id.clone()).collect()
    }

    pub(crate) fn unconfirmed_count(&self) -> usize {
        self.lock().unconfirmed.len()
    }

    /// A summary of every order, for the control path.
    pub(crate) fn summary(&self) -> Value {
        let inner = self.lock();
        let orders: Vec<Value> = inner
            .orders
            .values()
            .map(|order| {
                json!({
                    "id": order.order.id,
                    "state": order.state().as_str(),
                    "confirm_count": order.confirm_count,
                    "fulfil_calls": order.fulfil_calls.len(),
                    "paused": order.paused,
                    "fulfilment": order.fulfilment_body,
                })
            })
            .collect();
        json!({ "orders": orders, "unconfirmed": inner.unconfirmed.len() })
    }

    pub(crate) fn reset(&self) {
        *self.lock() = Inner::default();
        self.changed();
    }
}

/// Lines the order has, and per line shipped + cancelled <= ordered.
fn check_against_order(order: &BuiltOrder, body: &FulfilBody) -> Result<(), ApiError> {
    if let Some(number) = body
        .mentioned
        .iter()
        .find(|number| !order.lines.iter().any(|(known, _)| known == *number))
    {
        return Err(ApiError::bad_request(format!(
            "mp_line_number {number:?} is not a line of order {:?}",
            order.id
        )));
    }
    for (number, line) in &body.lines {
        let ordered = order
            .lines
            .iter()
            .find(|(known, _)| known == number)
            .map_or(0, |(_, ordered)| *ordered);
        let (shipped, cancelled) = (line.shipped(), line.cancelled());
        if shipped + cancelled > ordered {
            return Err(ApiError::bad_request(format!(
                "line {number:?}: {shipped} shipped + {cancelled} cancelled is more than the \
                 {ordered} ordered"
            )));
        }
    }
    Ok(())
}
