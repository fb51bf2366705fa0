//! Delivery on bad days (issue 13), on SQLite and on PostgreSQL: a rejected shipment holds back
//! nothing else and is resolved by hand; a FeedAMP refund waits for its parked fulfil call until
//! that call is resolved, then goes out.

use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::order::{
    FulfillmentRequest, RefundLineRequest, RefundReason, RefundRequest,
};
use orderbridge_domain::outbox::{DeliveryKind, DeliveryState};
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::marketplace::Marketplace;
use orderbridge_domain::ports::store::{DeliveryQuery, Store};
use orderbridge_domain::services::{
    Channels, DeliveryService, Dispatcher, Marketplaces, OrderService, Poller, RetryPolicy,
    ServiceConfig,
};
use orderbridge_domain::values::{
    Carrier, ChannelId, Currency, ExternalOrderId, LineNo, Money, Quantity, Sku, TrackingNumber,
};
use orderbridge_feedamp::{FeedampClient, FeedampConfig, Secret};
use orderbridge_sandbox::{FeedampSandbox, FeedampSandboxConfig, SandboxLine, SandboxOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Harness, WAREHOUSE_KEY, on_both_stores};

const PATIENCE: Duration = Duration::from_secs(20);

on_both_stores!(
    a_rejected_shipment_holds_back_nothing_and_resolving_it_unblocks_nothing_else,
    a_feedamp_refund_waits_for_its_parked_fulfil_call_until_that_is_resolved,
);

async fn deliveries(h: &Harness, order: &str) -> Vec<Value> {
    let (_, page) = h
        .call(
            "GET",
            &format!("/v1/deliveries?order_id={order}"),
            WAREHOUSE_KEY,
            None,
        )
        .await;
    page["deliveries"].as_array().unwrap().clone()
}

async fn a_rejected_shipment_holds_back_nothing_and_resolving_it_unblocks_nothing_else(
    store: Arc<dyn Store>,
) {
    let h = Harness::start(store).await;
    let order = h
        .adm_order_lines("3001", &[("AAA", 1), ("BBB", 1), ("CCC", 1)])
        .await;
    // ADM knows the order without AAA: the first shipment is refused for good (400).
    h.adm.register_order("3001", &[("BBB", 1), ("CCC", 1)]);
    h.ship(&order, "T-1", "AAA", 1).await;
    h.ship(&order, "T-2", "BBB", 1).await;
    h.ship(&order, "T-3", "CCC", 1).await;
    assert!(
        h.adm.wait_for_accepted(2, PATIENCE).await,
        "the second and third shipments go although the first is refused"
    );
    let settled = h
        .eventually(PATIENCE, async || {
            let mut states: Vec<String> = deliveries(&h, &order)
                .await
                .iter()
                .map(|d| d["state"].as_str().unwrap().to_owned())
                .collect();
            states.sort();
            states == ["dead", "delivered", "delivered"]
        })
        .await;
    assert!(
        settled,
        "the first is parked, the others recorded as delivered"
    );
    let mut sent: Vec<String> = h
        .adm
        .accepted()
        .iter()
        .map(|f| f.tracking_number.clone())
        .collect();
    sent.sort();
    assert_eq!(sent, ["T-2", "T-3"]);
    let rows = deliveries(&h, &order).await;
    let first = rows.iter().find(|d| d["state"] == "dead").unwrap();
    let id = first["id"].as_str().unwrap();
    let (status, resolved) = h
        .call(
            "POST",
            &format!("/v1/deliveries/{id}/resolve"),
            WAREHOUSE_KEY,
            Some(json!({"note": "entered by hand on ADM", "by": "ops"})),
        )
        .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["state"], "resolved");
    let (_, detail) = h
        .call("GET", &format!("/v1/orders/{order}"), WAREHOUSE_KEY, None)
        .await;
    let states: Vec<&str> = detail["fulfillments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["delivery"]["state"].as_str().unwrap())
        .collect();
    let mut sorted = states.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["delivered", "delivered", "resolved"], "{detail}");
    let history: Vec<&str> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(history.last(), Some(&"delivery_resolved"));
    // Nothing waited for it: nothing else goes, nothing is pending.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.adm.accepted_count(), 2);
    assert!(
        deliveries(&h, &order)
            .await
            .iter()
            .all(|d| d["state"] != "pending")
    );
    h.stop().await;
}

const USER: &str = "ob-user";
const PASSWORD: &str = "ob-password";
const CLIENT: &str = "4242";

/// FeedAMP's client, the services and the dispatcher over `store`, with retries that give up
/// (park) after 300 ms.
struct Feed {
    sandbox: FeedampSandbox,
    store: Arc<dyn Store>,
    service: OrderService,
    deliveries: DeliveryService,
    poller: Poller,
    dispatcher: Dispatcher,
}

async fn feed(store: Arc<dyn Store>) -> Feed {
    let sandbox = FeedampSandbox::start(FeedampSandboxConfig::new(USER, PASSWORD, CLIENT))
        .await
        .unwrap();
    let channel = ChannelId::parse("feedamp").unwrap();
    let config = FeedampConfig::new(
        channel.clone(),
        sandbox.base_url(),
        USER,
        Secret::new(PASSWORD),
        CLIENT,
    )
    .with_min_interval(Duration::from_millis(1));
    let client = FeedampClient::new(config).unwrap();
    let clock = Arc::new(SystemClock);
    let ids = Arc::new(UuidV7Ids);
    let channels = Channels::new().with(channel.clone(), client.capabilities());
    let service = OrderService::new(
        store.clone(),
        channels,
        clock.clone(),
        ids.clone(),
        ServiceConfig::default(),
    );
    let mut marketplaces = Marketplaces::new();
    marketplaces.insert(channel, Arc::new(client.clone()));
    let policy = RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(50),
        max_age: Duration::from_millis(300),
        lease: Duration::from_secs(10),
    };
    let dispatcher = Dispatcher::new(
        store.clone(),
        store.clone(),
        marketplaces,
        clock.clone(),
        ids.clone(),
        policy,
    );
    let poller = Poller::new(
        service.clone(),
        store.clone(),
        Arc::new(client),
        clock.clone(),
        Uuid::now_v7(),
        Duration::from_secs(60),
    );
    Feed {
        sandbox,
        deliveries: DeliveryService::new(store.clone(), clock, ids),
        store,
        service,
        poller,
        dispatcher,
    }
}

impl Feed {
    /// Dispatcher rounds for `rounds` × 20 ms.
    async fn pump_for(&self, rounds: u32) {
        let token = Uuid::now_v7();
        for _ in 0..rounds {
            for row in self.dispatcher.claim(token, 50, &[]).await.unwrap() {
                self.dispatcher.dispatch(&row).await.unwrap();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn states(&self) -> Vec<(DeliveryKind, DeliveryState)> {
        self.store
            .deliveries(&DeliveryQuery {
                limit: 100,
                ..DeliveryQuery::default()
            })
            .await
            .unwrap()
            .iter()
            .map(|d| (d.kind, d.state))
            .collect()
    }

    async fn state_of(&self, name: &str) -> Vec<DeliveryState> {
        self.states()
            .await
            .into_iter()
            .filter(|(kind, _)| kind.name() == name)
            .map(|(_, state)| state)
            .collect()
    }
}

async fn a_feedamp_refund_waits_for_its_parked_fulfil_call_until_that_is_resolved(
    store: Arc<dyn Store>,
) {
    let f = feed(store).await;
    let external = "109872189273600001";
    let order = SandboxOrder::new()
        .id(external)
        .line(SandboxLine::new("SKU-1", 1, "10.00").mp_line_number("MP-1"));
    f.sandbox.add_order(order).unwrap();
    f.poller.poll_once().await.unwrap();
    f.pump_for(5).await;
    assert_eq!(f.state_of("confirm").await, [DeliveryState::Delivered]);
    let channel = ChannelId::parse("feedamp").unwrap();
    let id = f
        .store
        .find_by_external(&channel, &ExternalOrderId::parse(external).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id();
    // FeedAMP fails every call for longer than the retry policy's maximum age: the whole-order
    // fulfil call is parked.
    f.sandbox.faults().fail_next(10_000);
    let shipment = FulfillmentRequest {
        tracking_number: TrackingNumber::parse("1Z-F").unwrap(),
        carrier: Some(Carrier::parse("UPS").unwrap()),
        tracking_url: None,
        lines: vec![(Sku::parse("SKU-1").unwrap(), Quantity::new(1).unwrap())],
        shipped_at: None,
    };
    f.service.record_fulfillment(id, &shipment).await.unwrap();
    f.pump_for(25).await;
    assert_eq!(
        f.state_of("order_fulfillment").await,
        [DeliveryState::Dead],
        "parked after its maximum age"
    );
    f.sandbox.faults().clear();
    let refund = RefundRequest {
        lines: vec![RefundLineRequest {
            line: LineNo::new(1).unwrap(),
            quantity: 1,
            amount: Money::new(rust_decimal::Decimal::new(1000, 2), Currency::USD),
        }],
        reason: RefundReason::CustomerReturn,
        note: None,
        reference: None,
    };
    f.service.refund(id, &refund).await.unwrap();
    f.pump_for(10).await;
    assert_eq!(
        f.state_of("refund").await,
        [DeliveryState::Pending],
        "the refund waits for the call that reports its line's shipment"
    );
    assert!(f.sandbox.refunds().is_empty(), "nothing reached FeedAMP");
    let parked = f
        .store
        .deliveries(&DeliveryQuery {
            state: Some(DeliveryState::Dead),
            limit: 10,
            ..DeliveryQuery::default()
        })
        .await
        .unwrap()
        .remove(0);
    f.deliveries
        .resolve_delivery(parked.id, "shipment entered on FeedAMP's seller page", None)
        .await
        .unwrap();
    f.pump_for(10).await;
    assert_eq!(f.state_of("refund").await, [DeliveryState::Delivered]);
    assert_eq!(f.sandbox.refunds().len(), 1, "the refund went out once");
    f.sandbox.shutdown().await;
}
