//! Checks of channel health and the alert queue: compare-and-set writes, the claim held back
//! by a channel's health (and a probe let through), alerts queued with the change that raised
//! them, and the queue per channel.

use orderbridge_domain::alert::{Alert, AlertKind};
use orderbridge_domain::health::{ChannelHealth, ChannelState, PausedBy};
use orderbridge_domain::order::EventType;
use orderbridge_domain::outbox::DeliveryKind;
use orderbridge_domain::ports::store::{AttemptResult, Completion, Store};
use orderbridge_domain::values::{AlertId, ChannelId};

use crate::fixtures::{at, create, event, id, insert, sample};
use crate::queue::{claim, claim_at, delivered, finish};

fn channel(name: &str) -> ChannelId {
    ChannelId::parse(name).unwrap()
}

fn alert(kind: AlertKind, name: &str, seconds: i64) -> Alert {
    Alert {
        id: AlertId::from_uuid(id()),
        kind,
        channel: channel(name),
        order_id: None,
        delivery_id: None,
        message: format!("{} on {name}", kind.as_str()),
        at: at(seconds),
    }
}

fn paused(name: &str, version: u64) -> ChannelHealth {
    let mut health = ChannelHealth::active(channel(name), at(0));
    health.state = ChannelState::Paused;
    health.paused_by = Some(PausedBy::Credentials);
    health.reason = Some("403 Forbidden".to_owned());
    health.until = Some(at(60));
    health.version = version;
    health
}

pub async fn channel_health_is_written_by_compare_and_set(store: &dyn Store) {
    assert!(store.channel_states().await.unwrap().is_empty());
    let first = paused("feedamp", 0);
    assert!(store.put_channel_state(&first, &[]).await.unwrap());
    assert!(
        !store.put_channel_state(&first, &[]).await.unwrap(),
        "a second first write loses"
    );
    let stored = store.channel_states().await.unwrap();
    let mut expected = first.clone();
    expected.version = 1;
    assert_eq!(stored, vec![expected.clone()], "read back whole");
    let mut resumed = expected.resumed(at(90));
    resumed.last_success = Some(at(90));
    assert!(store.put_channel_state(&resumed, &[]).await.unwrap());
    assert!(
        !store.put_channel_state(&expected, &[]).await.unwrap(),
        "a write over a stale version loses"
    );
    let stored = store.channel_states().await.unwrap().remove(0);
    assert_eq!((stored.state, stored.version), (ChannelState::Active, 2));
    assert_eq!(stored.last_success, Some(at(90)));
}

pub async fn a_held_back_channel_is_not_claimed_unless_probed(store: &dyn Store) {
    for (name, order) in [("feedamp", "H-1"), ("adm", "H-2"), ("feedamp", "H-3")] {
        insert(
            store,
            create(sample(name, order), 0),
            &[DeliveryKind::Confirm],
        )
        .await;
    }
    assert!(
        store
            .put_channel_state(&paused("feedamp", 0), &[])
            .await
            .unwrap()
    );
    let claimed = claim(store, 10).await;
    assert_eq!(claimed.len(), 1, "only the active channel's row");
    assert_eq!(claimed[0].delivery.channel, channel("adm"));
    finish(store, &claimed[0], delivered(11)).await;
    let mut probe = claim_at(11, 1);
    probe.probe = Some(channel("feedamp"));
    let probed = store.claim_due(&probe).await.unwrap();
    assert_eq!(
        probed.len(),
        1,
        "a probe takes one row of the paused channel"
    );
    assert_eq!(probed[0].delivery.channel, channel("feedamp"));
    // Backing off until 100: held back before, claimed after.
    let mut backing = ChannelHealth::active(channel("feedamp"), at(12));
    backing.state = ChannelState::BackingOff;
    backing.until = Some(at(100));
    backing.version = 1;
    assert!(store.put_channel_state(&backing, &[]).await.unwrap());
    assert!(claim(store, 99).await.is_empty(), "backing off until 100");
    crate::queue::run_out(store, &probed).await;
    let after = claim(store, 100).await;
    assert_eq!(
        after.len(),
        2,
        "the wait is over (and the probe's lease was given back)"
    );
}

pub async fn alerts_are_queued_with_their_change_and_claimed_under_a_lease(store: &dyn Store) {
    let lost = paused("feedamp", 7);
    assert!(
        !store
            .put_channel_state(&lost, &[alert(AlertKind::ChannelPaused, "feedamp", 1)])
            .await
            .unwrap()
    );
    let none = store.claim_alerts(at(5), at(35), id(), 10).await.unwrap();
    assert!(none.is_empty(), "a write that loses queues no alert");
    let (raised, parked) = raise_two(store).await;
    let token = id();
    let claimed = store.claim_alerts(at(10), at(40), token, 10).await.unwrap();
    let got: Vec<Alert> = claimed.iter().map(|q| q.alert.clone()).collect();
    assert_eq!(
        got,
        vec![raised.clone(), parked],
        "oldest first, whole, no lost one's"
    );
    assert!(
        store
            .claim_alerts(at(20), at(50), id(), 10)
            .await
            .unwrap()
            .is_empty(),
        "leased until 40"
    );
    assert!(
        !store
            .complete_alert(raised.id, id(), &delivered(21))
            .await
            .unwrap(),
        "another token records nothing"
    );
    assert!(
        store
            .complete_alert(raised.id, token, &delivered(21))
            .await
            .unwrap()
    );
    let retry = AttemptResult::Retry {
        at: at(100),
        error: "503".to_owned(),
    };
    assert!(
        store
            .complete_alert(got[1].id, token, &retry)
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_alerts(at(99), at(130), id(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = store
        .claim_alerts(at(100), at(130), id(), 10)
        .await
        .unwrap();
    assert_eq!(
        again.len(),
        1,
        "the delivered alert is done; the retried one is due"
    );
    assert_eq!((again[0].alert.id, again[0].attempts), (got[1].id, 1));
}

/// Queues a channel's alert with its health and a parked delivery's alert with its outcome
/// (and one with an outcome whose lease was lost, which must not be queued); returns the two.
async fn raise_two(store: &dyn Store) -> (Alert, Alert) {
    let raised = alert(AlertKind::ChannelPaused, "feedamp", 2);
    assert!(
        store
            .put_channel_state(&paused("feedamp", 0), std::slice::from_ref(&raised))
            .await
            .unwrap()
    );
    let order = insert(
        store,
        create(sample("adm", "A-1"), 0),
        &[DeliveryKind::Confirm, DeliveryKind::Confirm],
    )
    .await;
    let rows = claim(store, 10).await;
    let parked = Alert {
        order_id: Some(order.id()),
        delivery_id: Some(rows[0].delivery.id),
        ..alert(AlertKind::DeliveryParked, "adm", 3)
    };
    let mut forged = rows[1].lease;
    forged.token = id();
    let recorded = store
        .complete_many(&[
            Completion {
                lease: rows[0].lease,
                result: AttemptResult::Dead {
                    error: "422".to_owned(),
                },
                event: event(EventType::DeliveryFailed, 3, "parked"),
                alert: Some(parked.clone()),
            },
            Completion {
                lease: forged,
                result: delivered(3),
                event: event(EventType::Delivered, 3, "forged"),
                alert: Some(alert(AlertKind::DeliveryParked, "adm", 3)),
            },
        ])
        .await
        .unwrap();
    assert_eq!(recorded, [true, false]);
    (raised, parked)
}

pub async fn channel_stats_count_pending_and_parked_per_channel(store: &dyn Store) {
    assert!(store.channel_stats().await.unwrap().is_empty());
    insert(
        store,
        create(sample("adm", "S-1"), 5),
        &[DeliveryKind::Confirm],
    )
    .await;
    insert(
        store,
        create(sample("adm", "S-2"), 3),
        &[DeliveryKind::Confirm],
    )
    .await;
    insert(
        store,
        create(sample("feedamp", "S-3"), 1),
        &[DeliveryKind::Confirm],
    )
    .await;
    let rows = claim(store, 10).await;
    let feedamp = rows
        .iter()
        .find(|c| c.delivery.channel == channel("feedamp"))
        .unwrap();
    finish(
        store,
        feedamp,
        AttemptResult::Dead {
            error: "gone".to_owned(),
        },
    )
    .await;
    let stats = store.channel_stats().await.unwrap();
    let view: Vec<(String, u64, u64, Option<_>)> = stats
        .iter()
        .map(|s| (s.channel.to_string(), s.pending, s.dead, s.oldest_pending))
        .collect();
    assert_eq!(
        view,
        vec![
            ("adm".to_owned(), 2, 0, Some(at(3))),
            ("feedamp".to_owned(), 0, 1, None),
        ]
    );
}
