//! The real `orderbridge` binary against the sandbox FeedAMP, on PostgreSQL: a polled order's
//! whole life (confirmed, one whole-order fulfil call carrying the shipment and the
//! cancellation, a refund line with its exact amount, SIGTERM), and three instances on one
//! database where only one polls at a time and another takes over when the poller dies or stops.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use orderbridge_sandbox::feedamp::NEW_ORDERS_PATH;
use orderbridge_sandbox::{
    FeedampOrderGenerator, FeedampSandbox, FeedampSandboxConfig, OrderState, SandboxLine,
    SandboxOrder,
};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

use crate::process::api::{SHUTDOWN_SECS, WAREHOUSE_KEY};
use crate::process::service::Logs;
use crate::process::{Api, Launch, Service, TestDb, eventually};

const USER: &str = "e2e-feedamp-user";
const PASSWORD: &str = "e2e-feedamp-password";
const CLIENT_ID: &str = "e2e-feedamp-client";
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);
/// `feedamp.poll_interval_secs` of every process here.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// `feedamp.requests_per_second` of every process here.
const REQUESTS_PER_SECOND: usize = 20;

/// The worker's event after each poll this instance made.
const POLLED: &str = "polled";
/// The worker's debug event when the lease is held by another instance.
const ANOTHER_POLLS: &str = "another instance is polling this channel";
/// The adapter's debug event after each new-orders page it fetched.
const PAGE_FETCHED: &str = "FeedAMP new-orders page fetched";

/// `launch` pointed at `feedamp` (polling every second, 20 calls a second), with the warehouse
/// key, fast dispatcher retries and the short shutdown budget of the other end-to-end tests.
pub(crate) fn with_feedamp(launch: Launch, feedamp: &FeedampSandbox) -> Launch {
    launch
        .env("ORDERBRIDGE_FEEDAMP_BASE_URL", &feedamp.base_url())
        .env("ORDERBRIDGE_FEEDAMP_USERNAME", USER)
        .env("ORDERBRIDGE_FEEDAMP_PASSWORD", PASSWORD)
        .env("ORDERBRIDGE_FEEDAMP_CLIENT_ID", CLIENT_ID)
        .env(
            "ORDERBRIDGE_FEEDAMP_POLL_INTERVAL_SECS",
            &POLL_INTERVAL.as_secs().to_string(),
        )
        .env(
            "ORDERBRIDGE_FEEDAMP_REQUESTS_PER_SECOND",
            &REQUESTS_PER_SECOND.to_string(),
        )
        .env("ORDERBRIDGE_WAREHOUSE_API_KEYS", WAREHOUSE_KEY)
        .env("ORDERBRIDGE_DISPATCH_RETRY_BASE_SECS", "1")
        .env("ORDERBRIDGE_DISPATCH_RETRY_CAP_SECS", "2")
        .env("ORDERBRIDGE_DISPATCH_IDLE_POLL_MS", "20")
        .env("ORDERBRIDGE_DISPATCH_LEASE_SECS", "5")
        // A lease is at least one call long (checked at start-up).
        .env("ORDERBRIDGE_FEEDAMP_REQUEST_TIMEOUT_SECS", "5")
        .env(
            "ORDERBRIDGE_SHUTDOWN_TIMEOUT_SECS",
            &SHUTDOWN_SECS.to_string(),
        )
}

pub(crate) async fn start_feedamp() -> FeedampSandbox {
    FeedampSandbox::start(FeedampSandboxConfig::new(USER, PASSWORD, CLIENT_ID))
        .await
        .expect("starting the sandbox FeedAMP")
}

/// `GET /v1/orders/{id}`.
pub(crate) async fn detail(api: &Api, order: &str) -> Value {
    let (status, body) = api.get(&format!("/v1/orders/{order}")).await;
    assert_eq!(status, 200, "GET /v1/orders/{order}: {body}");
    body
}

/// The order's deliveries as (kind, state), oldest first.
pub(crate) fn deliveries(detail: &Value) -> Vec<(String, String)> {
    detail["deliveries"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|d| {
                    (
                        d["kind"].as_str().unwrap_or("?").to_owned(),
                        d["state"].as_str().unwrap_or("?").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The order's history kinds, oldest first.
pub(crate) fn history(detail: &Value) -> Vec<String> {
    detail["history"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|e| e["kind"].as_str().unwrap_or("?").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// The entry of a fulfil body's `order_lines` for `mp_line_number`.
fn fulfil_line<'a>(body: &'a Value, mp_line_number: &str) -> &'a Value {
    body["order_lines"]
        .as_array()
        .and_then(|lines| lines.iter().find(|l| l["mp_line_number"] == mp_line_number))
        .unwrap_or_else(|| panic!("line {mp_line_number} is in the fulfil body: {body}"))
}

/// The entries of an optional array field (absent or null: none).
fn entries<'a>(value: &'a Value, field: &str) -> &'a [Value] {
    value[field].as_array().map_or(&[], Vec::as_slice)
}

/// Whether nothing is waiting to be sent to a marketplace.
async fn outbox_settled(api: &Api) -> bool {
    let (status, page) = api.get("/v1/deliveries?state=pending&limit=1").await;
    status == 200 && page["deliveries"].as_array().is_some_and(Vec::is_empty)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_feedamp_order_is_confirmed_fulfilled_with_its_cancellation_in_one_call_and_refunded_exactly()
 {
    let began = Instant::now();
    let db = TestDb::create().await;
    let feedamp = start_feedamp().await;
    let first = feedamp
        .add_order(
            SandboxOrder::new()
                .id("100000000000000101")
                .latest_ship_date("2025-01-03T23:59:59Z".parse().unwrap())
                .line(SandboxLine::new("SKU-A", 2, "19.99"))
                .line(SandboxLine::new("SKU-B", 1, "0.1")),
        )
        .unwrap();
    let second = feedamp
        .add_order(
            SandboxOrder::new()
                .id("100000000000000102")
                .line(SandboxLine::new("SKU-C", 3, "5")),
        )
        .unwrap();
    let mut service = with_feedamp(Launch::new(), &feedamp)
        .env("DATABASE_URL", db.url())
        .serve("orderbridge with FeedAMP")
        .await;
    let logs = service.logs();
    let api = Api::new(&service.base_url());

    // Both polled and confirmed once, and the confirmations recorded.
    let confirmed = feedamp
        .wait_until(PATIENCE, |f| {
            f.confirm_count(&first) == 1
                && f.confirm_count(&second) == 1
                && f.unconfirmed_count() == 0
        })
        .await;
    assert!(
        confirmed,
        "both orders confirmed once (counts {} and {}, {} unconfirmed); output:\n{}",
        feedamp.confirm_count(&first),
        feedamp.confirm_count(&second),
        feedamp.unconfirmed_count(),
        logs.text()
    );
    let (status, listed) = api.get("/v1/orders?channel=feedamp").await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed["orders"].as_array().cloned().unwrap_or_default();
    let external: BTreeSet<&str> = listed
        .iter()
        .filter_map(|o| o["external_id"].as_str())
        .collect();
    assert_eq!(
        external,
        BTreeSet::from([first.as_str(), second.as_str()]),
        "the two orders, each stored once: {listed:?}"
    );
    let listed_first = listed
        .iter()
        .find(|o| o["external_id"] == first.as_str())
        .unwrap();
    let order = listed_first["id"].as_str().unwrap().to_owned();
    let second_order = listed
        .iter()
        .find(|o| o["external_id"] == second.as_str())
        .and_then(|o| o["id"].as_str())
        .unwrap()
        .to_owned();
    assert_eq!(listed_first["channel"], "feedamp");
    assert_eq!(listed_first["status"], "open");
    assert_eq!(listed_first["currency"], "USD");
    // FeedAMP's latest_ship_date is the order's deadline; the second order has none ("").
    assert_eq!(listed_first["deliver_by"], "2025-01-03T23:59:59Z");
    assert_eq!(listed_first["overdue"], true);
    let (status, overdue) = api.get("/v1/orders?overdue=true&channel=feedamp").await;
    assert_eq!(status, 200, "{overdue}");
    assert_eq!(
        overdue["orders"].as_array().map(Vec::len),
        Some(1),
        "{overdue}"
    );
    assert_eq!(overdue["orders"][0]["external_id"], first.as_str());
    let (status, found) = api
        .get(&format!("/v1/orders?channel=feedamp&external_id={first}"))
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["orders"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["orders"][0]["id"], order.as_str(), "{found}");
    let lines: Vec<(&str, u64, &str, &str)> = listed_first["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().unwrap_or("?"),
                l["quantity"].as_u64().unwrap_or(0),
                l["unit_price"].as_str().unwrap_or("?"),
                l["external_line_id"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [("SKU-A", 2, "19.99", "1"), ("SKU-B", 1, "0.1", "2")],
        "lines with their exact prices and FeedAMP line numbers"
    );
    let settled = eventually(PATIENCE, async || {
        deliveries(&detail(&api, &order).await) == pairs(&[("confirm", "delivered")])
    })
    .await;
    assert!(
        settled,
        "the confirmation is recorded as delivered: {:?}",
        deliveries(&detail(&api, &order).await)
    );
    assert_eq!(
        history(&detail(&api, &order).await),
        ["received", "confirmed"]
    );
    let confirmed_at = began.elapsed();

    // Two units of SKU-A in one package: a whole-order channel hears nothing yet.
    let (status, body) = api.ship(&order, "1Z-FEEDAMP-0001", &[("SKU-A", 2)]).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["order_status"], "partially_fulfilled", "{body}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        feedamp.fulfil_calls(&first),
        Vec::<Value>::new(),
        "nothing is sent to FeedAMP before every unit is shipped or cancelled"
    );
    // The rest cancelled: that completes the order and releases the one fulfil call.
    let (status, body) = api
        .post(
            &format!("/v1/orders/{order}/cancellations"),
            &json!({"reason": "out_of_stock"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["cancellation"]["line_items"],
        json!([{"line": 2, "sku": "SKU-B", "quantity": 1}]),
        "{body}"
    );
    assert_eq!(body["order_status"], "fulfilled", "{body}");
    let sent = feedamp
        .wait_until(PATIENCE, |f| !f.fulfil_calls(&first).is_empty())
        .await;
    assert!(
        sent,
        "the fulfil call reaches FeedAMP; output:\n{}",
        logs.text()
    );
    let settled = eventually(PATIENCE, async || {
        deliveries(&detail(&api, &order).await)
            == pairs(&[("confirm", "delivered"), ("order_fulfillment", "delivered")])
    })
    .await;
    assert!(
        settled,
        "the whole-order fulfillment is recorded as delivered: {:?}",
        deliveries(&detail(&api, &order).await)
    );
    let calls = feedamp.fulfil_calls(&first);
    assert_eq!(calls.len(), 1, "exactly one fulfil call: {calls:?}");
    let call = &calls[0];
    let line_a = fulfil_line(call, "1");
    let shipments = entries(line_a, "fulfillments");
    assert_eq!(shipments.len(), 1, "{call}");
    assert_eq!(shipments[0]["quantity_shipped"].as_u64(), Some(2), "{call}");
    assert_eq!(shipments[0]["tracking_number"], "1Z-FEEDAMP-0001", "{call}");
    assert_eq!(shipments[0]["carrier"], "UPS", "{call}");
    assert!(entries(line_a, "cancellations").is_empty(), "{call}");
    let line_b = fulfil_line(call, "2");
    assert!(entries(line_b, "fulfillments").is_empty(), "{call}");
    let cancellations = entries(line_b, "cancellations");
    assert_eq!(cancellations.len(), 1, "{call}");
    assert_eq!(
        cancellations[0]["quantity_cancelled"].as_u64(),
        Some(1),
        "{call}"
    );
    assert_eq!(
        cancellations[0]["cancellation_reason"], "out_of_stock",
        "{call}"
    );
    assert_eq!(feedamp.order_state(&first), Some(OrderState::Shipped));
    let fulfilled_at = began.elapsed();

    // One unit of SKU-A refunded at its exact price.
    let (status, body) = api
        .post(
            &format!("/v1/orders/{order}/refunds"),
            &json!({
                "reference": "RF-FEEDAMP-1",
                "reason": "customer_return",
                "lines": [{"line": 1, "quantity": 1, "amount": "19.99"}]
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["refunded_total"], "19.99", "{body}");
    let refund_number = body["refund"]["lines"][0]["refund_number"]
        .as_str()
        .unwrap_or_else(|| panic!("the refund line has a refund number: {body}"))
        .to_owned();
    let refunded = feedamp
        .wait_until(PATIENCE, |f| !f.refunds().is_empty())
        .await;
    assert!(
        refunded,
        "the refund reaches FeedAMP; output:\n{}",
        logs.text()
    );
    let settled = eventually(PATIENCE, async || {
        deliveries(&detail(&api, &order).await)
            == pairs(&[
                ("confirm", "delivered"),
                ("order_fulfillment", "delivered"),
                ("refund", "delivered"),
            ])
    })
    .await;
    let last = detail(&api, &order).await;
    assert!(settled, "every delivery delivered: {:?}", deliveries(&last));
    let refunds = feedamp.refunds();
    assert_eq!(refunds.len(), 1, "exactly one refund: {refunds:?}");
    let (refunded_order, info) = &refunds[0];
    assert_eq!(refunded_order, &first);
    assert_eq!(info["item_refund"].to_string(), "19.99", "{info}");
    assert_eq!(info["refund_quantity"].as_u64(), Some(1), "{info}");
    assert_eq!(info["mp_line_number"], "1", "{info}");
    assert_eq!(info["currency"], "USD", "{info}");
    assert_eq!(info["refund_reason"], "customer_return", "{info}");
    assert_eq!(info["cp_refund_number"], refund_number.as_str(), "{info}");
    assert_eq!(feedamp.duplicate_refunds(), 0);

    // The order as the warehouse sees it now.
    assert_eq!(
        history(&last),
        [
            "received",
            "confirmed",
            "fulfilled",
            "cancelled",
            "delivered",
            "refunded",
            "delivered"
        ],
        "{last}"
    );
    assert_eq!(last["status"], "fulfilled", "{last}");
    assert_eq!(last["refunded_total"], "19.99", "{last}");
    assert_eq!(last["refunds"][0]["total"], "19.99", "{last}");
    let lines: Vec<(&str, &str, u64, u64, u64, u64)> = last["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().unwrap_or("?"),
                l["unit_price"].as_str().unwrap_or("?"),
                l["shipped"].as_u64().unwrap_or(99),
                l["cancelled"].as_u64().unwrap_or(99),
                l["refunded"].as_u64().unwrap_or(99),
                l["open"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [("SKU-A", "19.99", 2, 0, 1, 0), ("SKU-B", "0.1", 0, 1, 0, 0)],
        "{last}"
    );
    // The other order was confirmed and left alone.
    let other = detail(&api, &second_order).await;
    assert_eq!(other["status"], "open", "{other}");
    assert_eq!(deliveries(&other), pairs(&[("confirm", "delivered")]));
    assert!(feedamp.fulfil_calls(&second).is_empty());

    // FeedAMP saw one token fetch, no refused call, and the configured rate at most (950 ms
    // windows allow for the jitter of evenly spaced requests).
    assert_eq!(feedamp.token_fetches(), 1, "one token, cached");
    let requests = feedamp.requests();
    let refused: Vec<_> = requests
        .iter()
        .filter(|r| !r.status.is_some_and(|s| (200..300).contains(&s)))
        .collect();
    assert!(refused.is_empty(), "calls FeedAMP refused: {refused:?}");
    let busiest = feedamp.max_requests_in_window(Duration::from_millis(950));
    assert!(
        busiest <= REQUESTS_PER_SECOND,
        "{busiest} calls within 950 ms"
    );
    assert_eq!(logs.count("poll failed; trying again next interval"), 0);

    // SIGTERM: exit 0 within the shutdown budget; nothing more reaches FeedAMP.
    let asked = Instant::now();
    let status = service
        .terminate(Duration::from_secs(SHUTDOWN_SECS + 10))
        .await
        .expect("orderbridge exits after SIGTERM");
    let took = asked.elapsed();
    assert!(status.success(), "{status}; output:\n{}", logs.text());
    assert!(
        took <= Duration::from_secs(SHUTDOWN_SECS),
        "stopping took {took:?}"
    );
    assert_eq!(logs.count("orderbridge stopped"), 1, "{}", logs.text());
    assert_eq!(feedamp.fulfil_calls(&first).len(), 1);
    assert_eq!(feedamp.refunds().len(), 1);
    eprintln!(
        "feedamp lifecycle: confirmed after {confirmed_at:.1?}, fulfilled after {fulfilled_at:.1?}, \
         all delivered after {:.1?} ({} polls, {} FeedAMP calls), stopped in {took:.1?}",
        began.elapsed() - took,
        logs.count(POLLED),
        requests.len()
    );
    feedamp.shutdown().await;
    db.drop_now().await;
}

/// One poll-related log event of one process.
#[derive(Debug, Clone)]
struct Seen {
    at: DateTime<Utc>,
    process: usize,
    message: String,
    created: u64,
}

/// The poll-related events of every process, oldest first.
fn timeline(logs: &[std::sync::Arc<Logs>]) -> Vec<Seen> {
    let mut seen: Vec<Seen> = logs
        .iter()
        .enumerate()
        .flat_map(|(process, logs)| {
            logs.events()
                .into_iter()
                .filter(|e| {
                    e["message"] == POLLED
                        || e["message"] == ANOTHER_POLLS
                        || e["message"] == PAGE_FETCHED
                })
                .map(move |e| Seen {
                    at: e["timestamp"]
                        .as_str()
                        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or_else(|| panic!("a log event without a timestamp: {e}")),
                    process,
                    message: e["message"].as_str().unwrap_or_default().to_owned(),
                    created: e["created"].as_u64().unwrap_or(0),
                })
        })
        .collect();
    seen.sort_by_key(|s| s.at);
    seen
}

/// The processes that fetched new-orders pages, one entry per uninterrupted run, in time order.
fn fetch_runs(seen: &[Seen]) -> Vec<usize> {
    let mut runs: Vec<usize> = Vec::new();
    for s in seen.iter().filter(|s| s.message == PAGE_FETCHED) {
        if runs.last() != Some(&s.process) {
            runs.push(s.process);
        }
    }
    runs
}

/// The FeedAMP poller lease's owner and expiry as the store holds them (`poller_leases`, the
/// PostgreSQL store's table); `None` when there is no lease row.
async fn poller_lease(db: &TestDb) -> Option<(uuid::Uuid, DateTime<Utc>)> {
    let mut connection = PgConnection::connect(db.url()).await.unwrap();
    let lease: Option<(uuid::Uuid, DateTime<Utc>)> =
        sqlx::query_as("SELECT owner, lease_until FROM poller_leases WHERE channel = 'feedamp'")
            .fetch_optional(&mut connection)
            .await
            .expect("reading the FeedAMP poller lease");
    connection.close().await.unwrap();
    lease
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_poll_feedamp_one_at_a_time_and_another_takes_over_when_the_poller_dies() {
    const LEASE_SECS: i64 = 5;
    /// How late after the lease runs out a survivor may take over: one interval, plus time for
    /// a busy machine.
    const TAKEOVER_SLACK_MS: i64 = 3_000;
    /// How long each batch is left to sit once confirmed, so that polls keep happening (and
    /// keep finding the lease taken) between batches.
    const QUIET: Duration = Duration::from_secs(2);
    let began = Instant::now();
    let db = TestDb::create().await;
    let feedamp = start_feedamp().await;
    let launch = with_feedamp(Launch::new(), &feedamp)
        .env("DATABASE_URL", db.url())
        .env("ORDERBRIDGE_DATABASE_MAX_CONNECTIONS", "5")
        .env(
            "ORDERBRIDGE_FEEDAMP_POLL_LEASE_SECS",
            &LEASE_SECS.to_string(),
        )
        .env(
            "ORDERBRIDGE_LOG_FILTER",
            "info,orderbridge::workers=debug,orderbridge_feedamp::source=debug",
        );
    let (a, b, c) = tokio::join!(
        launch.serve("instance 0"),
        launch.serve("instance 1"),
        launch.serve("instance 2"),
    );
    let mut instances: Vec<Service> = vec![a, b, c];
    let logs: Vec<_> = instances.iter().map(Service::logs).collect();
    let apis: Vec<Api> = instances.iter().map(|s| Api::new(&s.base_url())).collect();
    let all_output = |logs: &[std::sync::Arc<Logs>]| {
        logs.iter()
            .enumerate()
            .map(|(i, l)| format!("--- instance {i}:\n{}", l.text()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let up = began.elapsed();

    // Orders arrive in batches; each batch is stored and confirmed before the next.
    let mut generator = FeedampOrderGenerator::new(7).starting_at(300_000_000_000_000_000);
    let mut added: Vec<String> = Vec::new();
    let add_batch = |n: usize, generator: &mut FeedampOrderGenerator, added: &mut Vec<String>| {
        let orders = (0..n).map(|_| generator.next_order()).collect();
        added.extend(feedamp.add_orders(orders).expect("adding orders"));
    };
    let all_confirmed = async |added: &[String]| {
        feedamp
            .wait_until(PATIENCE, |f| {
                f.unconfirmed_count() == 0 && added.iter().all(|id| f.confirm_count(id) >= 1)
            })
            .await
    };

    // Phase 1: all three alive; 30 orders in three batches.
    for n in [5, 10, 15] {
        add_batch(n, &mut generator, &mut added);
        assert!(
            all_confirmed(&added).await,
            "{} of {} orders unconfirmed; output:\n{}",
            feedamp.unconfirmed_count(),
            added.len(),
            all_output(&logs)
        );
        tokio::time::sleep(QUIET).await;
    }
    let pollers: Vec<usize> = (0..instances.len())
        .filter(|&i| logs[i].count(POLLED) > 0)
        .collect();
    assert_eq!(
        pollers.len(),
        1,
        "exactly one instance polled while all three were up: {pollers:?}; output:\n{}",
        all_output(&logs)
    );
    let first = pollers[0];
    for i in (0..instances.len()).filter(|&i| i != first) {
        assert!(
            logs[i].count(ANOTHER_POLLS) > 0,
            "instance {i} found the lease held by another; output:\n{}",
            logs[i].text()
        );
    }
    // Nothing in flight, so the crash below cannot repeat a confirmation.
    let survivors: Vec<usize> = (0..instances.len()).filter(|&i| i != first).collect();
    assert!(
        eventually(PATIENCE, async || outbox_settled(&apis[survivors[0]]).await).await,
        "deliveries still pending"
    );

    // Phase 2: the poller is killed; another instance takes over once its lease runs out.
    let killed_at = Utc::now();
    instances[first].kill_hard().await;
    let (owner, expires) = poller_lease(&db)
        .await
        .expect("the dead poller's lease is stored");
    assert!(
        expires > killed_at,
        "the dead poller's lease (owner {owner}) was still running when it died: {expires} <= {killed_at}"
    );
    add_batch(10, &mut generator, &mut added);
    assert!(
        all_confirmed(&added).await,
        "{} of {} orders unconfirmed after the poller died; output:\n{}",
        feedamp.unconfirmed_count(),
        added.len(),
        all_output(&logs)
    );
    let seen = timeline(&logs);
    let taken = seen
        .iter()
        .find(|s| s.message == PAGE_FETCHED && s.process != first)
        .cloned()
        .expect("a survivor fetched the feed");
    let second = taken.process;
    let third = survivors.iter().copied().find(|&i| i != second).unwrap();
    let takeover = taken.at - killed_at;
    let (second_owner, _) = poller_lease(&db)
        .await
        .expect("the new poller's lease is stored");
    assert_ne!(second_owner, owner, "the lease changed hands");
    assert!(
        taken.at >= expires,
        "instance {second} polled at {} before the dead poller's lease ran out at {expires}",
        taken.at
    );
    assert!(
        taken.at <= expires + chrono::TimeDelta::milliseconds(TAKEOVER_SLACK_MS),
        "instance {second} took over at {}, more than {TAKEOVER_SLACK_MS} ms after the lease ran out at {expires}",
        taken.at
    );
    let third_waited = eventually(PATIENCE, async || {
        timeline(&logs)
            .iter()
            .any(|s| s.process == third && s.message == ANOTHER_POLLS && s.at > taken.at)
    })
    .await;
    assert!(
        third_waited,
        "instance {third} found the lease held by instance {second}; output:\n{}",
        logs[third].text()
    );
    tokio::time::sleep(QUIET).await;
    assert!(
        eventually(PATIENCE, async || outbox_settled(&apis[third]).await).await,
        "deliveries still pending"
    );

    // Phase 3: the new poller stops gracefully; the last instance takes over.
    let stop_asked = Utc::now();
    let status = instances[second]
        .terminate(Duration::from_secs(SHUTDOWN_SECS + 10))
        .await
        .expect("instance exits after SIGTERM");
    assert!(
        status.success(),
        "{status}; output:\n{}",
        logs[second].text()
    );
    let stopped_at = Utc::now();
    // Still held by the stopped instance, or given back (gone, expired or taken already).
    let held_after_stop = poller_lease(&db)
        .await
        .filter(|(holder, until)| *holder == second_owner && *until > stopped_at)
        .map(|(_, until)| until);
    add_batch(20, &mut generator, &mut added);
    assert!(
        all_confirmed(&added).await,
        "{} of {} orders unconfirmed after the second poller stopped; output:\n{}",
        feedamp.unconfirmed_count(),
        added.len(),
        all_output(&logs)
    );
    tokio::time::sleep(QUIET).await;
    let seen = timeline(&logs);
    let last_taken = seen
        .iter()
        .find(|s| s.message == PAGE_FETCHED && s.process == third)
        .cloned()
        .expect("the last instance fetched the feed");
    // A lease given back is free from the moment the stopping instance wrote it, which lies
    // between the SIGTERM and the process's exit: the survivor may poll before the test sees
    // the exit, never before the signal.
    let (free_from, not_before) = match held_after_stop {
        Some(until) => (until, until),
        None => (stopped_at, stop_asked),
    };
    assert!(
        last_taken.at >= not_before,
        "instance {third} polled at {} while the stopped poller's lease ran to {not_before}",
        last_taken.at
    );
    assert!(
        last_taken.at <= free_from + chrono::TimeDelta::milliseconds(TAKEOVER_SLACK_MS),
        "instance {third} took over at {}, more than {TAKEOVER_SLACK_MS} ms after the lease was \
         free at {free_from}",
        last_taken.at
    );
    assert!(
        eventually(PATIENCE, async || outbox_settled(&apis[third]).await).await,
        "deliveries still pending"
    );
    let settled_at = began.elapsed();

    // Every order stored once and confirmed once.
    assert_eq!(added.len(), 60);
    let stored = apis[third].all_orders().await;
    let stored_ids: Vec<&str> = stored
        .iter()
        .filter_map(|o| o["external_id"].as_str())
        .collect();
    let unique: BTreeSet<&str> = stored_ids.iter().copied().collect();
    assert_eq!(stored_ids.len(), 60, "60 orders stored");
    assert_eq!(
        unique,
        added.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        "each added order stored once"
    );
    let confirms: BTreeMap<&str, u32> = added
        .iter()
        .map(|id| (id.as_str(), feedamp.confirm_count(id)))
        .filter(|(_, n)| *n != 1)
        .collect();
    assert!(
        confirms.is_empty(),
        "confirmed other than once: {confirms:?}"
    );
    assert_eq!(feedamp.unconfirmed_count(), 0);

    // Polls never overlapped: the feed was read by one instance after another, each in one
    // uninterrupted run, and every feed request FeedAMP saw is one of those.
    let seen = timeline(&logs);
    assert_eq!(
        fetch_runs(&seen),
        [first, second, third],
        "who read the feed, run by run"
    );
    let fetched = seen.iter().filter(|s| s.message == PAGE_FETCHED).count();
    let feed_requests: Vec<_> = feedamp
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == NEW_ORDERS_PATH)
        .collect();
    assert!(
        feed_requests.iter().all(|r| r.status == Some(200)),
        "feed requests refused: {:?}",
        feed_requests
            .iter()
            .filter(|r| r.status != Some(200))
            .collect::<Vec<_>>()
    );
    // A request answered in the instant before the first instance was killed is seen by
    // FeedAMP but never logged by the dead process: at most one such request.
    assert!(
        feed_requests.len() == fetched || feed_requests.len() == fetched + 1,
        "every feed request FeedAMP saw was logged by the instance that made it, save at most \
         one cut short by the kill: {} seen, {fetched} logged",
        feed_requests.len()
    );
    for s in seen.iter().filter(|s| s.message == POLLED) {
        let (from, to) = if s.process == first {
            (None, Some(killed_at))
        } else if s.process == second {
            (Some(expires), Some(stopped_at))
        } else {
            (Some(stop_asked), None)
        };
        assert!(
            from.is_none_or(|from| s.at >= from) && to.is_none_or(|to| s.at <= to),
            "instance {} polled at {} outside its turn ({from:?} to {to:?})",
            s.process,
            s.at
        );
    }
    let created: u64 = seen
        .iter()
        .filter(|s| s.message == POLLED)
        .map(|s| s.created)
        .sum();
    assert_eq!(
        created, 60,
        "the instances' `polled` events created 60 orders in all"
    );
    let polls: Vec<usize> = (0..instances.len())
        .map(|i| {
            seen.iter()
                .filter(|s| s.process == i && s.message == POLLED)
                .count()
        })
        .collect();
    let waits: Vec<usize> = (0..instances.len())
        .map(|i| {
            seen.iter()
                .filter(|s| s.process == i && s.message == ANOTHER_POLLS)
                .count()
        })
        .collect();
    eprintln!(
        "feedamp instances: up in {up:.1?}; instance {first} polled first, was killed, instance \
         {second} took over {:.1}s later (lease {LEASE_SECS}s), was stopped, instance {third} \
         took over {:.1}s after SIGTERM (lease given back on SIGTERM: {}); \
         polls {polls:?}, lease waits {waits:?}, {} feed requests, {} FeedAMP calls; 60 orders \
         confirmed once each by {settled_at:.1?}",
        takeover.as_seconds_f64(),
        (last_taken.at - stop_asked).as_seconds_f64(),
        held_after_stop.is_none(),
        feed_requests.len(),
        feedamp.requests().len()
    );
    drop(instances);
    feedamp.shutdown().await;
    db.drop_now().await;
}
