//! Checks of the dispatcher's side of the outbox: claiming under a lease, per-order order,
//! outcomes, releasing leases. The helpers here serve the log checks too.

use orderbridge_domain::order::{EventType, Order};
use orderbridge_domain::outbox::{DeliveryKind, DeliveryState};
use orderbridge_domain::ports::store::{
    AttemptResult, ClaimRequest, Claimed, Completion, DeliveryQuery, LeaseError, Store,
};
use orderbridge_domain::values::{ChannelId, DeliveryId, FulfillmentId, LineNo, RefundId};
use std::time::Duration;

use uuid::Uuid;

use crate::fixtures::{at, create, event, id, insert, sample};

pub(crate) fn claim_at(seconds: i64, limit: u32) -> ClaimRequest {
    ClaimRequest {
        now: at(seconds),
        lease: Duration::from_secs(30),
        token: id(),
        limit,
        skip_channels: Vec::new(),
        probe: None,
    }
}

/// Gives back the leases of `claimed`, as if they had run out (leases run by the store's
/// clock, which a test cannot move: [`an_expired_lease_lets_another_worker_claim`] waits for
/// a short one instead).
pub(crate) async fn run_out(store: &dyn Store, claimed: &[Claimed]) {
    let tokens: Vec<Uuid> = claimed.iter().map(|c| c.lease.token).collect();
    store.release(&tokens).await.unwrap();
}

pub(crate) async fn claim(store: &dyn Store, seconds: i64) -> Vec<Claimed> {
    store.claim_due(&claim_at(seconds, 100)).await.unwrap()
}

pub(crate) async fn finish(store: &dyn Store, claimed: &Claimed, result: AttemptResult) {
    store
        .complete(
            &claimed.lease,
            &result,
            &event(EventType::Delivered, 0, "test"),
        )
        .await
        .unwrap();
}

pub(crate) fn delivered(seconds: i64) -> AttemptResult {
    AttemptResult::Delivered {
        remote_ref: Some(format!("R{seconds}")),
        at: at(seconds),
    }
}

pub(crate) fn fulfillment() -> DeliveryKind {
    DeliveryKind::Fulfillment(FulfillmentId::from_uuid(id()))
}

/// An order with `kinds` queued at its creation time, `seconds`.
pub(crate) async fn queued(
    store: &dyn Store,
    name: &str,
    seconds: i64,
    kinds: &[DeliveryKind],
) -> Order {
    insert(store, create(sample("feedamp", name), seconds), kinds).await
}

pub(crate) async fn all(store: &dyn Store) -> Vec<orderbridge_domain::outbox::Delivery> {
    store
        .deliveries(&DeliveryQuery {
            state: None,
            order_id: None,
            after: None,
            limit: 1_000,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap()
}

pub async fn claim_takes_due_rows_oldest_first(store: &dyn Store) {
    let late = queued(store, "O-2", 20, &[DeliveryKind::Confirm]).await;
    let early = queued(store, "O-1", 10, &[DeliveryKind::Confirm]).await;
    let future = queued(store, "O-3", 500, &[DeliveryKind::Confirm]).await;
    let claimed = claim(store, 100).await;
    let orders: Vec<_> = claimed.iter().map(|c| c.delivery.order_id).collect();
    assert_eq!(
        orders,
        [early.id(), late.id()],
        "oldest first; not yet due rows wait"
    );
    // Leases run by the store's clock (the database's), whatever time the claim names.
    let soon = chrono::Utc::now() + chrono::TimeDelta::seconds(20);
    assert!(claimed.iter().all(|c| c.lease.until > soon), "{claimed:?}");
    assert!(!orders.contains(&future.id()));
    assert!(
        claim(store, 120).await.is_empty(),
        "leased rows are not claimed again"
    );
    run_out(store, &claimed).await;
    let limited = store.claim_due(&claim_at(1_000, 1)).await.unwrap();
    assert_eq!(limited.len(), 1, "the limit holds");
    assert_eq!(
        limited[0].delivery.order_id,
        early.id(),
        "leases given back: oldest first again"
    );
}

pub async fn deliveries_of_one_order_go_out_in_order(store: &dyn Store) {
    let refund = RefundId::from_uuid(id());
    let kinds = [
        DeliveryKind::Confirm,
        DeliveryKind::OrderFulfillment,
        DeliveryKind::Refund {
            refund,
            line: Some(LineNo::new(2).unwrap()),
        },
    ];
    let order = queued(store, "Q-1", 0, &kinds).await;
    for expected in kinds {
        let claimed = claim(store, 10).await;
        assert_eq!(
            claimed.len(),
            1,
            "only the oldest undelivered row of the order is claimable"
        );
        assert_eq!(claimed[0].delivery.kind, expected);
        assert_eq!(claimed[0].delivery.order_id, order.id());
        assert_eq!(
            claim(store, 10).await.len(),
            0,
            "nothing else while it is leased"
        );
        finish(store, &claimed[0], delivered(11)).await;
    }
    assert!(claim(store, 10).await.is_empty());
}

/// A lease short enough to wait for.
const SHORT: Duration = Duration::from_millis(300);

/// Claims with a lease of `length`, at `seconds`.
async fn claim_for(store: &dyn Store, seconds: i64, length: Duration) -> Vec<Claimed> {
    let mut request = claim_at(seconds, 100);
    request.lease = length;
    store.claim_due(&request).await.unwrap()
}

pub async fn an_expired_lease_lets_another_worker_claim(store: &dyn Store) {
    queued(store, "L-1", 0, &[DeliveryKind::Confirm]).await;
    let first = claim_for(store, 10, SHORT).await;
    assert_eq!(first.len(), 1);
    // Whatever time a claim names, the lease runs by the store's clock.
    assert!(claim(store, 1_000).await.is_empty(), "the lease still runs");
    tokio::time::sleep(SHORT + Duration::from_millis(100)).await;
    let second = claim(store, 11).await;
    assert_eq!(
        second.len(),
        1,
        "after the lease runs out another worker may claim"
    );
    assert_ne!(second[0].lease.token, first[0].lease.token);
    finish(store, &second[0], delivered(42)).await;
    let late = store
        .complete(
            &first[0].lease,
            &delivered(43),
            &event(EventType::Delivered, 43, "late"),
        )
        .await;
    assert!(matches!(late, Err(LeaseError::Lost(id)) if id == first[0].delivery.id));
}

pub async fn a_renewed_lease_outlives_its_first_length_and_only_its_holder_renews(
    store: &dyn Store,
) {
    queued(store, "N-1", 0, &[DeliveryKind::Confirm]).await;
    let claimed = claim_for(store, 10, SHORT).await.remove(0);
    let mut forged = claimed.lease;
    forged.token = Uuid::now_v7();
    assert_eq!(
        store.renew(&forged, Duration::from_secs(60)).await.unwrap(),
        None
    );
    let until = store
        .renew(&claimed.lease, Duration::from_secs(60))
        .await
        .unwrap()
        .expect("the holder renews");
    assert!(until > claimed.lease.until + chrono::TimeDelta::seconds(50));
    tokio::time::sleep(SHORT + Duration::from_millis(100)).await;
    assert!(
        claim(store, 11).await.is_empty(),
        "renewed: nobody else may claim it"
    );
    finish(store, &claimed, delivered(12)).await;
    assert_eq!(
        store
            .renew(&claimed.lease, Duration::from_secs(60))
            .await
            .unwrap(),
        None,
        "a recorded row's lease is gone"
    );
}

pub async fn release_gives_back_the_leases_of_every_token_named(store: &dyn Store) {
    for name in ["G-1", "G-2", "G-3"] {
        queued(store, name, 0, &[DeliveryKind::Confirm]).await;
    }
    let mut one = claim_at(10, 1);
    let a = store.claim_due(&one).await.unwrap();
    one.token = id();
    let b = store.claim_due(&one).await.unwrap();
    one.token = id();
    let c = store.claim_due(&one).await.unwrap();
    let released = store
        .release(&[a[0].lease.token, c[0].lease.token])
        .await
        .unwrap();
    assert_eq!(released, 2);
    let again: Vec<_> = claim(store, 11)
        .await
        .iter()
        .map(|c| c.delivery.id)
        .collect();
    assert_eq!(again.len(), 2, "the two given back");
    assert!(
        !again.contains(&b[0].delivery.id),
        "the third is still held"
    );
    assert_eq!(store.release(&[]).await.unwrap(), 0);
}

pub async fn a_lost_lease_writes_nothing(store: &dyn Store) {
    let order = queued(store, "X-1", 0, &[DeliveryKind::Confirm]).await;
    let claimed = claim(store, 10).await.remove(0);
    let mut forged = claimed.lease;
    forged.token = Uuid::now_v7();
    let result = store
        .complete(
            &forged,
            &delivered(11),
            &event(EventType::Delivered, 11, "forged"),
        )
        .await;
    assert!(matches!(result, Err(LeaseError::Lost(_))));
    let row = store.delivery(claimed.delivery.id).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (DeliveryState::Pending, 0));
    let events = store.get(order.id()).await.unwrap().unwrap().events().len();
    assert_eq!(events, 1, "no history entry for a lost lease");
}

pub async fn a_retry_is_due_again_at_its_time_and_counts_the_attempt(store: &dyn Store) {
    queued(store, "R-1", 0, &[DeliveryKind::Confirm]).await;
    let claimed = claim(store, 10).await.remove(0);
    finish(
        store,
        &claimed,
        AttemptResult::Retry {
            at: at(100),
            error: "HTTP 503".to_owned(),
        },
    )
    .await;
    assert!(claim(store, 99).await.is_empty());
    let again = claim(store, 100).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].delivery.attempts, 1);
    assert_eq!(again[0].delivery.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(again[0].delivery.next_attempt_at, at(100));
}

pub async fn delivered_rows_keep_the_remote_reference_and_an_event(store: &dyn Store) {
    let order = queued(store, "D-1", 0, &[DeliveryKind::Confirm]).await;
    let claimed = claim(store, 10).await.remove(0);
    store
        .complete(
            &claimed.lease,
            &delivered(12),
            &event(EventType::Confirmed, 12, "confirmed by feedamp"),
        )
        .await
        .unwrap();
    let row = store.delivery(claimed.delivery.id).await.unwrap().unwrap();
    assert_eq!(row.state, DeliveryState::Delivered);
    assert_eq!(row.remote_ref.as_deref(), Some("R12"));
    assert_eq!(row.delivered_at, Some(at(12)));
    assert_eq!(row.attempts, 1);
    let history = store.get(order.id()).await.unwrap().unwrap();
    let last = history.events().last().unwrap();
    assert_eq!(
        (last.kind, last.detail.as_str()),
        (EventType::Confirmed, "confirmed by feedamp")
    );
}

pub async fn release_gives_back_leases_without_counting_an_attempt(store: &dyn Store) {
    queued(store, "S-1", 0, &[DeliveryKind::Confirm]).await;
    queued(store, "S-2", 0, &[DeliveryKind::Confirm]).await;
    let request = claim_at(10, 10);
    let claimed = store.claim_due(&request).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(store.release(&[request.token]).await.unwrap(), 2);
    assert_eq!(store.release(&[request.token]).await.unwrap(), 0);
    let again = claim(store, 11).await;
    assert_eq!(again.len(), 2, "released rows are claimable at once");
    assert!(again.iter().all(|c| c.delivery.attempts == 0));
}

pub async fn skipped_channels_are_not_claimed(store: &dyn Store) {
    queued(store, "K-1", 0, &[DeliveryKind::Confirm]).await;
    insert(store, create(sample("adm", "K-2"), 0), &[fulfillment()]).await;
    let mut request = claim_at(10, 10);
    request.skip_channels = vec![ChannelId::parse("feedamp").unwrap()];
    let claimed = store.claim_due(&request).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].delivery.channel.as_str(), "adm");
}

/// Three orders, M-1 to M-3, each with a claimed confirmation, and one completion per order:
/// the first delivered, the second under a forged (lost) lease, the third to retry.
struct ThreeCompletions {
    orders: [Order; 3],
    deliveries: [DeliveryId; 3],
    completions: [Completion; 3],
}

async fn three_completions(store: &dyn Store) -> ThreeCompletions {
    let first = queued(store, "M-1", 0, &[DeliveryKind::Confirm]).await;
    let second = queued(store, "M-2", 1, &[DeliveryKind::Confirm]).await;
    let third = queued(store, "M-3", 2, &[DeliveryKind::Confirm]).await;
    let claimed = claim(store, 10).await;
    assert_eq!(claimed.len(), 3);
    let of = |order: &Order| {
        claimed
            .iter()
            .find(|c| c.delivery.order_id == order.id())
            .unwrap()
    };
    let mut forged = of(&second).lease;
    forged.token = Uuid::now_v7();
    let completions = [
        Completion {
            lease: of(&first).lease,
            result: delivered(11),
            event: event(EventType::Confirmed, 11, "first confirmed"),
            alert: None,
        },
        Completion {
            lease: forged,
            result: delivered(11),
            event: event(EventType::Confirmed, 11, "forged"),
            alert: None,
        },
        Completion {
            lease: of(&third).lease,
            result: AttemptResult::Retry {
                at: at(100),
                error: "HTTP 503".to_owned(),
            },
            event: event(EventType::DeliveryFailed, 11, "third failed"),
            alert: None,
        },
    ];
    let deliveries = [
        of(&first).delivery.id,
        of(&second).delivery.id,
        of(&third).delivery.id,
    ];
    ThreeCompletions {
        orders: [first, second, third],
        deliveries,
        completions,
    }
}

pub async fn complete_many_records_each_outcome_and_skips_lost_leases(store: &dyn Store) {
    let ThreeCompletions {
        orders: [first, second, third],
        deliveries: [first_delivery, second_delivery, third_delivery],
        completions,
    } = three_completions(store).await;
    let recorded = store.complete_many(&completions).await.unwrap();
    assert_eq!(recorded, [true, false, true], "in the order given");

    let row = store.delivery(first_delivery).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (DeliveryState::Delivered, 1));
    assert_eq!(row.remote_ref.as_deref(), Some("R11"));
    let row = store.delivery(second_delivery).await.unwrap().unwrap();
    assert_eq!(
        (row.state, row.attempts),
        (DeliveryState::Pending, 0),
        "a lost lease writes nothing"
    );
    let row = store.delivery(third_delivery).await.unwrap().unwrap();
    assert_eq!((row.state, row.attempts), (DeliveryState::Pending, 1));
    assert_eq!(row.next_attempt_at, at(100));
    assert_eq!(row.last_error.as_deref(), Some("HTTP 503"));

    let details = |order: Order| {
        order
            .events()
            .iter()
            .map(|e| e.detail.clone())
            .collect::<Vec<_>>()
    };
    let history = details(store.get(first.id()).await.unwrap().unwrap());
    assert_eq!(history.last().map(String::as_str), Some("first confirmed"));
    let history = details(store.get(second.id()).await.unwrap().unwrap());
    assert_eq!(history.len(), 1, "no history entry for a lost lease");
    let history = details(store.get(third.id()).await.unwrap().unwrap());
    assert_eq!(history.last().map(String::as_str), Some("third failed"));
    assert!(
        store.complete_many(&[]).await.unwrap().is_empty(),
        "nothing to record"
    );
}

/// Design section 12: a marketplace's answer with NUL and other control characters in its
/// reference or its error (which PostgreSQL cannot hold) is recorded cleaned, with the rest of
/// its batch, never failing it.
pub async fn a_batch_with_control_characters_in_its_text_is_recorded_clean(store: &dyn Store) {
    let ThreeCompletions {
        orders: [first, _, third],
        deliveries: [first_delivery, _, third_delivery],
        completions: [mut one, _, mut three],
    } = three_completions(store).await;
    one.result = AttemptResult::Delivered {
        remote_ref: Some("R\u{0}-1\u{1b}[0m".to_owned()),
        at: at(11),
    };
    one.event.detail = "confirmed (reference R\u{0}-1)".to_owned();
    three.result = AttemptResult::Retry {
        at: at(100),
        error: "HTTP 503:\u{0} down\r\nagain\u{7f}".to_owned(),
    };
    let recorded = store.complete_many(&[one, three]).await.unwrap();
    assert_eq!(recorded, [true, true]);
    let row = store.delivery(first_delivery).await.unwrap().unwrap();
    assert_eq!(row.state, DeliveryState::Delivered);
    assert_eq!(row.remote_ref.as_deref(), Some("R-1[0m"));
    let row = store.delivery(third_delivery).await.unwrap().unwrap();
    assert_eq!(row.last_error.as_deref(), Some("HTTP 503: down  again"));
    let order = store.get(first.id()).await.unwrap().unwrap();
    let last = order.events().last().unwrap();
    assert_eq!(last.detail, "confirmed (reference R-1)");
    assert!(store.get(third.id()).await.unwrap().is_some());
}
