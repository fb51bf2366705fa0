//! Erased personal data leaves the SQLite file itself, not only its rows: with `secure_delete`
//! on, neither the erased values nor the older copies of the order's row (written by its
//! insert and save) stay in the file's free space once the WAL is checkpointed.

use chrono::{TimeDelta, Utc};
use orderbridge_domain::order::{
    CancelReason, CancelScope, CancellationRequest, EventType, Order, OrderEvent,
};
use orderbridge_domain::ports::store::{OrderStore, Retention};
use orderbridge_domain::retention::Erasure;
use orderbridge_domain::testing::new_order;
use orderbridge_domain::values::{Address, CancellationId, Email, EventId, OrderId};
use orderbridge_sqlite::Sqlite;
use uuid::Uuid;

const SECRETS: [&str; 4] = [
    "Wilhelmina",
    "wilhelmina.secret@retention.example",
    "Larkspur Close",
    "+1-555-987-6543",
];

#[tokio::test]
async fn erased_values_are_not_left_in_the_file() {
    let store = Sqlite::temporary().await.unwrap();
    store.migrate().await.unwrap();
    let at = Utc::now() - TimeDelta::days(40);
    let mut new = new_order("adm", "SD-1", &[("RED", 1, "1.00")]).unwrap();
    new.email = Some(Email::parse(SECRETS[1]).unwrap());
    new.shipping_address = Some(Address {
        first_name: Some(SECRETS[0].to_owned()),
        address1: Some(SECRETS[2].to_owned()),
        phone: Some(SECRETS[3].to_owned()),
        ..Address::default()
    });
    // Large enough to spill into overflow pages.
    let filler = "x".repeat(20_000);
    new.raw_payload = Some(format!(
        r#"{{"who":"{}","email":"{}","filler":"{filler}"}}"#,
        SECRETS[0], SECRETS[1]
    ));
    let id = OrderId::from_uuid(Uuid::now_v7());
    let mut order = Order::create(new, id, EventId::from_uuid(Uuid::now_v7()), at).unwrap();
    let version = store.insert(&order, &[]).await.unwrap();
    order.mark_saved(version);
    let request = CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::WholeOrder,
        note: Some(format!("{} called", SECRETS[0])),
    };
    order
        .cancel(
            &request,
            CancellationId::from_uuid(Uuid::now_v7()),
            EventId::from_uuid(Uuid::now_v7()),
            at,
        )
        .unwrap();
    store.save(&order, &[], &[]).await.unwrap();
    let erasure = Erasure {
        order: id,
        event: OrderEvent {
            id: EventId::from_uuid(Uuid::now_v7()),
            at: Utc::now(),
            kind: EventType::PersonalDataErased,
            subject: None,
            detail: "erased".to_owned(),
        },
    };
    let cutoff = Utc::now() - TimeDelta::days(30);
    assert_eq!(store.erase_orders(&[erasure], cutoff).await.unwrap(), [id]);
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(store.write_pool())
        .await
        .unwrap();
    let path = store.temporary_path().unwrap().to_path_buf();
    let mut bytes = std::fs::read(&path).unwrap();
    let mut wal = path.into_os_string();
    wal.push("-wal");
    bytes.extend(std::fs::read(&wal).unwrap_or_default());
    for secret in SECRETS {
        let found = bytes
            .windows(secret.len())
            .any(|window| window == secret.as_bytes());
        assert!(!found, "{secret} is still in the database file");
    }
}
