//! The composition root: the store, the channels and their marketplace adapters, the domain
//! services, the HTTP router and the workers, built from the configuration. A new marketplace is
//! wired here and nowhere else.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use orderbridge_domain::ports::channel::Polled;
use orderbridge_domain::ports::clock::{Clock, IdGenerator, SystemClock, UuidV7Ids};
use orderbridge_domain::ports::store::{OnQueued, Store};
use orderbridge_domain::services::{
    AlertSender, ChannelService, Channels, DeadlineService, DeliveryService, Dispatcher,
    Marketplaces, OrderService, Poller, Quarantine, ServiceConfig,
};
use orderbridge_domain::values::ChannelId;
use orderbridge_http::{ApiKeys, AppState, MetricsRender, Webhooks};
use orderbridge_postgres::Postgres;
use orderbridge_sqlite::Sqlite;
use tokio::sync::Notify;

use crate::config::{Config, Database};
use crate::group_commit::GroupCommit;
use crate::workers::Polling;

/// Connects to the configured store and brings its schema up to date.
///
/// # Errors
/// When it cannot connect or a migration fails.
pub async fn open_store(database: &Database) -> Result<Arc<dyn Store>> {
    open(database, None).await
}

/// [`open_store`] for a running service: its dispatcher, waiting on `wake`, is woken as soon
/// as deliveries are queued, by this process or (on PostgreSQL, through `LISTEN`/`NOTIFY`)
/// another instance, rather than at its next poll.
///
/// # Errors
/// As [`open_store`].
pub async fn open_store_waking(database: &Database, wake: &Arc<Notify>) -> Result<Arc<dyn Store>> {
    let wake = wake.clone();
    open(database, Some(OnQueued::new(move || wake.notify_one()))).await
}

async fn open(database: &Database, on_queued: Option<OnQueued>) -> Result<Arc<dyn Store>> {
    match database {
        Database::Postgres {
            url,
            max_connections,
            statement_timeout,
        } => {
            let store = Postgres::connect(url.expose(), *max_connections, *statement_timeout)
                .await
                .context("DATABASE_URL: cannot connect to PostgreSQL")?;
            store.migrate().await.context("migrating PostgreSQL")?;
            tracing::info!(store = "postgresql", "store ready");
            Ok(match on_queued {
                Some(on_queued) => {
                    // Runs as long as the process: the runtime ends it.
                    drop(store.listen_for_queued(on_queued.clone()));
                    Arc::new(store.with_on_queued(on_queued))
                }
                None => Arc::new(store),
            })
        }
        Database::Sqlite { path, busy_timeout } => {
            let store = Sqlite::open_with_busy_timeout(path, *busy_timeout)
                .await
                .with_context(|| format!("ORDERBRIDGE_DATABASE_SQLITE_PATH: cannot open {path}"))?;
            store.migrate().await.context("migrating SQLite")?;
            tracing::info!(store = "sqlite", path = %path, "store ready");
            Ok(match on_queued {
                Some(on_queued) => Arc::new(store.with_on_queued(on_queued)),
                None => Arc::new(store),
            })
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
    /// One poller per pull channel, with its channel id and schedule.
    pub pollers: Vec<Polling>,
    /// The channels' health, for the gauges.
    pub channels: ChannelService,
    /// The sender of alerts, when an alerts webhook is set.
    pub alerts: Option<AlertSender>,
    /// Overdue orders, for the ship-by worker.
    pub deadlines: DeadlineService,
    /// Every configured channel account.
    pub channel_ids: Vec<ChannelId>,
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
    let owner = uuid::Uuid::now_v7();
    // What a channel sent that cannot be read is kept, and read again by what received it.
    let mut quarantine = Quarantine::new(
        store.clone(),
        clock.clone(),
        ids.clone(),
        config.alerts.is_some(),
    );
    for account in &config.accounts {
        channels = channels.with(account.channel().clone(), account.capabilities());
        marketplaces.insert(account.channel().clone(), account.marketplace().clone());
        if let Some(webhook) = account.webhook() {
            webhooks = webhooks.with(webhook.clone());
            quarantine = quarantine.read_by_webhook(webhook.clone());
        }
        if let Some(source) = account.polled() {
            quarantine = quarantine.read_by_source(source.source.clone());
            sources.push(source.clone());
        }
    }

    check_lease(config.dispatch.policy.lease, &marketplaces)?;
    let service = order_service(config, &store, channels, &clock, &ids, quarantine);
    let channel_ids: Vec<_> = marketplaces.keys().cloned().collect();
    let dispatcher = dispatcher(config, &store, marketplaces, &clock, &ids, owner, &sources);
    let (dispatcher, alerts) = alerting(config, &store, &clock, dispatcher)?;
    let pollers = pollers(&service, &store, &clock, owner, sources);
    warn_without_warehouse_keys(config);
    let deadlines =
        DeadlineService::new(store.clone(), clock.clone(), ids.clone(), alerts.is_some());
    let channel_health = ChannelService::new(
        channel_ids.clone(),
        store.clone(),
        store.clone(),
        clock.clone(),
        ids.clone(),
        alerts.is_some(),
    );
    let state = AppState {
        service,
        deliveries: DeliveryService::new(store.clone(), clock.clone(), ids.clone()),
        channels: channel_health.clone(),
        deadlines: deadlines.clone(),
        health: store,
        clock,
        webhooks,
        warehouse_keys: ApiKeys::new(config.warehouse_keys.iter().cloned()),
        metrics,
    };
    let console = console(&state);
    Ok(Parts {
        router: orderbridge_http::router_with_pages(state, &config.api, console),
        dispatcher,
        pollers,
        channels: channel_health,
        alerts,
        deadlines,
        channel_ids,
    })
}

/// The operator console at `/console`, over the services the API calls, opened by the same
/// warehouse keys.
fn console(state: &AppState) -> Router {
    let services = orderbridge_console::Services {
        orders: state.service.clone(),
        deliveries: state.deliveries.clone(),
        channels: state.channels.clone(),
        deadlines: state.deadlines.clone(),
    };
    orderbridge_console::router(orderbridge_console::Console::new(
        services,
        state.warehouse_keys.clone(),
        state.clock.clone(),
        orderbridge_console::ConsoleConfig::default(),
    ))
}

/// The operations on orders over `store`, new orders stored by group commit.
fn order_service(
    config: &Config,
    store: &Arc<dyn Store>,
    channels: Channels,
    clock: &Arc<dyn Clock>,
    ids: &Arc<dyn IdGenerator>,
    quarantine: Quarantine,
) -> OrderService {
    OrderService::new(
        GroupCommit::start(store.clone()),
        channels,
        clock.clone(),
        ids.clone(),
        ServiceConfig {
            max_update_attempts: config.max_update_attempts,
        },
    )
    .with_quarantine(quarantine)
    .with_early_cancellations(store.clone())
    // Signed webhook calls' ids are kept in the store, so that every instance refuses a replay.
    .with_webhook_ids(store.clone())
    .with_alerting(config.alerts.is_some())
}

/// Refuses a dispatcher lease shorter than one call to a marketplace may take: a lease is
/// renewed every third of its length while its row is sent, and a send whose lease could not
/// be renewed is cut off before it runs out; a lease at least one call long means a single
/// call is never cut off for want of one renewal.
fn check_lease(lease: Duration, marketplaces: &Marketplaces) -> Result<()> {
    for (channel, marketplace) in marketplaces {
        let call = marketplace.call_timeout();
        if lease < call {
            anyhow::bail!(
                "dispatch.lease_secs ({} s) is shorter than one call to channel {channel} may \
                 take ({} s, its request timeout): raise dispatch.lease_secs to at least {} or \
                 lower the channel's request_timeout_secs",
                lease.as_secs(),
                call.as_secs_f64().ceil(),
                call.as_secs_f64().ceil()
            );
        }
    }
    tracing::debug!(
        lease_secs = lease.as_secs(),
        "leases are renewed every third of their length while a delivery is sent"
    );
    Ok(())
}

/// Says so when the warehouse API refuses every request for want of keys.
fn warn_without_warehouse_keys(config: &Config) {
    if config.warehouse_keys.is_empty() {
        tracing::warn!(
            "no warehouse API keys are set (ORDERBRIDGE_WAREHOUSE_API_KEYS): the warehouse API refuses every request"
        );
    }
}

/// The dispatcher over `store`, with channel health, and each pull channel sent to only by the
/// instance polling it (`owner`, the identity of this process's pollers).
fn dispatcher(
    config: &Config,
    store: &Arc<dyn Store>,
    marketplaces: Marketplaces,
    clock: &Arc<dyn Clock>,
    ids: &Arc<dyn IdGenerator>,
    owner: uuid::Uuid,
    sources: &[Polled],
) -> Dispatcher {
    Dispatcher::new(
        store.clone(),
        store.clone(),
        marketplaces,
        clock.clone(),
        ids.clone(),
        config.dispatch.policy,
    )
    .with_health(store.clone(), config.dispatch.health)
    // A pull channel's calls all come from the instance polling it, so that its rate limit
    // (kept per process) holds across instances: one identity for the pollers and the sends.
    .with_exclusive_senders(
        store.clone(),
        owner,
        sources
            .iter()
            .map(|p| (p.source.channel().clone(), p.lease))
            .collect(),
    )
}

/// With an alerts webhook: the dispatcher raising alerts, and the sender of the alert queue.
fn alerting(
    config: &Config,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    dispatcher: Dispatcher,
) -> Result<(Dispatcher, Option<AlertSender>)> {
    let Some(alerts) = &config.alerts else {
        return Ok((dispatcher, None));
    };
    let sink = orderbridge_alerts::WebhookAlerts::new(
        &alerts.url,
        alerts.signing_secret.as_ref(),
        Duration::from_secs(10),
        alerts.allow_insecure_http,
    )
    .context("alerts.webhook_url")?;
    let sender = AlertSender::new(
        store.clone(),
        Arc::new(sink),
        clock.clone(),
        config.dispatch.policy,
    );
    Ok((dispatcher.with_alerts(), Some(sender)))
}

/// One poller per polled account, all with one identity per process for their leases (a lease
/// is renewed after every page), each with its account's schedule of polls and state checks.
fn pollers(
    service: &OrderService,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    owner: uuid::Uuid,
    sources: Vec<Polled>,
) -> Vec<Polling> {
    sources
        .into_iter()
        .map(|polled| Polling {
            channel: polled.source.channel().to_string(),
            poller: Poller::new(
                service.clone(),
                store.clone(),
                polled.source,
                clock.clone(),
                owner,
                polled.lease,
            ),
            interval: polled.interval,
            state_check: polled.state_check,
        })
        .collect()
}
