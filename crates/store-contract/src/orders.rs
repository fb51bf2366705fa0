//! Checks of storing, loading, saving and listing orders.

use std::collections::HashSet;

use orderbridge_domain::order::{EventType, OrderFlag, OrderStatus, Version};
use orderbridge_domain::outbox::DeliveryKind;
use orderbridge_domain::ports::store::{DeliveryQuery, InsertError, OrderQuery, SaveError, Store};
use orderbridge_domain::testing::new_order;
use orderbridge_domain::values::{Address, ChannelId, Email, ExternalOrderId, OrderId};

use crate::fixtures::{
    at, cancel_one, create, dec, deliveries, event, id, insert, refund, sample, ship,
};

pub async fn insert_then_get_round_trips_the_whole_order(store: &dyn Store) {
    let order = insert(store, create(sample("adm", "987654321"), 0), &[]).await;
    let loaded = store.get(order.id()).await.unwrap().expect("stored order");
    assert_eq!(loaded, order);
    assert_eq!(
        loaded.email().map(|e| e.as_str()),
        Some("jane.doe@example.com")
    );
    assert_eq!(loaded.events().len(), 1);
}

/// An order kept whole despite what it could not read (design section 11) loads back the same:
/// its flags, the email as given and the country without a code.
pub async fn flags_an_unreadable_email_and_an_unknown_country_round_trip(store: &dyn Store) {
    let mut new = sample("adm", "F-1");
    new.email = Email::read("Jane Doe <jane at example>");
    let mut address = Address::default();
    address.set_country("Atlantis");
    new.shipping_address = Some(address);
    new.flags = vec![
        OrderFlag::DeliverByUnreadable,
        OrderFlag::PlacedAtUnreadable,
    ];
    let order = insert(store, create(new, 0), &[]).await;
    let loaded = store.get(order.id()).await.unwrap().expect("stored order");
    assert_eq!(loaded, order);
    assert_eq!(
        loaded.flags(),
        [
            OrderFlag::EmailUnreadable,
            OrderFlag::CountryUnknown,
            OrderFlag::PlacedAtUnreadable,
            OrderFlag::DeliverByUnreadable,
        ]
    );
    let email = loaded.email().expect("the email as given");
    assert_eq!(email.as_str(), "Jane Doe <jane at example>");
    assert!(!email.is_readable());
    let country = loaded
        .shipping_address()
        .and_then(|a| a.country_name.clone());
    assert_eq!(country.as_deref(), Some("Atlantis"));
    let plain = insert(store, create(sample("adm", "F-2"), 0), &[]).await;
    let loaded = store.get(plain.id()).await.unwrap().expect("stored order");
    assert!(loaded.flags().is_empty());
}

pub async fn duplicate_insert_reports_the_existing_order_and_writes_nothing(store: &dyn Store) {
    let first = insert(store, create(sample("adm", "A-1"), 0), &[]).await;
    let again = create(sample("adm", "A-1"), 10);
    let rows = deliveries(&again, &[DeliveryKind::Confirm], at(10));
    match store.insert(&again, &rows).await {
        Err(InsertError::AlreadyExists { existing }) => assert_eq!(existing, first.id()),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    assert!(store.get(again.id()).await.unwrap().is_none());
    let query = DeliveryQuery {
        state: None,
        order_id: None,
        after: None,
        limit: 100,
        ..DeliveryQuery::default()
    };
    assert!(
        store.deliveries(&query).await.unwrap().is_empty(),
        "no outbox row written"
    );
}

pub async fn find_by_external_tells_channels_apart(store: &dyn Store) {
    let adm = insert(store, create(sample("adm", "100"), 0), &[]).await;
    let feedamp = insert(store, create(sample("feedamp", "100"), 0), &[]).await;
    let external = ExternalOrderId::parse("100").unwrap();
    let found = store
        .find_by_external(&ChannelId::parse("adm").unwrap(), &external)
        .await
        .unwrap();
    assert_eq!(found.map(|o| o.id()), Some(adm.id()));
    let found = store
        .find_by_external(&ChannelId::parse("feedamp").unwrap(), &external)
        .await
        .unwrap();
    assert_eq!(found.map(|o| o.id()), Some(feedamp.id()));
    let missing = store
        .find_by_external(
            &ChannelId::parse("adm").unwrap(),
            &ExternalOrderId::parse("101").unwrap(),
        )
        .await;
    assert!(missing.unwrap().is_none());
}

pub async fn get_of_an_unknown_order_is_none(store: &dyn Store) {
    assert!(store.get(OrderId::from_uuid(id())).await.unwrap().is_none());
}

pub async fn save_writes_children_events_and_outbox_and_bumps_the_version(store: &dyn Store) {
    let mut order = insert(store, create(sample("adm", "S-1"), 0), &[]).await;
    let shipped = ship(&mut order, "1Z1", "ABC-123", 3, 10);
    ship(&mut order, "1Z2", "XYZ", 1, 11);
    cancel_one(&mut order, "ABC-123", 12);
    refund(&mut order, &[(1, 1, "12.34"), (3, 0, "0.05")], 13);
    let rows = deliveries(&order, &[DeliveryKind::Fulfillment(shipped)], at(13));
    let version = store.save(&order, &rows, &[]).await.unwrap();
    assert_eq!(version, Version::new(2));
    order.mark_saved(version);
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    assert_eq!(loaded, order);
    assert_eq!(loaded.status(), OrderStatus::Fulfilled);
    assert_eq!(
        loaded.fulfillments()[0].lines().len(),
        2,
        "3 units over two ABC-123 lines"
    );
    assert_eq!(loaded.refunds()[0].lines().len(), 2);
    assert_eq!(loaded.cancellations()[0].note(), Some("bin empty"));
    let query = DeliveryQuery {
        state: None,
        order_id: Some(order.id()),
        after: None,
        limit: 10,
        ..DeliveryQuery::default()
    };
    let queued = store.deliveries(&query).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].kind, DeliveryKind::Fulfillment(shipped));
}

pub async fn a_stale_save_is_a_conflict_and_writes_nothing(store: &dyn Store) {
    let stored = insert(store, create(sample("adm", "C-1"), 0), &[]).await;
    let mut first = stored.clone();
    let mut second = stored.clone();
    ship(&mut first, "T-FIRST", "XYZ", 1, 5);
    store.save(&first, &[], &[]).await.unwrap();
    ship(&mut second, "T-SECOND", "XYZ", 1, 6);
    let rows = deliveries(&second, &[DeliveryKind::Confirm], at(6));
    match store.save(&second, &rows, &[]).await {
        Err(SaveError::Conflict(id)) => assert_eq!(id, stored.id()),
        other => panic!("expected Conflict, got {other:?}"),
    }
    let loaded = store.get(stored.id()).await.unwrap().unwrap();
    assert_eq!(loaded.fulfillments().len(), 1);
    assert_eq!(
        loaded.fulfillments()[0].tracking_number().as_str(),
        "T-FIRST"
    );
    let query = DeliveryQuery {
        state: None,
        order_id: Some(stored.id()),
        after: None,
        limit: 10,
        ..DeliveryQuery::default()
    };
    assert!(store.deliveries(&query).await.unwrap().is_empty());
}

pub async fn save_of_an_unknown_order_is_not_found(store: &dyn Store) {
    let mut order = create(sample("adm", "N-1"), 0);
    order.mark_saved(Version::new(1));
    assert!(
        matches!(store.save(&order, &[], &[]).await, Err(SaveError::NotFound(id)) if id == order.id())
    );
}

pub async fn events_appended_by_deliveries_survive_a_later_save(store: &dyn Store) {
    let mut order = insert(
        store,
        create(sample("feedamp", "E-1"), 0),
        &[DeliveryKind::Confirm],
    )
    .await;
    let request = orderbridge_domain::ports::store::ClaimRequest {
        now: at(1),
        lease: std::time::Duration::from_secs(60),
        token: id(),
        limit: 10,
        skip_channels: Vec::new(),
        probe: None,
    };
    let claimed = store.claim_due(&request).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let result = orderbridge_domain::ports::store::AttemptResult::Delivered {
        remote_ref: None,
        at: at(2),
    };
    store
        .complete(
            &claimed[0].lease,
            &result,
            &event(EventType::Confirmed, 2, "confirmed"),
        )
        .await
        .unwrap();
    // `order` was loaded before the delivery's event; saving it keeps that event.
    ship(&mut order, "T1", "XYZ", 1, 3);
    store.save(&order, &[], &[]).await.unwrap();
    let kinds: Vec<EventType> = store
        .get(order.id())
        .await
        .unwrap()
        .unwrap()
        .events()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventType::Received,
            EventType::Confirmed,
            EventType::Fulfilled
        ]
    );
}

pub async fn exact_money_round_trips(store: &dyn Store) {
    let mut new = new_order(
        "adm",
        "M-1",
        &[
            ("A", 1, "0.1"),
            ("B", 1, "19.99"),
            ("C", 1, "0.0001"),
            ("D", 1, "12345678901.2345"),
            ("E", 1, "1.10"),
        ],
    )
    .unwrap();
    new.totals.total = Some(dec("12345678921.4346"));
    new.totals.discounts = Some(dec("-0.50"));
    new.lines[0].total_tax = dec("0.02");
    let mut order = insert(store, create(new, 0), &[]).await;
    refund(&mut order, &[(1, 1, "0.1"), (2, 0, "0.0001")], 5);
    store.save(&order, &[], &[]).await.unwrap();
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    let prices: Vec<String> = loaded
        .lines()
        .iter()
        .map(|l| l.unit_price().to_string())
        .collect();
    assert_eq!(
        prices,
        ["0.1", "19.99", "0.0001", "12345678901.2345", "1.10"]
    );
    assert_eq!(loaded.lines()[0].total_tax().to_string(), "0.02");
    assert_eq!(
        loaded.totals().total.map(|d| d.to_string()).as_deref(),
        Some("12345678921.4346")
    );
    assert_eq!(
        loaded.totals().discounts.map(|d| d.to_string()).as_deref(),
        Some("-0.50")
    );
    assert_eq!(loaded.refunded_total().to_string(), "0.1001");
}

pub async fn utc_timestamps_round_trip(store: &dyn Store) {
    let order = insert(store, create(sample("adm", "T-1"), 0), &[]).await;
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    assert_eq!(loaded.received_at(), at(0));
    assert_eq!(loaded.placed_at(), at(-3_600));
    assert_eq!(loaded.deliver_by(), Some(at(7 * 86_400)));
    assert_eq!(loaded.received_at().timestamp_subsec_micros(), 123_456);
}

pub async fn a_large_raw_payload_and_non_ascii_text_round_trip(store: &dyn Store) {
    let mut new = sample("adm", "L-1");
    let unit = "Grüße, 東京, ✓ ";
    let filler: String = unit.repeat(100 * 1024 / unit.len() + 1);
    let payload =
        format!("{{\"id\":\"L-1\",\"note\":\"{filler}\",\"nested\":{{\"a\":[1,2.50,\"x\"]}}}}");
    assert!(payload.len() >= 100 * 1024);
    new.raw_payload = Some(payload.clone());
    new.lines[0].title = Some("Café crème – 12×".to_owned());
    let order = insert(store, create(new, 0), &[]).await;
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    assert_eq!(loaded.raw_payload(), Some(payload.as_str()));
    assert_eq!(loaded.lines()[0].title(), Some("Café crème – 12×"));
    let address = loaded.shipping_address().unwrap();
    assert_eq!(address.last_name.as_deref(), Some("Ångström"));
}

/// Design section 12: a payload whose JSON escapes a NUL (`\u0000`, which PostgreSQL's `jsonb`
/// refuses) is kept exactly as received, spacing and escapes included.
pub async fn a_raw_payload_escaping_nul_round_trips_exactly(store: &dyn Store) {
    let mut new = sample("adm", "N-1");
    let payload = "{ \"id\": \"N-1\",\n\t\"address1\": \"1 Main\\u0000 St\\u001b\",  \"x\": \"\\ud83e\\udd80\" }";
    new.raw_payload = Some(payload.to_owned());
    let order = insert(store, create(new, 0), &[]).await;
    let loaded = store.get(order.id()).await.unwrap().unwrap();
    assert_eq!(loaded.raw_payload(), Some(payload));
}

pub async fn list_filters_by_status_channel_and_updated_after(store: &dyn Store) {
    let open = insert(store, create(sample("adm", "F-1"), 0), &[]).await;
    let mut partly = insert(store, create(sample("adm", "F-2"), 1), &[]).await;
    ship(&mut partly, "T1", "XYZ", 1, 30);
    store.save(&partly, &[], &[]).await.unwrap();
    let other = insert(store, create(sample("feedamp", "F-3"), 2), &[]).await;

    let all = |statuses: Vec<OrderStatus>, channel: Option<&str>, after: Option<i64>| OrderQuery {
        statuses,
        channel: channel.map(|c| ChannelId::parse(c).unwrap()),
        updated_after: after.map(at),
        on_hold: None,
        after: None,
        limit: 100,
    };
    let ids = |page: orderbridge_domain::ports::store::OrderPage| {
        page.orders.iter().map(|o| o.id()).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store.list(&all(vec![], None, None)).await.unwrap()),
        [open.id(), other.id(), partly.id()]
    );
    assert_eq!(
        ids(store
            .list(&all(vec![OrderStatus::Open], None, None))
            .await
            .unwrap()),
        [open.id(), other.id()]
    );
    assert_eq!(
        ids(store
            .list(&all(
                vec![OrderStatus::PartiallyFulfilled, OrderStatus::Fulfilled],
                None,
                None
            ))
            .await
            .unwrap()),
        [partly.id()]
    );
    assert_eq!(
        ids(store
            .list(&all(vec![], Some("feedamp"), None))
            .await
            .unwrap()),
        [other.id()]
    );
    assert_eq!(
        ids(store
            .list(&all(vec![OrderStatus::Open], Some("adm"), None))
            .await
            .unwrap()),
        [open.id()]
    );
    assert_eq!(
        ids(store.list(&all(vec![], None, Some(1))).await.unwrap()),
        [other.id(), partly.id()],
        "strictly after"
    );
    assert!(
        store
            .list(&all(vec![OrderStatus::Cancelled], None, None))
            .await
            .unwrap()
            .orders
            .is_empty()
    );
}

pub async fn list_pages_neither_skip_nor_repeat_while_inserts_happen(store: &dyn Store) {
    let mut existing = HashSet::new();
    for n in 0..23 {
        // Two orders share each second, so pages must break ties on id.
        let order = insert(store, create(sample("adm", &format!("P-{n}")), n / 2), &[]).await;
        existing.insert(order.id());
    }
    let mut seen = Vec::new();
    let mut after = None;
    let mut inserted = 0;
    loop {
        let query = OrderQuery {
            statuses: vec![],
            channel: None,
            updated_after: None,
            on_hold: None,
            after,
            limit: 5,
        };
        let page = store.list(&query).await.unwrap();
        assert!(page.orders.len() <= 5);
        seen.extend(page.orders.iter().map(|o| o.id()));
        // An order arrives between pages.
        if inserted < 3 {
            insert(
                store,
                create(sample("adm", &format!("NEW-{inserted}")), 100 + inserted),
                &[],
            )
            .await;
            inserted += 1;
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let unique: HashSet<OrderId> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no order repeated");
    assert!(existing.is_subset(&unique), "no order skipped");
    assert_eq!(
        seen.len(),
        23 + 3,
        "orders inserted meanwhile come at the end"
    );
}

pub async fn get_many_loads_the_orders_found(store: &dyn Store) {
    let first = insert(store, create(sample("adm", "G-1"), 0), &[]).await;
    let second = insert(store, create(sample("adm", "G-2"), 1), &[]).await;
    let missing = OrderId::from_uuid(id());
    let mut found = store
        .get_many(&[second.id(), missing, first.id()])
        .await
        .unwrap();
    found.sort_by_key(|order| order.external_id().as_str().to_owned());
    assert_eq!(found.len(), 2, "the unknown id is left out");
    assert_eq!(found[0], store.get(first.id()).await.unwrap().unwrap());
    assert_eq!(found[1], store.get(second.id()).await.unwrap().unwrap());
    assert!(store.get_many(&[]).await.unwrap().is_empty());
}
