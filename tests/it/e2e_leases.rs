//! Leases across instances (issue 15): two `orderbridge` processes share one PostgreSQL
//! database with a 5 s lease; ADM takes 4 s to answer a shipment, longer than half the lease.
//! The sending instance renews the lease while it waits (the database's `lease_until` moves
//! on), the other never takes the row, and ADM gets the shipment exactly once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use orderbridge_sandbox::{AdmSandbox, AdmSandboxConfig};
use serde_json::json;
use sqlx::{Connection, PgConnection};

use crate::process::api::{ADM_KEY, webhook_sender};
use crate::process::{Api, Launch, TestDb, eventually, with_adm};

/// `with_adm`'s lease.
const LEASE: Duration = Duration::from_secs(5);
/// How long ADM holds the shipment: more than half the lease, less than the call timeout.
const SLOW: Duration = Duration::from_secs(4);

/// The lease end of the order's pending shipment, as the database holds it (`None` when no
/// lease is held).
async fn lease_until(connection: &mut PgConnection) -> Option<DateTime<Utc>> {
    sqlx::query_scalar::<_, Option<DateTime<Utc>>>(
        "SELECT lease_until FROM outbox WHERE kind = 'fulfillment' AND state = 'pending'",
    )
    .fetch_optional(connection)
    .await
    .expect("reading the shipment's lease")
    .flatten()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_slower_than_half_the_lease_is_renewed_and_never_sent_twice_by_two_instances() {
    let db = TestDb::create().await;
    let adm = AdmSandbox::start(AdmSandboxConfig::new(ADM_KEY))
        .await
        .unwrap();
    let launch = with_adm(Launch::new(), &adm).env("DATABASE_URL", db.url());
    let (a, b) = tokio::join!(launch.serve("instance a"), launch.serve("instance b"));
    let reply = webhook_sender(&a.base_url())
        .send(&json!({
            "id": "9100",
            "created_at": "2024-04-30T12:00:00Z",
            "email": "customer@example.com",
            "line_items": [{"sku": "SKU-L", "quantity": 1, "price": "5.00", "total_discount": "0.00", "total_tax": "0.00"}],
            "total_price": "5.00",
        }))
        .await
        .unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    let api = Api::new(&b.base_url());
    let order = api.order_id("9100").await;

    adm.faults().delay_next(1, SLOW);
    let mut connection = PgConnection::connect(db.url()).await.unwrap();
    let (status, body) = api.ship(&order, "L-1", &[("SKU-L", 1)]).await;
    assert_eq!(status, 201, "{body}");
    // Watch the lease while ADM holds the call.
    let mut seen: Vec<DateTime<Utc>> = Vec::new();
    let watching = tokio::time::Instant::now();
    while adm.accepted_count() == 0 && watching.elapsed() < SLOW * 3 {
        if let Some(until) = lease_until(&mut connection).await
            && seen.last() != Some(&until)
        {
            seen.push(until);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        adm.wait_for_accepted(1, Duration::from_secs(20)).await,
        "ADM never got the shipment"
    );
    let delivered = eventually(Duration::from_secs(20), async || {
        let (_, page) = api.get("/v1/deliveries?state=delivered").await;
        page["deliveries"].as_array().is_some_and(|d| {
            d.iter()
                .any(|d| d["kind"] == "fulfillment" && d["attempts"] == 1)
        })
    })
    .await;
    assert!(delivered, "the shipment is delivered after one attempt");
    // A while longer: a second send would have come by now (the lease has run out twice).
    tokio::time::sleep(LEASE * 2).await;
    assert_eq!(adm.accepted_count(), 1, "ADM got the shipment once");
    assert_eq!(adm.duplicates(), 0);
    let (first, last) = (seen.first().copied(), seen.last().copied());
    let renewed = first
        .zip(last)
        .is_some_and(|(first, last)| last - first >= chrono::TimeDelta::seconds(1));
    assert!(
        renewed,
        "the lease was renewed while ADM held the call (lease ends seen: {seen:?})"
    );
    connection.close().await.unwrap();
    drop((a, b));
    db.drop_now().await;
}
