//! Checks of what a delivery waits for: the rows named when it was queued, and nothing else
//! (design sections 6 and 11). A row is claimed once every row it waits for is delivered or
//! resolved; independent rows of one order go together; a whole-order call not yet taken by a
//! sender is superseded by a newer one, which its waiters then wait for.

use orderbridge_domain::outbox::{DeliveryKind, DeliveryState, NewDelivery, WaitFor};
use orderbridge_domain::ports::store::{AttemptResult, Claimed, Store};
use orderbridge_domain::values::{DeliveryId, FulfillmentId, LineNo, RefundId};

use crate::fixtures::id;
use crate::queue::{all, claim, delivered, finish, queued};

fn parked() -> AttemptResult {
    AttemptResult::Dead {
        error: "422 refused".to_owned(),
    }
}

fn refund_line(line: u32) -> DeliveryKind {
    DeliveryKind::Refund {
        refund: RefundId::from_uuid(id()),
        line: Some(LineNo::new(line).unwrap()),
    }
}

fn kinds(claimed: &[Claimed]) -> Vec<DeliveryKind> {
    let mut kinds: Vec<DeliveryKind> = claimed.iter().map(|c| c.delivery.kind).collect();
    kinds.sort_by_key(ToString::to_string);
    kinds
}

/// Queues `rows` (kind, waits) on the stored order `order_id`, at `at(seconds)`.
async fn queue_more(
    store: &dyn Store,
    order_id: orderbridge_domain::values::OrderId,
    seconds: i64,
    rows: &[(DeliveryKind, Vec<WaitFor>)],
) -> Vec<DeliveryId> {
    let order = store.get(order_id).await.unwrap().unwrap();
    let rows: Vec<NewDelivery> = rows
        .iter()
        .map(|(kind, waits)| NewDelivery {
            id: DeliveryId::from_uuid(id()),
            order_id,
            channel: order.channel().clone(),
            kind: *kind,
            created_at: crate::fixtures::at(seconds),
            waits_for: waits.clone(),
        })
        .collect();
    store.save(&order, &rows, &[]).await.unwrap();
    rows.iter().map(|r| r.id).collect()
}

async fn state_of(store: &dyn Store, id: DeliveryId) -> DeliveryState {
    store.delivery(id).await.unwrap().unwrap().state
}

pub async fn a_row_waits_only_for_the_rows_it_names(store: &dyn Store) {
    let refund = refund_line(2);
    queued(
        store,
        "W-1",
        0,
        &[
            DeliveryKind::Confirm,
            DeliveryKind::OrderFulfillment,
            refund,
        ],
    )
    .await;
    let first = claim(store, 10).await;
    assert_eq!(
        kinds(&first),
        [DeliveryKind::Confirm],
        "everything else waits for the confirmation"
    );
    finish(store, &first[0], delivered(11)).await;
    let second = claim(store, 20).await;
    assert_eq!(
        kinds(&second),
        [DeliveryKind::OrderFulfillment],
        "the refund waits for the whole-order call"
    );
    finish(store, &second[0], parked()).await;
    assert!(
        claim(store, 30).await.is_empty(),
        "a parked row holds back what waits for it"
    );
    let requeued = store
        .requeue(
            second[0].delivery.id,
            crate::fixtures::at(40),
            &crate::fixtures::event(
                orderbridge_domain::order::EventType::DeliveryRequeued,
                40,
                "requeued",
            ),
        )
        .await
        .unwrap();
    let third = claim(store, 40).await;
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].delivery.id, requeued.id);
    finish(store, &third[0], delivered(41)).await;
    let last = claim(store, 50).await;
    assert_eq!(kinds(&last), [refund], "delivered: its waiter goes");
}

pub async fn independent_rows_go_together_and_a_parked_one_holds_back_nothing(store: &dyn Store) {
    let shipments: Vec<DeliveryKind> = (0..3)
        .map(|_| DeliveryKind::Fulfillment(FulfillmentId::from_uuid(id())))
        .collect();
    let order = queued(store, "W-2", 0, &[]).await;
    queue_more(
        store,
        order.id(),
        1,
        &shipments
            .iter()
            .map(|k| (*k, Vec::new()))
            .collect::<Vec<_>>(),
    )
    .await;
    let claimed = claim(store, 10).await;
    assert_eq!(
        claimed.len(),
        3,
        "shipments of one order do not wait for each other"
    );
    finish(store, &claimed[0], parked()).await;
    for other in &claimed[1..] {
        finish(store, other, delivered(11)).await;
    }
    let states: Vec<DeliveryState> = all(store).await.iter().map(|d| d.state).collect();
    assert_eq!(
        states
            .iter()
            .filter(|s| **s == DeliveryState::Delivered)
            .count(),
        2
    );
    assert_eq!(
        states.iter().filter(|s| **s == DeliveryState::Dead).count(),
        1
    );
}

pub async fn a_refund_waits_for_the_shipments_holding_its_lines(store: &dyn Store) {
    let first = FulfillmentId::from_uuid(id());
    let second = FulfillmentId::from_uuid(id());
    let order = queued(store, "W-3", 0, &[]).await;
    queue_more(
        store,
        order.id(),
        1,
        &[
            (DeliveryKind::Fulfillment(first), Vec::new()),
            (DeliveryKind::Fulfillment(second), Vec::new()),
        ],
    )
    .await;
    let refund = refund_line(1);
    queue_more(
        store,
        order.id(),
        2,
        &[(refund, vec![WaitFor::Fulfillment(first)])],
    )
    .await;
    let claimed = claim(store, 10).await;
    assert_eq!(
        kinds(&claimed).len(),
        2,
        "both shipments go; the refund waits: {:?}",
        kinds(&claimed)
    );
    for c in &claimed {
        let result = if c.delivery.kind == DeliveryKind::Fulfillment(second) {
            parked()
        } else {
            delivered(11)
        };
        finish(store, c, result).await;
    }
    let refunds = claim(store, 20).await;
    assert_eq!(
        kinds(&refunds),
        [refund],
        "the refund waits for its line's shipment only, not the other one parked"
    );
}

pub async fn a_newer_whole_order_call_supersedes_the_pending_one_and_takes_its_waiters(
    store: &dyn Store,
) {
    let refund = refund_line(1);
    let order = queued(
        store,
        "W-4",
        0,
        &[
            DeliveryKind::Confirm,
            DeliveryKind::OrderFulfillment,
            refund,
        ],
    )
    .await;
    let old = all(store)
        .await
        .into_iter()
        .find(|d| d.kind == DeliveryKind::OrderFulfillment)
        .unwrap();
    let new = queue_more(
        store,
        order.id(),
        5,
        &[(DeliveryKind::OrderFulfillment, vec![WaitFor::Confirm])],
    )
    .await
    .remove(0);
    assert_eq!(state_of(store, old.id).await, DeliveryState::Superseded);
    assert_eq!(state_of(store, new).await, DeliveryState::Pending);
    let confirm = claim(store, 10).await;
    assert_eq!(kinds(&confirm), [DeliveryKind::Confirm]);
    finish(store, &confirm[0], delivered(11)).await;
    let call = claim(store, 20).await;
    assert_eq!(call.len(), 1, "one whole-order call pending at most");
    assert_eq!(call[0].delivery.id, new);
    assert!(
        claim(store, 21).await.is_empty(),
        "the refund now waits for the new call"
    );
    finish(store, &call[0], delivered(22)).await;
    assert_eq!(kinds(&claim(store, 30).await), [refund]);
    assert_eq!(
        state_of(store, old.id).await,
        DeliveryState::Superseded,
        "a superseded call is never sent"
    );
}

pub async fn a_whole_order_call_being_sent_is_not_superseded(store: &dyn Store) {
    let order = queued(store, "W-5", 0, &[DeliveryKind::OrderFulfillment]).await;
    let sending = claim(store, 10).await.remove(0);
    let new = queue_more(
        store,
        order.id(),
        11,
        &[(DeliveryKind::OrderFulfillment, Vec::new())],
    )
    .await
    .remove(0);
    assert_eq!(
        state_of(store, sending.delivery.id).await,
        DeliveryState::Pending,
        "a call a sender holds may be on the wire: it stays"
    );
    finish(store, &sending, delivered(12)).await;
    let next = claim(store, 20).await;
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0].delivery.id, new,
        "the newer call still goes, with the state of its own send"
    );
}
