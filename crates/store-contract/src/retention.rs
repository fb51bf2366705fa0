//! Checks of retention: which orders are due for erasure (complete long enough, every delivery
//! done; never an incomplete one or one with a pending or parked delivery), what erasing takes
//! and keeps (the history records it), that erasing is idempotent and checks again that the
//! order is due, keyset pages, and quarantined bodies (never a rejected one).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use orderbridge_domain::inbound::{InboundState, NewInbound};
use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, EventType, Order, OrderEvent,
    RefundLineRequest, RefundReason, RefundRequest,
};
use orderbridge_domain::outbox::DeliveryKind;
use orderbridge_domain::ports::store::{AttemptResult, Claimed, SaveError, Store};
use orderbridge_domain::retention::Erasure;
use orderbridge_domain::values::{
    CancellationId, ChannelId, Currency, EventId, InboundId, LineNo, Money, OrderId, RefundId,
};

use crate::fixtures::{at, create, dec, deliveries, event, id, insert, sample, ship};
use crate::queue::{claim, delivered};

/// The cutoff of most checks.
const CUTOFF: i64 = 1_000;

/// An order received at `at(0)`, settled at `at(settled)` (its four units of ABC-123 shipped,
/// the rest cancelled with a note, and one unit refunded with a note), with `kinds` queued
/// then. As stored.
async fn settled(store: &dyn Store, name: &str, settled: i64, kinds: &[DeliveryKind]) -> Order {
    let mut order = insert(store, create(sample("adm", name), 0), &[]).await;
    ship(&mut order, &format!("1Z{name}"), "ABC-123", 4, settled);
    let cancel = CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::WholeOrder,
        note: Some("Zoë Ångström called to cancel".to_owned()),
    };
    order
        .cancel(
            &cancel,
            CancellationId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(settled),
        )
        .unwrap();
    let refund = RefundRequest {
        reference: None,
        reason: RefundReason::CustomerReturn,
        note: Some("refunded to Zoë at 123 Main Street".to_owned()),
        lines: vec![RefundLineRequest {
            line: LineNo::new(1).unwrap(),
            quantity: 1,
            amount: Money::new(dec("12.34"), Currency::USD),
        }],
    };
    order
        .refund(
            &refund,
            RefundId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(settled),
        )
        .unwrap();
    let rows = deliveries(&order, kinds, at(settled));
    store.save(&order, &rows, &[]).await.unwrap();
    store.get(order.id()).await.unwrap().unwrap()
}

/// Records `result` for `claimed` with a history entry at `at(seconds)`.
async fn finish_at(store: &dyn Store, claimed: &Claimed, result: AttemptResult, seconds: i64) {
    store
        .complete(
            &claimed.lease,
            &result,
            &event(EventType::Delivered, seconds, "outcome"),
        )
        .await
        .unwrap();
}

/// The only row a claim at `at(seconds)` takes.
async fn claim_one(store: &dyn Store, seconds: i64) -> Claimed {
    let mut claimed = claim(store, seconds).await;
    assert_eq!(claimed.len(), 1, "one row due");
    claimed.remove(0)
}

/// Every order due at `at(cutoff)`, with when it became complete, walking pages of `limit`.
async fn due(store: &dyn Store, cutoff: i64, limit: u32) -> BTreeMap<OrderId, DateTime<Utc>> {
    let mut found = BTreeMap::new();
    let mut after = None;
    loop {
        let page = store.due_orders(at(cutoff), after, limit).await.unwrap();
        for due in page.orders {
            assert!(found.insert(due.id, due.completed_at).is_none(), "twice");
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return found,
        }
    }
}

fn erasure(order: &Order, seconds: i64) -> Erasure {
    Erasure {
        order: order.id(),
        event: OrderEvent {
            id: EventId::from_uuid(id()),
            at: at(seconds),
            kind: EventType::PersonalDataErased,
            subject: None,
            detail: "customer email, shipping address, raw payload and notes erased".to_owned(),
        },
    }
}

pub async fn only_orders_complete_long_enough_with_every_delivery_done_are_due(store: &dyn Store) {
    let done = settled(store, "done", 100, &[]).await;
    let recent = settled(store, "recent", 2_000, &[]).await;
    let open = insert(store, create(sample("adm", "open"), 0), &[]).await;
    let mut partial = insert(store, create(sample("adm", "partial"), 0), &[]).await;
    ship(&mut partial, "1Zpartial", "XYZ", 1, 100);
    store.save(&partial, &[], &[]).await.unwrap();
    // Deliveries: each order's row is claimed and finished before the next is queued.
    let early = settled(store, "early", 100, &[]).await;
    let early_row = settled(store, "early-row", 100, &[DeliveryKind::OrderFulfillment]).await;
    finish_at(store, &claim_one(store, 150).await, delivered(200), 200).await;
    let late = settled(store, "late", 100, &[DeliveryKind::OrderFulfillment]).await;
    finish_at(store, &claim_one(store, 150).await, delivered(1_500), 1_500).await;
    let parked = settled(store, "parked", 100, &[DeliveryKind::OrderFulfillment]).await;
    let dead = AttemptResult::Dead {
        error: "400".to_owned(),
    };
    finish_at(store, &claim_one(store, 150).await, dead.clone(), 150).await;
    let resolved = settled(store, "resolved", 100, &[DeliveryKind::OrderFulfillment]).await;
    let row = claim_one(store, 150).await;
    finish_at(store, &row, dead, 150).await;
    store
        .resolve(
            row.delivery.id,
            &event(EventType::DeliveryResolved, 300, "done by hand"),
        )
        .await
        .unwrap();
    let pending = settled(store, "pending", 100, &[DeliveryKind::OrderFulfillment]).await;

    let expected: BTreeMap<OrderId, DateTime<Utc>> = [
        (done.id(), at(100)),
        (early.id(), at(100)),
        (early_row.id(), at(200)),
        (resolved.id(), at(300)),
    ]
    .into_iter()
    .collect();
    assert_eq!(due(store, CUTOFF, 100).await, expected);
    let later = due(store, 1_500, 100).await;
    assert_eq!(
        later.get(&late.id()),
        Some(&at(1_500)),
        "due from its delivery"
    );
    assert!(!later.contains_key(&recent.id()));
    for never in [&open, &partial, &parked, &pending] {
        assert!(
            !due(store, 1_000_000, 100).await.contains_key(&never.id()),
            "{} is never due",
            never.external_id()
        );
    }
    for not_due in [&recent, &open, &partial, &parked, &pending, &late] {
        let erased = store
            .erase_orders(&[erasure(not_due, 5_000)], at(CUTOFF))
            .await
            .unwrap();
        assert!(erased.is_empty(), "{} is not erased", not_due.external_id());
        let kept = store.get(not_due.id()).await.unwrap().unwrap();
        assert!(kept.email().is_some() && kept.erased_at().is_none());
    }
}

pub async fn erasing_empties_personal_data_and_keeps_lines_totals_and_history(store: &dyn Store) {
    let order = settled(store, "E-1", 100, &[]).await;
    let other = settled(store, "E-2", 100, &[]).await;
    let erasure = erasure(&order, 5_000);
    let erased = store
        .erase_orders(std::slice::from_ref(&erasure), at(CUTOFF))
        .await
        .unwrap();
    assert_eq!(erased, [order.id()]);
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    assert_eq!(loaded.email(), None);
    assert_eq!(loaded.shipping_address(), None);
    assert_eq!(loaded.raw_payload(), None);
    assert_eq!(loaded.cancellations()[0].note(), None);
    assert_eq!(loaded.refunds()[0].note(), None);
    assert_eq!(loaded.erased_at(), Some(at(5_000)));
    assert_eq!(loaded.version(), order.version().next());
    // What stays: everything else, to the digit.
    assert_eq!(loaded.lines(), order.lines());
    assert_eq!(loaded.totals(), order.totals());
    assert_eq!(loaded.refunded_total(), order.refunded_total());
    assert_eq!(loaded.fulfillments(), order.fulfillments());
    assert_eq!(loaded.shipping_service(), order.shipping_service());
    assert_eq!(loaded.flags(), order.flags());
    assert_eq!(loaded.status(), order.status());
    let mut history = order.events().to_vec();
    history.push(erasure.event.clone());
    assert_eq!(loaded.events(), history, "the history records the erasure");
    let mut expected = order.clone();
    expected.erase_personal_data(erasure.event);
    expected.mark_saved(loaded.version());
    assert_eq!(loaded, expected, "as the domain erases");
    assert_eq!(store.get(other.id()).await.unwrap().unwrap(), other);
    assert!(!due(store, CUTOFF, 100).await.contains_key(&order.id()));
    assert!(
        matches!(
            store.save(&order, &[], &[]).await,
            Err(SaveError::Conflict(_))
        ),
        "a save of the order loaded before its erasure conflicts"
    );
}

pub async fn erasing_is_idempotent_and_checks_again_that_the_order_is_due(store: &dyn Store) {
    let order = settled(store, "I-1", 100, &[]).await;
    let first = erasure(&order, 5_000);
    let again = erasure(&order, 6_000);
    assert_eq!(
        store.erase_orders(&[first], at(CUTOFF)).await.unwrap(),
        [order.id()]
    );
    assert!(
        store
            .erase_orders(&[again], at(CUTOFF))
            .await
            .unwrap()
            .is_empty()
    );
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    let erasures: Vec<DateTime<Utc>> = loaded
        .events()
        .iter()
        .filter(|e| e.kind == EventType::PersonalDataErased)
        .map(|e| e.at)
        .collect();
    assert_eq!(erasures, [at(5_000)], "erased once");
    assert_eq!(loaded.erased_at(), Some(at(5_000)));

    // Due when listed, then changed: a refund queued a delivery that is still pending.
    let mut changed = settled(store, "I-2", 100, &[]).await;
    assert!(due(store, CUTOFF, 100).await.contains_key(&changed.id()));
    let refund = RefundRequest {
        reference: None,
        reason: RefundReason::PriceAdjustment,
        note: None,
        lines: vec![RefundLineRequest {
            line: LineNo::new(2).unwrap(),
            quantity: 0,
            amount: Money::new(dec("1.00"), Currency::USD),
        }],
    };
    let refunded = changed
        .refund(
            &refund,
            RefundId::from_uuid(id()),
            EventId::from_uuid(id()),
            at(150),
        )
        .unwrap();
    let rows = deliveries(
        &changed,
        &[DeliveryKind::Refund {
            refund: refunded.id(),
            line: None,
        }],
        at(150),
    );
    store.save(&changed, &rows, &[]).await.unwrap();
    assert!(
        store
            .erase_orders(&[erasure(&changed, 5_000)], at(CUTOFF))
            .await
            .unwrap()
            .is_empty(),
        "checked again when erasing"
    );
    let kept = store.get(changed.id()).await.unwrap().unwrap();
    assert!(kept.email().is_some() && kept.raw_payload().is_some());
    let gone = Erasure {
        order: OrderId::from_uuid(id()),
        ..erasure(&order, 5_000)
    };
    assert!(
        store
            .erase_orders(&[gone], at(CUTOFF))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn due_orders_come_in_keyset_pages(store: &dyn Store) {
    let mut orders = Vec::new();
    for (name, seconds) in [("K-3", 300), ("K-1", 100), ("K-2", 200)] {
        orders.push(settled(store, name, seconds, &[]).await);
    }
    // Complete before the cutoff by its last change, after it by its delivery: looked at, not
    // due.
    let held = settled(store, "K-0", 50, &[DeliveryKind::OrderFulfillment]).await;
    finish_at(store, &claim_one(store, 60).await, delivered(1_200), 1_200).await;
    let mut walked = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let page = store.due_orders(at(CUTOFF), after, 1).await.unwrap();
        pages += 1;
        assert!(page.orders.len() <= 1);
        walked.extend(page.orders.iter().map(|d| d.external_id.to_string()));
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(
        walked,
        ["K-1", "K-2", "K-3"],
        "oldest change first, each once"
    );
    assert!(pages >= 4, "the held order takes a page of its own");
    assert!(!walked.contains(&held.external_id().to_string()));
}

fn entry(body: &str, seconds: i64) -> NewInbound {
    NewInbound {
        id: InboundId::from_uuid(id()),
        channel: ChannelId::parse("adm").unwrap(),
        external_id: Some(format!("Q-{seconds}")),
        body: body.as_bytes().to_vec(),
        error: "line_items: missing".to_owned(),
        at: at(seconds),
    }
}

pub async fn closed_quarantined_bodies_are_due_and_erased_rejected_ones_never(store: &dyn Store) {
    let discarded = entry(r#"{"email":"zoe@example.com"}"#, 1);
    let replayed = entry(r#"{"phone":"(123) 456-7890"}"#, 2);
    let recent = entry(r#"{"name":"Zoë Ångström"}"#, 3);
    let rejected = entry(r#"{"address1":"123 Main Street"}"#, 4);
    for e in [&discarded, &replayed, &recent, &rejected] {
        store.quarantine(e, &[]).await.unwrap();
    }
    let close = async |e: &NewInbound, state: InboundState, seconds: i64| {
        let order = (state == InboundState::Replayed).then(|| OrderId::from_uuid(id()));
        store
            .close_inbound(e.id, state, order, at(seconds))
            .await
            .unwrap();
    };
    close(&discarded, InboundState::Discarded, 100).await;
    close(&replayed, InboundState::Replayed, 200).await;
    close(&recent, InboundState::Discarded, 2_000).await;
    let ids = async |after: Option<InboundId>, limit: u32| -> Vec<InboundId> {
        store
            .due_inbound(at(CUTOFF), after, limit)
            .await
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect()
    };
    assert_eq!(
        ids(None, 10).await,
        [discarded.id, replayed.id],
        "oldest first"
    );
    assert_eq!(ids(None, 1).await, [discarded.id]);
    assert_eq!(ids(Some(discarded.id), 1).await, [replayed.id], "keyset");
    let listed = store.due_inbound(at(CUTOFF), None, 10).await.unwrap();
    assert_eq!(
        (
            listed[1].state,
            listed[1].closed_at,
            listed[1].external_id.as_deref()
        ),
        (InboundState::Replayed, at(200), Some("Q-2"))
    );
    let all = [discarded.id, rejected.id, replayed.id, recent.id];
    let erased = store
        .erase_inbound(&all, at(CUTOFF), at(3_000))
        .await
        .unwrap();
    assert_eq!(erased, [discarded.id, replayed.id]);
    for e in [&discarded, &replayed] {
        let stored = store.inbound(e.id).await.unwrap().unwrap();
        assert!(stored.body.is_empty(), "body erased");
        assert_eq!(stored.erased_at, Some(at(3_000)));
        assert_eq!(stored.error, e.error, "the rest stays");
        assert_eq!(stored.external_id, e.external_id);
    }
    for e in [&recent, &rejected] {
        let stored = store.inbound(e.id).await.unwrap().unwrap();
        assert_eq!(stored.body, e.body, "kept");
        assert_eq!(stored.erased_at, None);
    }
    assert!(ids(None, 10).await.is_empty());
    assert!(
        store
            .erase_inbound(&all, at(1_000_000), at(4_000))
            .await
            .unwrap()
            == [recent.id],
        "idempotent; never a rejected body"
    );
}
