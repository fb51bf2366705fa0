//! Checks of inserting several orders at once (`OrderStore::insert_many`, the group commit's
//! port): each order is answered as a lone insert would be, and one bad order fails alone.

use orderbridge_domain::order::{Order, Version};
use orderbridge_domain::outbox::DeliveryKind;
use orderbridge_domain::ports::store::{DeliveryQuery, InsertError, NewOrderRows, Store};
use orderbridge_domain::values::{ChannelId, EventId, ExternalOrderId, OrderId};

use crate::fixtures::{at, create, deliveries, id, insert, sample};

/// `order` with one confirmation row.
fn rows(order: Order) -> NewOrderRows {
    let outbox = deliveries(&order, &[DeliveryKind::Confirm], at(0));
    NewOrderRows { order, outbox }
}

/// Outbox rows of `order`.
async fn queued(store: &dyn Store, order: OrderId) -> usize {
    let query = DeliveryQuery {
        order_id: Some(order),
        limit: 100,
        ..DeliveryQuery::default()
    };
    store.deliveries(&query).await.unwrap().len()
}

pub async fn a_batch_answers_each_order_as_a_lone_insert_would(store: &dyn Store) {
    let stored = insert(store, create(sample("adm", "B-0"), 0), &[]).await;
    let a = create(sample("adm", "B-1"), 1);
    let b = create(sample("feedamp", "B-1"), 2);
    let a_again = create(sample("adm", "B-1"), 3);
    let stored_again = create(sample("adm", "B-0"), 4);
    let batch = [a.clone(), b.clone(), a_again.clone(), stored_again.clone()].map(rows);
    let outcomes = store.insert_many(&batch).await;
    assert_eq!(outcomes.len(), 4);
    assert!(
        matches!(outcomes[0], Ok(v) if v == Version::new(1)),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1], Ok(v) if v == Version::new(1)),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[2], Err(InsertError::AlreadyExists { existing }) if existing == a.id()),
        "a duplicate inside the batch names the first: {outcomes:?}"
    );
    assert!(
        matches!(outcomes[3], Err(InsertError::AlreadyExists { existing }) if existing == stored.id()),
        "{outcomes:?}"
    );
    for order in [&a, &b] {
        let loaded = store.get(order.id()).await.unwrap().expect("stored");
        assert_eq!(loaded.external_id(), order.external_id());
        assert_eq!(queued(store, order.id()).await, 1, "its outbox row");
    }
    for duplicate in [&a_again, &stored_again] {
        assert!(store.get(duplicate.id()).await.unwrap().is_none());
        assert_eq!(
            queued(store, duplicate.id()).await,
            0,
            "nothing of it written"
        );
    }
}

pub async fn one_bad_order_fails_alone_in_a_batch(store: &dyn Store) {
    let a = create(sample("adm", "C-1"), 1);
    // An order whose id is taken by another order of the batch: no store takes it.
    let bad = Order::create(
        sample("adm", "C-2"),
        a.id(),
        EventId::from_uuid(id()),
        at(2),
    )
    .unwrap();
    let b = create(sample("adm", "C-3"), 3);
    let outcomes = store
        .insert_many(&[a.clone(), bad, b.clone()].map(rows))
        .await;
    assert!(outcomes[0].is_ok(), "{outcomes:?}");
    assert!(
        matches!(outcomes[1], Err(InsertError::Store(_))),
        "{outcomes:?}"
    );
    assert!(outcomes[2].is_ok(), "{outcomes:?}");
    for order in [&a, &b] {
        assert!(store.get(order.id()).await.unwrap().is_some());
        assert_eq!(queued(store, order.id()).await, 1);
    }
    let adm = ChannelId::parse("adm").unwrap();
    let c2 = ExternalOrderId::parse("C-2").unwrap();
    assert!(store.find_by_external(&adm, &c2).await.unwrap().is_none());
}
