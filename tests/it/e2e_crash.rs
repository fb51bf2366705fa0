//! A crash (issue 7 §4): while a driver ingests 500 ADM orders through the webhook and ships
//! each one it got a 200 for, the process is killed with SIGKILL; a new one starts on the same
//! PostgreSQL database and the driver carries on, resending what got no answer. Nothing
//! acknowledged may be lost. Every attempt of a delivery carries its id as `Idempotency-Key`
//! and the sandbox ADM honours it, so no fulfillment may be recorded twice at ADM. A send the
//! killed process made but never recorded is still sent again (ADM answers it from its
//! record): those duplicate requests are counted from ADM's request log, at most one per
//! kill, with one delivery in flight at a time.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use orderbridge_sandbox::{
    AdmOrderGenerator, AdmSandbox, AdmSandboxConfig, GeneratedOrder, RequestLog, SendError,
    WebhookSender,
};
use reqwest::Method;
use serde_json::Value;
use tokio::sync::watch;

use crate::process::api::{ADM_KEY, fulfillment, webhook_sender};
use crate::process::{Api, Launch, TestDb, eventually, with_adm};

const ORDERS: usize = 500;
const DRIVERS: usize = 8;
/// The kill comes once this many orders are stored and shipped (about 40 % of the work).
const KILL_AFTER: usize = 200;

/// Where the current process listens: a generation number and its base URL.
type Current = watch::Receiver<(u64, String)>;

/// What the driver saw.
#[derive(Debug, Default)]
struct Tally {
    /// External ids answered 200 (or 409 on a resend).
    stored: Mutex<BTreeSet<String>>,
    /// (external id, tracking number) answered 201 (or 200 on a resend).
    shipped: Mutex<BTreeSet<(String, String)>>,
    /// Orders stored and shipped.
    done: AtomicUsize,
    /// Calls refused at connect: never sent, sent again.
    refused: AtomicUsize,
    /// Calls sent that got no answer: unknown, sent again.
    unknown: AtomicUsize,
    /// Resent webhooks answered 409.
    conflicts_on_resend: AtomicUsize,
    /// Resent fulfillments answered 200 (a replay).
    replays_on_resend: AtomicUsize,
    /// 5xx answers, retried.
    server_errors: AtomicUsize,
}

/// One driver's connection to the current process, renewed when a new one starts.
struct Link {
    current: Current,
    generation: u64,
    webhook: WebhookSender,
    api: Api,
}

impl Link {
    fn new(current: Current) -> Self {
        let (generation, base) = current.borrow().clone();
        Self {
            webhook: webhook_sender(&base),
            api: Api::new(&base),
            current,
            generation,
        }
    }

    /// Switches to the newest process, if another started.
    fn refresh(&mut self) {
        let (generation, base) = self.current.borrow().clone();
        if generation != self.generation {
            self.generation = generation;
            self.webhook = webhook_sender(&base);
            self.api = Api::new(&base);
        }
    }

    /// After a failed call: waits a little, or less when a new process is announced.
    async fn pause(&mut self) {
        let seen = self.generation;
        let _ = tokio::time::timeout(
            Duration::from_millis(50),
            self.current.wait_for(|(g, _)| *g != seen),
        )
        .await;
        self.refresh();
    }
}

fn failed(tally: &Tally, error: &reqwest::Error) -> bool {
    if error.is_connect() {
        tally.refused.fetch_add(1, Ordering::Relaxed);
        false
    } else {
        tally.unknown.fetch_add(1, Ordering::Relaxed);
        true
    }
}

/// Sends the webhook until it is answered 200, or 409 after an attempt that may have stored it.
async fn ingest(link: &mut Link, tally: &Tally, order: &GeneratedOrder) {
    let mut maybe_stored = false;
    loop {
        link.refresh();
        match link.webhook.send_raw(order.body()).await {
            Ok(reply) if reply.status == 200 => return,
            Ok(reply) if reply.status == 409 && maybe_stored => {
                tally.conflicts_on_resend.fetch_add(1, Ordering::Relaxed);
                return;
            }
            Ok(reply) if reply.status >= 500 => {
                tally.server_errors.fetch_add(1, Ordering::Relaxed);
                maybe_stored = true;
            }
            Ok(reply) => panic!(
                "order {}: webhook answered {} {}",
                order.id, reply.status, reply.body
            ),
            Err(SendError::Request(error)) => maybe_stored |= failed(tally, &error),
            Err(error) => panic!("order {}: {error}", order.id),
        }
        link.pause().await;
    }
}

/// orderbridge's id of the order, from the orders changed since `since`.
async fn find(link: &mut Link, tally: &Tally, external_id: &str, since: &str) -> String {
    let mut cursor: Option<String> = None;
    loop {
        link.refresh();
        let mut path = format!("/v1/orders?channel=adm&limit=500&updated_after={since}");
        if let Some(c) = &cursor {
            path.push_str("&cursor=");
            path.push_str(c);
        }
        match link.api.try_call(Method::GET, &path, None).await {
            Ok((200, page)) => {
                if let Some(id) = page["orders"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|o| o["external_id"] == external_id)
                    .and_then(|o| o["id"].as_str())
                {
                    return id.to_owned();
                }
                match page["next_cursor"].as_str() {
                    Some(next) => {
                        cursor = Some(next.to_owned());
                        continue;
                    }
                    None => panic!("order {external_id} answered 200 but is not listed"),
                }
            }
            Ok((status, body)) if status >= 500 => {
                tally.server_errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("GET {path}: {status} {body}");
            }
            Ok((status, body)) => panic!("GET {path}: {status} {body}"),
            Err(error) => {
                failed(tally, &error);
            }
        }
        link.pause().await;
    }
}

/// Ships every unit of the order in one package, until it is answered 201, or 200 after an
/// attempt that may have recorded it.
async fn ship(link: &mut Link, tally: &Tally, order_id: &str, order: &GeneratedOrder) {
    let tracking = format!("CR-{}", order.id);
    let body = fulfillment(&tracking, &order.line_refs());
    let path = format!("/v1/orders/{order_id}/fulfillments");
    let mut maybe_recorded = false;
    loop {
        link.refresh();
        match link.api.try_call(Method::POST, &path, Some(&body)).await {
            Ok((201, _)) => break,
            Ok((200, _)) if maybe_recorded => {
                tally.replays_on_resend.fetch_add(1, Ordering::Relaxed);
                break;
            }
            Ok((status, _)) if status >= 500 => {
                tally.server_errors.fetch_add(1, Ordering::Relaxed);
                maybe_recorded = true;
            }
            Ok((status, reply)) => panic!("POST {path}: {status} {reply}"),
            Err(error) => maybe_recorded |= failed(tally, &error),
        }
        link.pause().await;
    }
    tally
        .shipped
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert((order.id.clone(), tracking));
}

async fn drive(
    current: Current,
    orders: Arc<Vec<GeneratedOrder>>,
    next: Arc<AtomicUsize>,
    tally: Arc<Tally>,
) {
    let mut link = Link::new(current);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(order) = orders.get(i) else { return };
        let since = (Utc::now() - chrono::Duration::seconds(2))
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        ingest(&mut link, &tally, order).await;
        tally
            .stored
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(order.id.clone());
        let id = find(&mut link, &tally, &order.id, &since).await;
        ship(&mut link, &tally, &id, order).await;
        tally.done.fetch_add(1, Ordering::Relaxed);
    }
}

/// The ids of every delivered delivery, over all pages.
async fn delivered_ids(api: &Api) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = "/v1/deliveries?state=delivered&limit=500".to_owned();
        if let Some(c) = &cursor {
            path.push_str("&cursor=");
            path.push_str(c);
        }
        let (status, page) = api.get(&path).await;
        assert_eq!(status, 200, "GET {path}: {page}");
        let listed = page["deliveries"].as_array().cloned().unwrap_or_default();
        ids.extend(
            listed
                .iter()
                .filter_map(|d| d["id"].as_str().map(str::to_owned)),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return ids,
        }
    }
}

async fn pending_deliveries(api: &Api) -> usize {
    let (status, page) = api.get("/v1/deliveries?state=pending&limit=500").await;
    assert_eq!(status, 200, "{page}");
    page["deliveries"].as_array().map_or(usize::MAX, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_nothing_acknowledged_records_none_twice_and_resends_at_most_one() {
    let started = Instant::now();
    let db = TestDb::create().await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    // One delivery in flight at a time: a kill can then catch at most one fulfillment sent to
    // ADM but not yet recorded as delivered, which the next process sends again (with the same
    // Idempotency-Key, so ADM records it once). (With `dispatch.concurrency` N, up to N can be
    // caught; at the default 8 runs saw 0 to 3.)
    let launch = with_adm(Launch::new(), &adm)
        .env("DATABASE_URL", db.url())
        .env("ORDERBRIDGE_DISPATCH_CONCURRENCY", "1");
    let mut first = launch.serve("orderbridge 1").await;

    let orders: Arc<Vec<GeneratedOrder>> =
        Arc::new(AdmOrderGenerator::new(7).take(ORDERS).collect());
    let (announce, current) = watch::channel((0_u64, first.base_url()));
    let next = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Tally::default());
    let drivers: Vec<_> = (0..DRIVERS)
        .map(|_| {
            tokio::spawn(drive(
                current.clone(),
                orders.clone(),
                next.clone(),
                tally.clone(),
            ))
        })
        .collect();

    let reached = eventually(Duration::from_secs(40), async || {
        tally.done.load(Ordering::Relaxed) >= KILL_AFTER
    })
    .await;
    assert!(
        reached,
        "only {} orders done before the kill",
        tally.done.load(Ordering::Relaxed)
    );
    first.kill_hard().await;
    let done_at_kill = tally.done.load(Ordering::Relaxed);
    let accepted_at_kill = adm.accepted_count();
    let second = launch.serve("orderbridge 2").await;
    announce.send_replace((1, second.base_url()));
    for driver in drivers {
        tokio::time::timeout(Duration::from_secs(60), driver)
            .await
            .expect("the driver finishes")
            .expect("the driver did not panic");
    }
    let driven = started.elapsed();

    // Every order acknowledged is stored.
    let api = Api::new(&second.base_url());
    let stored = tally
        .stored
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let listed: BTreeSet<String> = api
        .all_orders()
        .await
        .iter()
        .filter_map(|o| o["external_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(stored.len(), ORDERS, "every order was acknowledged");
    let lost: Vec<&String> = stored.difference(&listed).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    assert_eq!(listed.len(), ORDERS, "no order stored twice or made up");

    // Every fulfillment acknowledged reaches ADM; wait until nothing is pending so that a
    // duplicate (a send the killed process never recorded) has happened by the count.
    let shipped = tally
        .shipped
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    assert_eq!(shipped.len(), ORDERS, "every order was shipped");
    let settled = eventually(Duration::from_secs(40), async || {
        pending_deliveries(&api).await == 0
    })
    .await;
    assert!(
        settled,
        "{} deliveries still pending",
        pending_deliveries(&api).await
    );
    let settled_at = started.elapsed();
    let arrived: BTreeSet<(String, String)> = adm
        .accepted()
        .into_iter()
        .map(|f| (f.order_id, f.tracking_number))
        .collect();
    let missing: Vec<&(String, String)> = shipped.difference(&arrived).collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not at ADM: {missing:?}"
    );
    let (_, dead) = api.get("/v1/deliveries?state=dead").await;
    assert_eq!(dead["deliveries"], Value::Array(Vec::new()), "none parked");

    // ADM's request log: every attempt carries its delivery's id, and the ids are exactly the
    // deliveries delivered. Attempts beyond each delivery's first are re-sends; a re-send ADM
    // answered from its record is a duplicate sent (the first attempt had reached ADM).
    let attempts: Vec<RequestLog> = adm
        .requests()
        .into_iter()
        .filter(|r| r.path == "/fulfillments")
        .collect();
    let unkeyed = attempts
        .iter()
        .filter(|r| r.idempotency_key.is_none())
        .count();
    assert_eq!(unkeyed, 0, "every attempt carries Idempotency-Key");
    let keys: BTreeSet<String> = attempts
        .iter()
        .filter_map(|r| r.idempotency_key.clone())
        .collect();
    assert_eq!(
        keys,
        delivered_ids(&api).await,
        "the keys are the delivered deliveries' ids"
    );
    let resends = attempts.len() - keys.len();
    let duplicates_sent = attempts.iter().filter(|r| r.replayed).count();
    let recorded_twice = adm.duplicates();
    eprintln!(
        "crash test: {ORDERS} orders by {DRIVERS} drivers in {driven:.1?}, all delivered by \
         {settled_at:.1?}; killed after {done_at_kill} orders done and {accepted_at_kill} \
         fulfillments at ADM; refused calls {}, unanswered (resent) {}, 409 on resend {}, 200 \
         replay on resend {}, 5xx {}; ADM got {} fulfillment requests for {} deliveries: {resends} \
         re-sends, {duplicates_sent} answered from ADM's record; ADM recorded {}, twice \
         {recorded_twice}",
        tally.refused.load(Ordering::Relaxed),
        tally.unknown.load(Ordering::Relaxed),
        tally.conflicts_on_resend.load(Ordering::Relaxed),
        tally.replays_on_resend.load(Ordering::Relaxed),
        tally.server_errors.load(Ordering::Relaxed),
        attempts.len(),
        keys.len(),
        adm.accepted_count(),
    );
    assert_eq!(
        recorded_twice, 0,
        "a fulfillment was recorded twice at ADM despite its Idempotency-Key ({resends} \
         re-sends, {duplicates_sent} answered from the record)"
    );
    assert_eq!(
        adm.accepted_count(),
        u64::try_from(ORDERS).unwrap(),
        "ADM recorded each fulfillment once ({resends} re-sends)"
    );
    assert!(
        duplicates_sent <= 1,
        "{duplicates_sent} duplicate requests sent after one kill (at most 1 expected; \
         {resends} re-sends in all)"
    );
    drop(second);
    db.drop_now().await;
}
