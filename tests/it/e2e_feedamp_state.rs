//! Issue 14's FeedAMP state check with the real binary, on PostgreSQL and SQLite: FeedAMP (the
//! sandbox) cancels one open order and pauses another; within one state-check interval the
//! first reads cancelled by the marketplace with nothing reported back, the second is on hold
//! and its shipment gets 409; once FeedAMP releases it, the next check lets it ship and the
//! fulfil call reaches FeedAMP; FeedAMP refused no call and saw no more than the configured
//! rate throughout.

use std::time::{Duration, Instant};

use orderbridge_sandbox::{FeedampSandbox, OrderState, SandboxLine, SandboxOrder};
use serde_json::Value;

use crate::e2e_feedamp::{PATIENCE, deliveries, detail, history, start_feedamp, with_feedamp};
use crate::process::{Api, Launch, TempDir, TestDb, eventually};

/// `feedamp.state_check_secs` here.
const STATE_CHECK: Duration = Duration::from_secs(2);
/// `feedamp.requests_per_second` here: low enough that polls, re-reads and sends together
/// press against it (the poll interval is 1 s).
const REQUESTS_PER_SECOND: usize = 4;
/// What "within one state-check interval" allows beyond the interval: one round's calls at the
/// rate above, and a busy machine.
const ROUND_SLACK: Duration = Duration::from_secs(3);

/// The listing's orders as (id, on_hold), for a query of `GET /v1/orders`.
async fn listed(api: &Api, query: &str) -> Vec<(String, bool)> {
    let (status, page) = api.get(&format!("/v1/orders?{query}")).await;
    assert_eq!(status, 200, "{query}: {page}");
    page["orders"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap_or("?").to_owned(),
                o["on_hold"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

/// Waits (at most `PATIENCE`) until `check` holds of both orders' details; how long it took.
async fn seen_within(
    api: &Api,
    orders: [&str; 2],
    check: impl Fn(&Value, &Value) -> bool,
) -> Duration {
    let began = Instant::now();
    let seen = eventually(PATIENCE, async || {
        check(&detail(api, orders[0]).await, &detail(api, orders[1]).await)
    })
    .await;
    assert!(
        seen,
        "not seen within {PATIENCE:?}: {} / {}",
        detail(api, orders[0]).await,
        detail(api, orders[1]).await
    );
    began.elapsed()
}

async fn feedamp_cancels_and_pauses_orders_and_orderbridge_follows(launch: Launch) {
    let feedamp: FeedampSandbox = start_feedamp().await;
    let added = feedamp
        .add_orders(vec![
            SandboxOrder::new()
                .id("140000000000000001")
                .line(SandboxLine::new("SKU-A", 2, "19.99")),
            SandboxOrder::new()
                .id("140000000000000002")
                .line(SandboxLine::new("SKU-B", 1, "5")),
        ])
        .unwrap();
    let (cancelled_ext, paused_ext) = (added[0].clone(), added[1].clone());
    let mut service = with_feedamp(launch, &feedamp)
        .env(
            "ORDERBRIDGE_FEEDAMP_REQUESTS_PER_SECOND",
            &REQUESTS_PER_SECOND.to_string(),
        )
        .env(
            "ORDERBRIDGE_FEEDAMP_STATE_CHECK_SECS",
            &STATE_CHECK.as_secs().to_string(),
        )
        .serve("orderbridge with FeedAMP state checks")
        .await;
    let logs = service.logs();
    let api = Api::new(&service.base_url());

    // Both polled and confirmed.
    let confirmed = feedamp
        .wait_until(PATIENCE, |f| f.unconfirmed_count() == 0)
        .await;
    assert!(confirmed, "both orders confirmed; output:\n{}", logs.text());
    let cancelled = api.order_id(&cancelled_ext).await;
    let paused = api.order_id(&paused_ext).await;
    let confirmations_delivered = eventually(PATIENCE, async || {
        deliveries(&detail(&api, &cancelled).await)
            == [("confirm".to_owned(), "delivered".to_owned())]
            && deliveries(&detail(&api, &paused).await)
                == [("confirm".to_owned(), "delivered".to_owned())]
    })
    .await;
    assert!(
        confirmations_delivered,
        "confirmations recorded as delivered"
    );
    assert_eq!(listed(&api, "on_hold=true").await, []);

    // FeedAMP cancels one and pauses the other.
    assert!(feedamp.cancel_order(&cancelled_ext));
    assert!(feedamp.pause_order(&paused_ext));
    let changes_seen = seen_within(&api, [&cancelled, &paused], |gone, held| {
        gone["status"] == "cancelled" && held["on_hold"] == true
    })
    .await;
    assert!(
        changes_seen <= STATE_CHECK + ROUND_SLACK,
        "seen after {changes_seen:?}, more than one state-check interval ({STATE_CHECK:?}) and \
         {ROUND_SLACK:?} of slack; output:\n{}",
        logs.text()
    );
    let gone = detail(&api, &cancelled).await;
    assert_eq!(
        gone["cancellations"].as_array().map(Vec::len),
        Some(1),
        "{gone}"
    );
    assert_eq!(gone["cancellations"][0]["by"], "marketplace", "{gone}");
    assert!(gone["cancelled_by_marketplace_at"].is_string(), "{gone}");
    assert_eq!(
        history(&gone),
        ["received", "confirmed", "cancelled"],
        "{gone}"
    );
    assert_eq!(
        listed(&api, "on_hold=true").await,
        [(paused.clone(), true)],
        "the held order, and only it, is listed with on_hold=true"
    );
    let (status, refused) = api.ship(&paused, "1Z-HELD-1", &[("SKU-B", 1)]).await;
    assert_eq!(
        (status, &refused["error"]),
        (409, &Value::from("Order On Hold")),
        "{refused}"
    );
    let (status, refused) = api.ship(&cancelled, "1Z-GONE-1", &[("SKU-A", 1)]).await;
    assert_eq!(
        (status, &refused["error"]),
        (409, &Value::from("Cancelled By Marketplace")),
        "{refused}"
    );

    // Told again on every round: nothing more changes.
    tokio::time::sleep(STATE_CHECK * 2).await;
    assert_eq!(history(&detail(&api, &cancelled).await).len(), 3);
    assert_eq!(
        history(&detail(&api, &paused).await),
        ["received", "confirmed", "held"]
    );

    // FeedAMP releases it: the next check lets it ship.
    assert!(feedamp.release_order(&paused_ext));
    let release_seen = seen_within(&api, [&cancelled, &paused], |_, held| {
        held["on_hold"] == false
    })
    .await;
    assert!(
        release_seen <= STATE_CHECK + ROUND_SLACK,
        "released after {release_seen:?}; output:\n{}",
        logs.text()
    );
    let (status, shipped) = api.ship(&paused, "1Z-FREE-1", &[("SKU-B", 1)]).await;
    assert_eq!(status, 201, "{shipped}");
    let sent = feedamp
        .wait_until(PATIENCE, |f| {
            f.order_state(&paused_ext) == Some(OrderState::Shipped)
        })
        .await;
    assert!(
        sent,
        "the fulfil call reaches FeedAMP; output:\n{}",
        logs.text()
    );
    let delivered = eventually(PATIENCE, async || {
        deliveries(&detail(&api, &paused).await)
            == [
                ("confirm".to_owned(), "delivered".to_owned()),
                ("order_fulfillment".to_owned(), "delivered".to_owned()),
            ]
    })
    .await;
    assert!(delivered, "{}", detail(&api, &paused).await);

    // Nothing reported back of the marketplace's cancellation.
    assert!(feedamp.fulfil_calls(&cancelled_ext).is_empty());
    assert_eq!(
        deliveries(&detail(&api, &cancelled).await),
        [("confirm".to_owned(), "delivered".to_owned())]
    );
    assert_eq!(
        feedamp.order_state(&cancelled_ext),
        Some(OrderState::Cancelled)
    );

    // FeedAMP refused nothing (no 429 among them) and never saw more than the rate (950 ms
    // windows allow for the jitter of evenly spaced calls); the rounds logged what they did.
    let requests = feedamp.requests();
    let refused: Vec<_> = requests
        .iter()
        .filter(|r| !r.status.is_some_and(|s| (200..300).contains(&s)))
        .collect();
    assert!(refused.is_empty(), "calls FeedAMP refused: {refused:?}");
    let reads = requests
        .iter()
        .filter(|r| r.method == "GET" && r.order_id.is_some())
        .count();
    // At least: the round that saw both changes, one that saw the hold again, and the one
    // that saw the release (the cancelled order is no longer open, so no longer read).
    assert!(
        reads >= 4,
        "the open orders were re-read on every round: {reads} reads"
    );
    let busiest = feedamp.max_requests_in_window(Duration::from_millis(950));
    assert!(
        busiest <= REQUESTS_PER_SECOND,
        "{busiest} calls within 950 ms"
    );
    assert_eq!(
        feedamp.token_fetches(),
        1,
        "one token, shared by every call"
    );
    let rounds: Vec<Value> = logs
        .events()
        .into_iter()
        .filter(|e| e["message"] == "order states checked")
        .collect();
    let total = |field: &str| rounds.iter().filter_map(|e| e[field].as_u64()).sum::<u64>();
    assert_eq!(
        (total("cancelled"), total("held"), total("released")),
        (1, 1, 1),
        "{rounds:?}"
    );
    assert_eq!(
        logs.count("order state check stopped early; the next round starts over"),
        0
    );

    let status = service
        .terminate(Duration::from_secs(15))
        .await
        .expect("orderbridge exits after SIGTERM");
    assert!(status.success(), "{status}; output:\n{}", logs.text());
    eprintln!(
        "feedamp state checks: cancellation and hold seen after {changes_seen:.1?}, release \
         after {release_seen:.1?} (interval {STATE_CHECK:?}); {} rounds, {reads} re-reads, {} \
         FeedAMP calls, busiest 950 ms window {busiest}",
        rounds.len(),
        requests.len()
    );
    feedamp.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedamp_cancels_and_pauses_orders_and_orderbridge_follows_on_postgres() {
    let db = TestDb::create().await;
    feedamp_cancels_and_pauses_orders_and_orderbridge_follows(
        Launch::new().env("DATABASE_URL", db.url()),
    )
    .await;
    db.drop_now().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedamp_cancels_and_pauses_orders_and_orderbridge_follows_on_sqlite() {
    let dir = TempDir::new();
    feedamp_cancels_and_pauses_orders_and_orderbridge_follows(Launch::new().cwd(dir.path())).await;
}
