//! Checks of the inbound quarantine: bodies kept whole (any bytes), once per channel while
//! rejected and counted when they come again, silenced once discarded, alerts queued only with a new entry, listing by
//! state and channel, closing once.

use orderbridge_domain::alert::{Alert, AlertKind};
use orderbridge_domain::inbound::{InboundQuery, InboundState, NewInbound};
use orderbridge_domain::ports::store::{InboundError, Store};
use orderbridge_domain::values::{AlertId, ChannelId, InboundId, OrderId};

use crate::fixtures::{at, id};

fn entry(channel: &str, body: &[u8], seconds: i64) -> NewInbound {
    NewInbound {
        id: InboundId::from_uuid(id()),
        channel: ChannelId::parse(channel).unwrap(),
        external_id: Some("1001".to_owned()),
        body: body.to_vec(),
        error: format!("line_items[0].quantity must be a whole number (at {seconds})"),
        at: at(seconds),
    }
}

fn alert(channel: &str) -> Alert {
    Alert {
        id: AlertId::from_uuid(id()),
        kind: AlertKind::DeliveryParked,
        channel: ChannelId::parse(channel).unwrap(),
        order_id: None,
        delivery_id: None,
        message: "an order could not be read".to_owned(),
        at: at(0),
    }
}

pub async fn a_body_is_kept_whole_once_per_channel_while_rejected(store: &dyn Store) {
    // Any bytes: not UTF-8, a NUL, a very long run.
    let mut body = vec![0xff, 0x00, b'{', 0xc3, 0x28];
    body.extend(std::iter::repeat_n(b'x', 70_000));
    let first = entry("adm", &body, 1);
    let (kept, new) = store.quarantine(&first, &[alert("adm")]).await.unwrap();
    assert!(new);
    assert_eq!(kept.body, body, "kept whole");
    assert_eq!((kept.seen, kept.state), (1, InboundState::Rejected));
    assert_eq!(kept.external_id.as_deref(), Some("1001"));
    let again = entry("adm", &body, 5);
    let (counted, new) = store.quarantine(&again, &[alert("adm")]).await.unwrap();
    assert!(!new, "the same body again is counted, not kept twice");
    assert_eq!(counted.id, first.id);
    assert_eq!(counted.seen, 2);
    assert_eq!(
        (counted.first_seen_at, counted.last_seen_at),
        (at(1), at(5))
    );
    assert_eq!(counted.error, again.error);
    let (other_channel, new) = store
        .quarantine(&entry("feedamp", &body, 6), &[])
        .await
        .unwrap();
    assert!(new && other_channel.id != first.id, "per channel");
    let (other_body, new) = store
        .quarantine(&entry("adm", b"{}", 7), &[])
        .await
        .unwrap();
    assert!(new && other_body.id != first.id);
    let alerts = store.claim_alerts(at(10), at(40), id(), 10).await.unwrap();
    assert_eq!(alerts.len(), 1, "one alert, with the new entry only");
    // Discarded by an operator, the body arriving again stays discarded (a feed presents an
    // unconfirmed order on every poll); replayed, it arriving again unreadable is a new entry.
    store
        .close_inbound(first.id, InboundState::Discarded, None, at(8))
        .await
        .unwrap();
    let (silenced, new) = store
        .quarantine(&entry("adm", &body, 9), &[alert("adm")])
        .await
        .unwrap();
    assert!(!new, "a discarded body is not kept again");
    assert_eq!(
        (silenced.id, silenced.state),
        (first.id, InboundState::Discarded)
    );
    let order = OrderId::from_uuid(id());
    store
        .close_inbound(other_body.id, InboundState::Replayed, Some(order), at(9))
        .await
        .unwrap();
    let (reopened, new) = store
        .quarantine(&entry("adm", b"{}", 10), &[])
        .await
        .unwrap();
    assert!(new && reopened.id != other_body.id);
    assert!(
        store
            .claim_alerts(at(10), at(40), id(), 10)
            .await
            .unwrap()
            .is_empty(),
        "no alert for a discarded body"
    );
}

pub async fn entries_are_listed_newest_first_and_closed_once(store: &dyn Store) {
    let a = entry("adm", b"a", 1);
    let b = entry("feedamp", b"b", 2);
    let c = entry("adm", b"c", 3);
    for e in [&a, &b, &c] {
        store.quarantine(e, &[]).await.unwrap();
    }
    let list = |state: Option<InboundState>, channel: Option<&str>| InboundQuery {
        state,
        channel: channel.map(|c| ChannelId::parse(c).unwrap()),
        limit: 10,
        ..InboundQuery::default()
    };
    let ids = async |query: InboundQuery| -> Vec<InboundId> {
        store
            .inbound_list(&query)
            .await
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(
        ids(list(None, None)).await,
        [c.id, b.id, a.id],
        "newest first"
    );
    assert_eq!(ids(list(None, Some("adm"))).await, [c.id, a.id]);
    let page = InboundQuery {
        after: Some(c.id),
        limit: 1,
        ..InboundQuery::default()
    };
    assert_eq!(ids(page).await, [b.id], "keyset");
    let order = OrderId::from_uuid(id());
    let replayed = store
        .close_inbound(a.id, InboundState::Replayed, Some(order), at(10))
        .await
        .unwrap();
    assert_eq!(
        (replayed.state, replayed.order_id, replayed.closed_at),
        (InboundState::Replayed, Some(order), Some(at(10)))
    );
    assert_eq!(
        ids(list(Some(InboundState::Rejected), None)).await,
        [c.id, b.id]
    );
    assert!(matches!(
        store
            .close_inbound(a.id, InboundState::Discarded, None, at(11))
            .await,
        Err(InboundError::Closed {
            state: InboundState::Replayed,
            ..
        })
    ));
    assert!(matches!(
        store.retried_inbound(a.id, "again").await,
        Err(InboundError::Closed { .. })
    ));
    let missing = InboundId::from_uuid(id());
    assert!(matches!(
        store.retried_inbound(missing, "x").await,
        Err(InboundError::NotFound(found)) if found == missing
    ));
    let retried = store
        .retried_inbound(b.id, "still unreadable")
        .await
        .unwrap();
    assert_eq!(
        (retried.error.as_str(), retried.state),
        ("still unreadable", InboundState::Rejected)
    );
    assert_eq!(
        store.inbound(b.id).await.unwrap().unwrap().error,
        "still unreadable"
    );
}
