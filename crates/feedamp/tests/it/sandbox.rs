//! The client, the poller and the dispatcher against the sandbox FeedAMP (issue 6),
//! over SQLite: orders polled page by page and confirmed once, token expiry, the rate limit,
//! one whole-order fulfil call carrying every shipment and cancellation, refunds once per line,
//! exact money both ways.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, FulfillmentRequest, RefundLineRequest,
    RefundReason, RefundRequest,
};
use orderbridge_domain::ports::clock::{SystemClock, UuidV7Ids};
use orderbridge_domain::ports::marketplace::Marketplace;
use orderbridge_domain::ports::source::OrderSource;
use orderbridge_domain::ports::store::Store;
use orderbridge_domain::services::{
    Channels, Dispatcher, Marketplaces, OrderService, Poller, RetryPolicy, ServiceConfig,
};
use orderbridge_domain::values::{
    Carrier, ChannelId, Currency, ExternalOrderId, LineNo, Money, OrderId, Quantity, Sku,
    TrackingNumber,
};
use orderbridge_feedamp::{FeedampClient, FeedampConfig, Secret};
use orderbridge_sandbox::{FeedampSandbox, FeedampSandboxConfig, SandboxLine, SandboxOrder};
use orderbridge_sqlite::Sqlite;
use rust_decimal::Decimal;
use uuid::Uuid;

/// Fast retries, so that tests of failures take milliseconds.
fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(200),
        max_age: Duration::from_secs(3_600),
        lease: Duration::from_secs(10),
    }
}

const USER: &str = "ob-user";
const PASSWORD: &str = "ob-password";
const CLIENT: &str = "4242";

struct Feed {
    sandbox: FeedampSandbox,
    client: FeedampClient,
    store: Arc<dyn Store>,
    service: OrderService,
    poller: Poller,
    dispatcher: Dispatcher,
}

async fn feed(configure: impl FnOnce(FeedampConfig) -> FeedampConfig) -> Feed {
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
    );
    let client = FeedampClient::new(configure(config)).unwrap();
    let sqlite = Sqlite::temporary().await.unwrap();
    sqlite.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(sqlite);
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
    let dispatcher = Dispatcher::new(
        store.clone(),
        store.clone(),
        marketplaces,
        clock.clone(),
        ids,
        fast_policy(),
    );
    let poller = Poller::new(
        service.clone(),
        store.clone(),
        Arc::new(client.clone()),
        clock,
        Uuid::now_v7(),
        Duration::from_secs(60),
    );
    Feed {
        sandbox,
        client,
        store,
        service,
        poller,
        dispatcher,
    }
}

fn fast(config: FeedampConfig) -> FeedampConfig {
    config.with_min_interval(Duration::from_millis(1))
}

impl Feed {
    /// Sends every due delivery until none is pending (retries included), or fails after 30 s.
    async fn pump(&self) {
        let token = Uuid::now_v7();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let claimed = self.dispatcher.claim(token, 50, &[]).await.unwrap();
            for row in &claimed {
                self.dispatcher.dispatch(row).await.unwrap();
            }
            if claimed.is_empty() {
                if self.store.outbox_stats().await.unwrap().pending == 0 {
                    return;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "deliveries still pending after 30 s"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    async fn order_of(&self, external: &str) -> OrderId {
        let channel = ChannelId::parse("feedamp").unwrap();
        self.store
            .find_by_external(&channel, &ExternalOrderId::parse(external).unwrap())
            .await
            .unwrap()
            .unwrap()
            .id()
    }

    async fn ship(&self, order: OrderId, tracking: &str, sku: &str, quantity: u32) {
        let request = FulfillmentRequest {
            tracking_number: TrackingNumber::parse(tracking).unwrap(),
            carrier: Some(Carrier::parse("UPS").unwrap()),
            tracking_url: None,
            lines: vec![(Sku::parse(sku).unwrap(), Quantity::new(quantity).unwrap())],
            shipped_at: None,
        };
        self.service
            .record_fulfillment(order, &request)
            .await
            .unwrap();
    }
}

/// An 18-digit FeedAMP id.
fn feed_id(n: u64) -> String {
    format!("{:018}", 109_872_189_273_600_000 + n)
}

/// One order with lines of (sku, quantity, unit price text).
fn order(n: u64, lines: &[(&str, u32, &str)]) -> SandboxOrder {
    let mut order = SandboxOrder::new().id(feed_id(n));
    for (i, (sku, quantity, price)) in lines.iter().enumerate() {
        order = order
            .line(SandboxLine::new(*sku, *quantity, *price).mp_line_number(format!("MP-{n}-{i}")));
    }
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_over_several_pages_arrive_once_and_are_confirmed_once() {
    let f = feed(|c| fast(c).with_page_limit(200)).await;
    let ids = f.sandbox.add_generated(1_000, 11).unwrap();
    let report = f
        .poller
        .poll_once()
        .await
        .unwrap()
        .expect("holds the lease");
    assert_eq!(
        (report.created, report.known, report.unreadable.len()),
        (1_000, 0, 0)
    );
    assert!(report.pages >= 5, "paged: {} pages", report.pages);
    f.pump().await;
    assert_eq!(f.sandbox.unconfirmed_count(), 0);
    for id in &ids {
        assert_eq!(f.sandbox.confirm_count(id), 1, "order {id} confirmed once");
    }
    let again = f.poller.poll_once().await.unwrap().unwrap();
    assert_eq!(
        (again.created, again.known),
        (0, 0),
        "confirmed orders left the feed"
    );
    f.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expires_mid_run_causes_one_refresh_and_loses_no_page() {
    let f = feed(|c| fast(c).with_page_limit(50)).await;
    f.sandbox.add_generated(150, 12).unwrap();
    let first = f.client.fetch_page(None).await.unwrap();
    assert_eq!(f.sandbox.token_fetches(), 1);
    let expired = f.sandbox.expire_tokens();
    assert_eq!(expired, 1);
    let mut ids: Vec<String> = first
        .orders
        .iter()
        .map(|o| o.external_id.as_ref().unwrap().to_string())
        .collect();
    let mut cursor = first.next_cursor;
    while let Some(next) = cursor.filter(|c| !c.is_empty()) {
        let page = f.client.fetch_page(Some(next)).await.unwrap();
        ids.extend(
            page.orders
                .iter()
                .map(|o| o.external_id.as_ref().unwrap().to_string()),
        );
        cursor = page.next_cursor;
    }
    assert_eq!(f.sandbox.token_fetches(), 2, "exactly one refresh");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (ids.len(), unique.len()),
        (150, 150),
        "no page lost or repeated"
    );
    f.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_default_rate_limit_a_run_of_about_twenty_requests_never_exceeds_two_per_second() {
    let f = feed(|c| c.with_page_limit(50)).await;
    f.sandbox.add_generated(18, 13).unwrap();
    let started = std::time::Instant::now();
    let report = f.poller.poll_once().await.unwrap().unwrap();
    assert_eq!(report.created, 18);
    f.pump().await;
    let requests = f.sandbox.requests().len();
    assert!(
        requests >= 20,
        "{requests} requests: token, page, 18 confirms"
    );
    // A 950 ms window allows 50 ms of arrival jitter around requests sent 500 ms apart.
    let most = f.sandbox.max_requests_in_window(Duration::from_millis(950));
    assert!(most <= 2, "at most 2 in any second; saw {most}");
    assert!(
        started.elapsed() >= Duration::from_millis(500 * (u64::try_from(requests).unwrap() - 1)),
        "spaced by 500 ms"
    );
    f.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_shipped_in_three_fulfillments_produces_one_fulfil_call_carrying_all_three() {
    let f = feed(fast).await;
    f.sandbox
        .add_order(order(1, &[("SKU-A", 2, "10.00"), ("SKU-B", 1, "5.00")]))
        .unwrap();
    f.poller.poll_once().await.unwrap().unwrap();
    f.pump().await;
    let id = f.order_of(&feed_id(1)).await;
    f.ship(id, "1Z-1", "SKU-A", 1).await;
    f.pump().await;
    f.ship(id, "1Z-2", "SKU-A", 1).await;
    f.pump().await;
    assert!(
        f.sandbox.fulfil_calls(&feed_id(1)).is_empty(),
        "nothing sent before the order is complete"
    );
    f.ship(id, "1Z-3", "SKU-B", 1).await;
    f.pump().await;
    let calls = f.sandbox.fulfil_calls(&feed_id(1));
    assert_eq!(calls.len(), 1, "exactly one fulfil call");
    let text = calls[0].to_string();
    for tracking in ["1Z-1", "1Z-2", "1Z-3"] {
        assert!(text.contains(tracking), "{tracking} in {text}");
    }
    assert_eq!(
        f.sandbox
            .order_state(&feed_id(1))
            .map(|s| format!("{s:?}"))
            .as_deref(),
        Some("Shipped")
    );
    f.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_rest_puts_the_cancellation_in_that_one_call() {
    let f = feed(fast).await;
    f.sandbox
        .add_order(order(2, &[("SKU-A", 2, "10.00"), ("SKU-B", 1, "5.00")]))
        .unwrap();
    f.poller.poll_once().await.unwrap().unwrap();
    f.pump().await;
    let id = f.order_of(&feed_id(2)).await;
    f.ship(id, "1Z-9", "SKU-A", 2).await;
    let rest = CancellationRequest {
        reason: CancelReason::OutOfStock,
        scope: CancelScope::WholeOrder,
        note: None,
    };
    f.service.cancel(id, &rest).await.unwrap();
    f.pump().await;
    let calls = f.sandbox.fulfil_calls(&feed_id(2));
    assert_eq!(calls.len(), 1);
    let lines = calls[0]["order_lines"].as_array().unwrap();
    let line_b = lines
        .iter()
        .find(|l| l["mp_line_number"] == "MP-2-1")
        .unwrap();
    assert_eq!(line_b["cancellations"][0]["quantity_cancelled"], 1);
    assert_eq!(
        line_b["cancellations"][0]["cancellation_reason"],
        "out_of_stock"
    );
    let line_a = lines
        .iter()
        .find(|l| l["mp_line_number"] == "MP-2-0")
        .unwrap();
    assert_eq!(line_a["fulfillments"][0]["quantity_shipped"], 2);
    f.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_retried_after_a_500_reaches_feedamp_once_per_line_with_exact_amounts() {
    let f = feed(fast).await;
    f.sandbox
        .add_order(order(
            3,
            &[
                ("SKU-A", 1, "0.1"),
                ("SKU-B", 1, "0.2"),
                ("SKU-C", 1, "19.99"),
            ],
        ))
        .unwrap();
    f.poller.poll_once().await.unwrap().unwrap();
    f.pump().await;
    let id = f.order_of(&feed_id(3)).await;
    // Prices arrive exact.
    let stored = f.store.get(id).await.unwrap().unwrap();
    let prices: Vec<String> = stored
        .lines()
        .iter()
        .map(|l| l.unit_price().to_string())
        .collect();
    assert_eq!(prices, ["0.1", "0.2", "19.99"]);
    f.sandbox.faults().fail_next(1);
    let refund = RefundRequest {
        reference: Some(orderbridge_domain::order::RefundReference::parse("RMA-3").unwrap()),
        reason: RefundReason::CustomerReturn,
        note: None,
        lines: [(1, "0.1"), (2, "0.2")]
            .iter()
            .map(|(line, amount)| RefundLineRequest {
                line: LineNo::new(*line).unwrap(),
                quantity: 1,
                amount: Money::new(Decimal::from_str(amount).unwrap(), Currency::USD),
            })
            .collect(),
    };
    f.service.refund(id, &refund).await.unwrap();
    f.pump().await;
    let refunds: Vec<serde_json::Value> = f
        .sandbox
        .refunds()
        .into_iter()
        .filter(|(o, _)| *o == feed_id(3))
        .map(|(_, r)| r)
        .collect();
    assert_eq!(
        refunds.len(),
        2,
        "once per line, the 500 retried: {refunds:?}"
    );
    assert_eq!(f.sandbox.duplicate_refunds(), 0);
    // The two lines' calls wait for nothing of each other, so they may go in either order.
    let mut amounts: Vec<String> = refunds
        .iter()
        .map(|r| r["item_refund"].to_string())
        .collect();
    amounts.sort();
    assert_eq!(amounts, ["0.1", "0.2"], "amounts leave exact");
    assert_ne!(
        refunds[0]["cp_refund_number"],
        refunds[1]["cp_refund_number"]
    );
    f.sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_check_cancels_what_feedamp_cancelled_holds_what_it_paused_and_keeps_the_rate() {
    let f = feed(|c| c.with_requests_per_second(4)).await;
    for n in 1..=3 {
        f.sandbox
            .add_order(order(n, &[("SKU-A", 2, "19.99")]))
            .unwrap();
    }
    f.poller.poll_once().await.unwrap().unwrap();
    f.pump().await;
    let (cancelled, paused, untouched) = (feed_id(1), feed_id(2), feed_id(3));
    assert!(f.sandbox.cancel_order(&cancelled));
    assert!(f.sandbox.pause_order(&paused));

    let report = f
        .poller
        .check_states()
        .await
        .unwrap()
        .expect("holds the lease");
    assert_eq!(
        (
            report.checked,
            report.cancelled,
            report.held,
            report.released
        ),
        (3, 1, 1, 0),
        "{report:?}"
    );
    let order = |external: String| {
        let f = &f;
        async move {
            f.service
                .order(f.order_of(&external).await)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let gone = order(cancelled.clone()).await;
    assert_eq!(gone.status().as_str(), "cancelled");
    assert!(gone.marketplace().cancelled_at.is_some());
    assert!(order(paused.clone()).await.on_hold());
    assert!(!order(untouched).await.on_hold());

    // Released at FeedAMP: the next check releases it, and its shipment reaches FeedAMP.
    assert!(f.sandbox.release_order(&paused));
    let report = f.poller.check_states().await.unwrap().unwrap();
    assert_eq!((report.checked, report.released), (2, 1), "{report:?}");
    let held = f.order_of(&paused).await;
    f.ship(held, "1Z-RELEASED", "SKU-A", 2).await;
    f.pump().await;
    assert_eq!(f.sandbox.fulfil_calls(&paused).len(), 1);
    assert!(
        f.sandbox.fulfil_calls(&cancelled).is_empty(),
        "a marketplace cancellation is not reported back"
    );
    let refused: Vec<_> = f
        .sandbox
        .requests()
        .into_iter()
        .filter(|r| r.status != Some(200))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    let most = f.sandbox.max_requests_in_window(Duration::from_millis(950));
    assert!(most <= 4, "at most 4 in any second; saw {most}");
    f.sandbox.shutdown().await;
}
