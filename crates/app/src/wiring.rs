//! The composition root: the store, the channels and their marketplace adapters, the domain
//! services, the HTTP router and the workers, built from the configuration. A new marketplace is
//! wired here and nowhere else.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use orderbridge_adm::AdmClient;
use orderbridge_adm::webhook::{AdmWebhook, WebhookAuth, WebhookSettings};
use orderbridge_domain::ports::clock::{Clock, IdGenerator, SystemClock, UuidV7Ids};
use orderbridge_domain::ports::marketplace::{Capabilities, Marketplace};
use orderbridge_domain::ports::source::OrderSource;
use orderbridge_domain::ports::store::Store;
use orderbridge_domain::ports::webhook::Webhook;
use orderbridge_domain::services::{
    Channels, DeliveryService, Dispatcher, Marketplaces, OrderService, Poller, ServiceConfig,
};
use orderbridge_domain::values::ChannelId;
use orderbridge_feedamp::FeedampClient;
use orderbridge_http::{ApiKeys, AppState, MetricsRender, Webhooks};
use orderbridge_postgres::Postgres;
use orderbridge_sqlite::Sqlite;

use crate::config::{AdmSettings, Config, Database, FeedampSettings};

/// Connects to the configured store and brings its schema up to date.
///
/// # Errors
/// When it cannot connect or a migration fails.
pub async fn open_store(database: &Database) -> Result<Arc<dyn Store>> {
    match database {
        Database::Postgres {
            url,
            max_connections,
        } => {
            let store = Postgres::connect(url.expose(), *max_connections)
                .await
                .context("DATABASE_URL: cannot connect to PostgreSQL")?;
            store.migrate().await.context("migrating PostgreSQL")?;
            tracing::info!(store = "postgresql", "store ready");
            Ok(Arc::new(store))
        }
        Database::Sqlite(path) => {
            let store = Sqlite::open(path)
                .await
                .with_context(|| format!("ORDERBRIDGE_DATABASE_SQLITE_PATH: cannot open {path}"))?;
            store.migrate().await.context("migrating SQLite")?;
            tracing::info!(store = "sqlite", path = %path, "store ready");
            Ok(Arc::new(store))
        }
    }
}

/// What the service runs.
#[derive(Debug)]
pub struct Parts {
    /// The HTTP API.
    pub router: Router,
    /// The dispatcher.
    pub dispatcher: Dispatcher,
    /// One poller per pull channel, with its channel id and interval.
    pub pollers: Vec<(String, Poller, Duration)>,
}

/// One channel account as the service runs it: what the dispatcher sends to, and how its
/// orders arrive (a webhook, a feed to poll, or both).
#[derive(Debug, Clone)]
pub struct Account {
    /// The channel id of its orders.
    pub channel: ChannelId,
    /// What the marketplace can receive.
    pub capabilities: Capabilities,
    /// Where its deliveries go.
    pub marketplace: Arc<dyn Marketplace>,
    /// Its inbound webhook, for a marketplace that pushes orders.
    pub webhook: Option<Arc<dyn Webhook>>,
    /// Its feed, with the pause between polls and the poller's lease, for one that is polled.
    pub source: Option<(Arc<dyn OrderSource>, Duration, Duration)>,
}

fn adm_account(adm: &AdmSettings, clock: &Arc<dyn Clock>) -> Result<Account> {
    let client = AdmClient::new(adm.client.clone())
        .with_context(|| format!("ADM settings of the account {}", adm.channel))?;
    let webhook = AdmWebhook::new(
        WebhookSettings {
            channel: adm.channel.clone(),
            currency: adm.currency,
        },
        WebhookAuth {
            keys: ApiKeys::new(adm.webhook_keys.iter().cloned()),
            key_header: adm.webhook_key_header.clone(),
            signing_secret: adm.signing_secret.clone(),
            signature_header: adm.signature_header.clone(),
        },
        clock.clone(),
    );
    Ok(Account {
        channel: adm.channel.clone(),
        capabilities: client.capabilities(),
        marketplace: Arc::new(client),
        webhook: Some(Arc::new(webhook)),
        source: None,
    })
}

fn feedamp_account(feedamp: &FeedampSettings) -> Result<Account> {
    // One client per account: its clones share the account's token and rate limit.
    let client = FeedampClient::new(feedamp.client.clone())
        .with_context(|| format!("FeedAMP settings of the account {}", feedamp.client.channel))?;
    Ok(Account {
        channel: feedamp.client.channel.clone(),
        capabilities: client.capabilities(),
        marketplace: Arc::new(client.clone()),
        webhook: None,
        source: Some((Arc::new(client), feedamp.poll_interval, feedamp.poll_lease)),
    })
}

/// Every configured channel account. A new marketplace adds its accounts here, one line.
///
/// # Errors
/// When a marketplace client cannot be built from its settings.
pub fn accounts(config: &Config, clock: &Arc<dyn Clock>) -> Result<Vec<Account>> {
    let mut accounts = Vec::new();
    for adm in &config.adm {
        accounts.push(adm_account(adm, clock)?);
    }
    for feedamp in &config.feedamp {
        accounts.push(feedamp_account(feedamp)?);
    }
    Ok(accounts)
}

/// Wires everything over `store`.
///
/// # Errors
/// When a marketplace client cannot be built from its settings.
pub fn build(
    config: &Config,
    store: Arc<dyn Store>,
    metrics: Option<MetricsRender>,
) -> Result<Parts> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdGenerator> = Arc::new(UuidV7Ids);
    let mut channels = Channels::new();
    let mut marketplaces = Marketplaces::new();
    let mut webhooks = Webhooks::new();
    let mut sources = Vec::new();
    for account in accounts(config, &clock)? {
        channels = channels.with(account.channel.clone(), account.capabilities);
        marketplaces.insert(account.channel, account.marketplace);
        if let Some(webhook) = account.webhook {
            webhooks = webhooks.with(webhook);
        }
        sources.extend(account.source);
    }

    let service = OrderService::new(
        store.clone(),
        channels,
        clock.clone(),
        ids.clone(),
        ServiceConfig {
            max_update_attempts: config.max_update_attempts,
        },
    );
    let dispatcher = Dispatcher::new(
        store.clone(),
        store.clone(),
        marketplaces,
        clock.clone(),
        ids.clone(),
        config.dispatch.policy,
    );
    let pollers = pollers(&service, &store, &clock, sources);
    if config.warehouse_keys.is_empty() {
        tracing::warn!(
            "no warehouse API keys are set (ORDERBRIDGE_WAREHOUSE_API_KEYS): the warehouse API refuses every request"
        );
    }
    let state = AppState {
        service,
        deliveries: DeliveryService::new(store.clone(), clock.clone(), ids),
        health: store,
        clock,
        webhooks,
        warehouse_keys: ApiKeys::new(config.warehouse_keys.iter().cloned()),
        metrics,
    };
    Ok(Parts {
        router: orderbridge_http::router(state, &config.api),
        dispatcher,
        pollers,
    })
}

/// One poller per polled account, all with one identity per process for their leases (a lease
/// is renewed after every page).
fn pollers(
    service: &OrderService,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    sources: Vec<(Arc<dyn OrderSource>, Duration, Duration)>,
) -> Vec<(String, Poller, Duration)> {
    let owner = uuid::Uuid::now_v7();
    sources
        .into_iter()
        .map(|(source, interval, lease)| {
            let channel = source.channel().to_string();
            // A lease shorter than the pause between polls would run out between them.
            let lease = lease.max(interval.saturating_mul(2));
            let poller = Poller::new(
                service.clone(),
                store.clone(),
                source,
                clock.clone(),
                owner,
                lease,
            );
            (channel, poller, interval)
        })
        .collect()
}
