//! Retention with the real binary (issue 14 item 5), on PostgreSQL and SQLite: after
//! `orderbridge purge`, a dump of the database (`pg_dump`, SQLite's `.dump`) holds none of the
//! names, emails, phones or street lines of the orders complete for longer than
//! `retention.days` (nor of a quarantined body discarded that long ago), and still holds those
//! of the orders not yet due: complete too recently, open, or with a delivery parked or
//! pending (and of a body still rejected). `purge --dry-run` erases nothing, and `purge`
//! without `retention.days` refuses.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use orderbridge_domain::inbound::{InboundState, NewInbound};
use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, EventType, FulfillmentRequest, Order,
    OrderEvent,
};
use orderbridge_domain::outbox::{DeliveryKind, NewDelivery};
use orderbridge_domain::ports::clock::{Clock, SystemClock};
use orderbridge_domain::ports::store::{AttemptResult, ClaimRequest, Store};
use orderbridge_domain::testing::new_order;
use orderbridge_domain::values::{
    Address, CancellationId, ChannelId, DeliveryId, Email, EventId, FulfillmentId, InboundId,
    OrderId, Quantity, Sku, TrackingNumber,
};
use uuid::Uuid;

use crate::process::{Launch, TempDir, TestDb};

const PATIENCE: Duration = Duration::from_secs(60);

/// A customer whose every detail is a string found nowhere else in the database.
#[derive(Debug, Clone, Copy)]
struct Customer {
    tag: &'static str,
    digit: u8,
}

impl Customer {
    const fn new(tag: &'static str, digit: u8) -> Self {
        Self { tag, digit }
    }
    fn first_name(self) -> String {
        format!("Ottoline{}", self.tag)
    }
    fn last_name(self) -> String {
        format!("Quennell{}", self.tag)
    }
    fn email(self) -> String {
        format!("ottoline.{}@retention.example", self.tag.to_lowercase())
    }
    fn phone(self) -> String {
        let d = char::from(b'0' + self.digit);
        format!("+1-555-{d}{d}{d}-{d}{d}{d}{d}")
    }
    fn street(self) -> String {
        format!("Wisteria {} Lane", self.tag)
    }
    /// Everything personal about the customer.
    fn strings(self) -> [String; 5] {
        [
            self.first_name(),
            self.last_name(),
            self.email(),
            self.phone(),
            self.street(),
        ]
    }
    fn address(self) -> Address {
        Address {
            first_name: Some(self.first_name()),
            last_name: Some(self.last_name()),
            address1: Some(self.street()),
            city: Some("Anytown".to_owned()),
            phone: Some(self.phone()),
            ..Address::default()
        }
    }
    /// A body as a marketplace would send it.
    fn payload(self, external_id: &str) -> String {
        serde_json::json!({
            "id": external_id,
            "email": self.email(),
            "shipping_address": {
                "first_name": self.first_name(), "last_name": self.last_name(),
                "address1": self.street(), "phone": self.phone()
            }
        })
        .to_string()
    }
}

const SHIPPED: Customer = Customer::new("Alpha", 1);
const CANCELLED: Customer = Customer::new("Bravo", 2);
const DISCARDED: Customer = Customer::new("Foxtrot", 6);
const RECENT: Customer = Customer::new("Charlie", 3);
const OPEN: Customer = Customer::new("Delta", 4);
const PARKED: Customer = Customer::new("Echo", 5);
const PENDING: Customer = Customer::new("Golf", 7);
const REJECTED: Customer = Customer::new("Hotel", 8);

/// Whose data the purge erases, and whose it keeps.
const PURGED: [Customer; 3] = [SHIPPED, CANCELLED, DISCARDED];
const KEPT: [Customer; 5] = [RECENT, OPEN, PARKED, PENDING, REJECTED];

fn days_ago(now: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    now - TimeDelta::days(days)
}

fn event(kind: EventType, at: DateTime<Utc>) -> OrderEvent {
    OrderEvent {
        id: EventId::from_uuid(Uuid::now_v7()),
        at,
        kind,
        subject: None,
        detail: kind.as_str().to_owned(),
    }
}

/// An order of `customer`, received 100 days before `now`.
async fn received(store: &dyn Store, customer: Customer, name: &str, now: DateTime<Utc>) -> Order {
    let external_id = format!("ret-{name}");
    let mut new = new_order("adm", &external_id, &[("RET-SKU", 2, "9.99")]).unwrap();
    new.email = Some(Email::parse(&customer.email()).unwrap());
    new.shipping_address = Some(customer.address());
    new.raw_payload = Some(customer.payload(&external_id));
    let id = OrderId::from_uuid(Uuid::now_v7());
    let at = days_ago(now, 100);
    let mut order = Order::create(new, id, EventId::from_uuid(Uuid::now_v7()), at).unwrap();
    let version = store.insert(&order, &[]).await.unwrap();
    order.mark_saved(version);
    order
}

/// Ships every unit of `order` `days` before `now`, queueing its ADM delivery when `queue`.
async fn ship(store: &dyn Store, mut order: Order, days: i64, now: DateTime<Utc>, queue: bool) {
    let at = days_ago(now, days);
    let request = FulfillmentRequest {
        tracking_number: TrackingNumber::parse(&format!("1Z{}", order.external_id())).unwrap(),
        carrier: None,
        tracking_url: None,
        lines: vec![(Sku::parse("RET-SKU").unwrap(), Quantity::new(2).unwrap())],
        shipped_at: Some(at),
    };
    let shipped = order
        .fulfil(
            &request,
            FulfillmentId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            at,
        )
        .unwrap()
        .id();
    let outbox: Vec<NewDelivery> = queue
        .then(|| NewDelivery {
            id: DeliveryId::from_uuid(Uuid::now_v7()),
            order_id: order.id(),
            channel: order.channel().clone(),
            kind: DeliveryKind::Fulfillment(shipped),
            created_at: at,
            waits_for: Vec::new(),
        })
        .into_iter()
        .collect();
    store.save(&order, &outbox, &[]).await.unwrap();
}

/// Sends the one pending delivery `days` before `now`, with `result`.
async fn send(store: &dyn Store, days: i64, now: DateTime<Utc>, result: AttemptResult) {
    let at = days_ago(now, days);
    let request = ClaimRequest {
        now: at,
        lease: Duration::from_secs(60),
        token: Uuid::now_v7(),
        limit: 10,
        skip_channels: Vec::new(),
        probe: None,
    };
    let claimed = store.claim_due(&request).await.unwrap();
    assert_eq!(claimed.len(), 1, "one delivery pending");
    let kind = match result {
        AttemptResult::Delivered { .. } => EventType::Delivered,
        _ => EventType::DeliveryFailed,
    };
    store
        .complete(&claimed[0].lease, &result, &event(kind, at))
        .await
        .unwrap();
}

async fn quarantined(
    store: &dyn Store,
    customer: Customer,
    close_days: Option<i64>,
    now: DateTime<Utc>,
) {
    let id = InboundId::from_uuid(Uuid::now_v7());
    let entry = NewInbound {
        id,
        channel: ChannelId::parse("adm").unwrap(),
        external_id: Some(format!("q-{}", customer.tag)),
        body: customer.payload("unreadable").into_bytes(),
        error: "line_items: missing".to_owned(),
        at: days_ago(now, 100),
    };
    store.quarantine(&entry, &[]).await.unwrap();
    if let Some(days) = close_days {
        store
            .close_inbound(id, InboundState::Discarded, None, days_ago(now, days))
            .await
            .unwrap();
    }
}

/// The fixture, with `retention.days = 30` in mind.
async fn fixture(store: &dyn Store) {
    let now = SystemClock.now();
    // Complete 89 days ago: shipped, and delivered a day later.
    let order = received(store, SHIPPED, "shipped", now).await;
    ship(store, order, 90, now, true).await;
    let delivered = AttemptResult::Delivered {
        remote_ref: Some("F-1".to_owned()),
        at: days_ago(now, 89),
    };
    send(store, 89, now, delivered).await;
    // Settled 90 days ago, but its delivery is parked: not complete.
    let order = received(store, PARKED, "parked", now).await;
    ship(store, order, 90, now, true).await;
    let parked = AttemptResult::Dead {
        error: "400 Invalid SKU or Quantity".to_owned(),
    };
    send(store, 89, now, parked).await;
    // Cancelled 60 days ago, with a note naming the customer.
    let mut order = received(store, CANCELLED, "cancelled", now).await;
    let request = CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::WholeOrder,
        note: Some(format!(
            "{} {} called from {}",
            CANCELLED.first_name(),
            CANCELLED.last_name(),
            CANCELLED.phone()
        )),
    };
    order
        .cancel(
            &request,
            CancellationId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            days_ago(now, 60),
        )
        .unwrap();
    store.save(&order, &[], &[]).await.unwrap();
    // Shipped 5 days ago: not due yet.
    let order = received(store, RECENT, "recent", now).await;
    ship(store, order, 5, now, false).await;
    // Never shipped.
    received(store, OPEN, "open", now).await;
    // Shipped 90 days ago, its delivery still pending (queued last: never claimed).
    let order = received(store, PENDING, "pending", now).await;
    ship(store, order, 90, now, true).await;
    quarantined(store, DISCARDED, Some(60), now).await;
    quarantined(store, REJECTED, None, now).await;
}

/// A database of its own, as the binary and the dump tools reach it.
enum Db {
    Sqlite { _dir: TempDir, path: PathBuf },
    Postgres(TestDb),
}

impl Db {
    /// Migrates it and writes the fixture, then closes the connections.
    async fn fill(&self) {
        match self {
            Self::Sqlite { path, .. } => {
                let store = orderbridge_sqlite::Sqlite::open(path.to_str().unwrap())
                    .await
                    .unwrap();
                store.migrate().await.unwrap();
                fixture(&store).await;
                store.pool().close().await;
                store.write_pool().close().await;
            }
            Self::Postgres(db) => {
                let store =
                    orderbridge_postgres::Postgres::connect(db.url(), 2, Duration::from_secs(30))
                        .await
                        .unwrap();
                store.migrate().await.unwrap();
                let store = Arc::new(store);
                fixture(store.as_ref()).await;
                store.pool().close().await;
            }
        }
    }

    /// `orderbridge` on this database.
    fn launch(&self) -> Launch {
        match self {
            Self::Sqlite { path, .. } => {
                Launch::new().env("ORDERBRIDGE_DATABASE_SQLITE_PATH", path.to_str().unwrap())
            }
            Self::Postgres(db) => Launch::new().env("DATABASE_URL", db.url()),
        }
    }

    /// The whole database as SQL text.
    fn dump(&self) -> String {
        let (tool, install, mut command) = match self {
            Self::Sqlite { path, .. } => {
                let mut command = Command::new("sqlite3");
                command.arg(path).arg(".dump");
                ("sqlite3", "apt-get install -y sqlite3", command)
            }
            Self::Postgres(db) => {
                let mut command = Command::new("pg_dump");
                command.arg("--no-owner").arg("--dbname").arg(db.url());
                ("pg_dump", "apt-get install -y postgresql-client", command)
            }
        };
        let output = command.output().unwrap_or_else(|e| {
            panic!(
                "{tool} could not be run ({e}): this test needs it to dump the database; \
                 install it (Debian: `{install}`)"
            )
        });
        assert!(
            output.status.success(),
            "{tool} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("the dump is text")
    }
}

/// Whether `dump` holds `text`, as text or as the hex of a byte column (both tools write
/// bytes in hex).
fn holds(dump: &str, text: &str) -> bool {
    let hex: String = text.bytes().map(|b| format!("{b:02x}")).collect();
    dump.contains(text) || dump.to_lowercase().contains(&hex)
}

fn assert_holds(dump: &str, customers: &[Customer], held: bool, when: &str) {
    for customer in customers {
        for text in customer.strings() {
            assert_eq!(
                holds(dump, &text),
                held,
                "{when}: the dump {} {text:?} ({})",
                if held { "lacks" } else { "still holds" },
                customer.tag
            );
        }
    }
}

async fn purge_erases_from_a_dump_exactly_what_is_due(db: &Db) {
    db.fill().await;
    let everyone: Vec<Customer> = PURGED.iter().chain(&KEPT).copied().collect();
    assert_holds(&db.dump(), &everyone, true, "before the purge");

    let (status, stdout, stderr) = db.launch().run(&["purge"], PATIENCE).await;
    assert!(!status.success(), "purge without retention.days: {stdout}");
    assert!(stderr.contains("retention.days is not set"), "{stderr}");

    let retention = db.launch().env("ORDERBRIDGE_RETENTION_DAYS", "30");
    let (status, stdout, stderr) = retention.run(&["purge", "--dry-run"], PATIENCE).await;
    assert!(status.success(), "{status}: {stdout}\n{stderr}");
    for name in ["ret-shipped", "ret-cancelled", "q-Foxtrot"] {
        assert!(stdout.contains(name), "the dry run lists {name}:\n{stdout}");
    }
    assert!(
        stdout.contains("would erase: 2 orders, 1 quarantined bodies"),
        "{stdout}"
    );
    assert_holds(&db.dump(), &everyone, true, "after the dry run");

    let (status, stdout, stderr) = retention.run(&["purge"], PATIENCE).await;
    assert!(status.success(), "{status}: {stdout}\n{stderr}");
    assert!(
        stdout.contains("erased: 2 orders, 1 quarantined bodies"),
        "{stdout}"
    );
    for name in [
        "ret-recent",
        "ret-open",
        "ret-parked",
        "ret-pending",
        "q-Hotel",
    ] {
        assert!(!stdout.contains(name), "{name} is not due:\n{stdout}");
    }
    for customer in everyone {
        for text in customer.strings() {
            assert!(
                !stdout.contains(&text) && !stderr.contains(&text),
                "purge printed {text:?}:\n{stdout}\n{stderr}"
            );
        }
    }
    let dump = db.dump();
    assert_holds(&dump, &PURGED, false, "after the purge");
    assert_holds(&dump, &KEPT, true, "after the purge");
    // The purged orders themselves stay, with their lines and the entry of their erasure.
    for kept in [
        "ret-shipped",
        "ret-cancelled",
        "RET-SKU",
        "personal_data_erased",
    ] {
        assert!(dump.contains(kept), "the dump lacks {kept}");
    }

    let (status, stdout, _) = retention.run(&["purge"], PATIENCE).await;
    assert!(status.success());
    assert!(
        stdout.contains("erased: 0 orders, 0 quarantined bodies"),
        "once: {stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_erases_from_a_sqlite_dump_exactly_what_is_due() {
    let dir = TempDir::new();
    let path = dir.path().join("orderbridge.sqlite");
    purge_erases_from_a_dump_exactly_what_is_due(&Db::Sqlite { _dir: dir, path }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_erases_from_a_postgres_dump_exactly_what_is_due() {
    let db = Db::Postgres(TestDb::create().await);
    purge_erases_from_a_dump_exactly_what_is_due(&db).await;
    if let Db::Postgres(db) = db {
        db.drop_now().await;
    }
}
