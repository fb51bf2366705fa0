//! What the tests share: a Bazaar account over the in-memory store, and its orders.

use std::sync::Arc;

use orderbridge_domain::ports::channel::ChannelAccount;
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::store::OrderQuery;
use orderbridge_domain::services::{Channels, OrderService, ServiceConfig};
use orderbridge_domain::testing::{ManualClock, MemoryStore, SequentialIds};
use orderbridge_domain::values::{ApiKeys, ChannelId, Secret};
use orderbridge_example_marketplace::{BazaarConfig, account};

/// The key Bazaar presents to the webhook.
pub const HOOK_KEY: &str = "bazaar-hook-key";

/// A valid order of two lines.
pub const ORDER: &str = r#"{"id": "BZ-1001", "currency": "EUR", "lines": [
    {"sku": "MUG-RED", "quantity": 2, "price": "9.99"},
    {"sku": "TEA-100", "quantity": 1, "price": "0.10"}
]}"#;

/// One Bazaar account, its store and the order service over it.
pub struct Fixture {
    pub account: ChannelAccount,
    pub store: Arc<MemoryStore>,
    pub clock: Arc<ManualClock>,
    pub orders: OrderService,
}

impl Fixture {
    /// The clock's time.
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// How many orders are stored.
    pub async fn stored(&self) -> usize {
        let page = self
            .orders
            .orders(&OrderQuery {
                statuses: Vec::new(),
                channel: None,
                updated_after: None,
                on_hold: None,
                after: None,
                limit: 100,
            })
            .await
            .unwrap();
        page.orders.len()
    }
}

/// The account `bazaar` (its client pointed at a port nothing listens on).
pub fn fixture() -> Fixture {
    let clock = Arc::new(ManualClock::fixed());
    let config = BazaarConfig::new(
        ChannelId::parse("bazaar").unwrap(),
        "http://127.0.0.1:9",
        Secret::new("api-key"),
        ApiKeys::new([Secret::new(HOOK_KEY)]),
    );
    let account = account(config, clock.clone() as Arc<dyn Clock>).unwrap();
    let store = Arc::new(MemoryStore::new());
    let orders = OrderService::new(
        store.clone(),
        Channels::new().with(account.channel().clone(), account.capabilities()),
        clock.clone(),
        Arc::new(SequentialIds::default()),
        ServiceConfig::default(),
    );
    Fixture {
        account,
        store,
        clock,
        orders,
    }
}
