//! Checks of pull channels' poll state (cursors and poller leases) and of the health check.

use orderbridge_domain::ports::store::Store;
use orderbridge_domain::values::ChannelId;

use crate::fixtures::{at, id};

/// A lease short enough to wait out.
const SHORT: chrono::TimeDelta = chrono::TimeDelta::milliseconds(300);

pub async fn poll_cursors_are_kept_per_channel(store: &dyn Store) {
    let feedamp = ChannelId::parse("feedamp").unwrap();
    let other = ChannelId::parse("feedamp-eu").unwrap();
    assert_eq!(store.poll_cursor(&feedamp).await.unwrap(), None);
    store.set_poll_cursor(&feedamp, "c1").await.unwrap();
    store.set_poll_cursor(&other, "x").await.unwrap();
    store.set_poll_cursor(&feedamp, "c2").await.unwrap();
    assert_eq!(
        store.poll_cursor(&feedamp).await.unwrap().as_deref(),
        Some("c2")
    );
    assert_eq!(
        store.poll_cursor(&other).await.unwrap().as_deref(),
        Some("x")
    );
}

pub async fn one_poller_holds_a_channel_until_its_lease_runs_out(store: &dyn Store) {
    let feedamp = ChannelId::parse("feedamp").unwrap();
    let other_channel = ChannelId::parse("feedamp-eu").unwrap();
    let (a, b) = (id(), id());
    assert!(
        store
            .lease_poller(&feedamp, a, at(0), at(60))
            .await
            .unwrap(),
        "a free lease is taken"
    );
    assert!(
        !store
            .lease_poller(&feedamp, b, at(30), at(90))
            .await
            .unwrap(),
        "a live lease is refused"
    );
    assert!(
        store
            .lease_poller(&other_channel, b, at(30), at(90))
            .await
            .unwrap(),
        "leases are per channel"
    );
    // Leases run by the store's clock for `until - now`: a short renewal, waited out.
    assert!(
        store
            .lease_poller(&feedamp, a, at(50), at(50) + SHORT)
            .await
            .unwrap(),
        "the holder renews"
    );
    assert!(
        !store
            .lease_poller(&feedamp, b, at(1_000), at(1_060))
            .await
            .unwrap(),
        "whatever time the caller names, the renewed lease still runs"
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(
        store
            .lease_poller(&feedamp, b, at(110), at(170))
            .await
            .unwrap(),
        "an expired lease is taken over"
    );
    assert!(
        !store
            .lease_poller(&feedamp, a, at(120), at(180))
            .await
            .unwrap(),
        "the old holder lost it"
    );
}

pub async fn ping_answers(store: &dyn Store) {
    store.ping().await.unwrap();
}
