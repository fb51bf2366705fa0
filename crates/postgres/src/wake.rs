//! Waking dispatchers when deliveries are queued: this process's at once (the store's
//! [`OnQueued`] after each commit with outbox rows), and other instances' through PostgreSQL's
//! `LISTEN`/`NOTIFY` on one channel. A NOTIFY is sent at most every [`NOTIFY_EVERY`] per process,
//! outside the transaction (its commit takes a cluster-wide lock that would serialise every
//! writer); a dispatcher still polls, so a wake that is missed only costs one poll.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use orderbridge_domain::ports::store::OnQueued;
use sqlx::postgres::{PgListener, PgPoolOptions};

use crate::Postgres;

/// The `LISTEN`/`NOTIFY` channel of queued deliveries.
pub const CHANNEL: &str = "orderbridge_outbox";

/// The shortest time between two NOTIFYs of one process.
const NOTIFY_EVERY: Duration = Duration::from_millis(20);

/// How long the listener waits before connecting again after losing its connection.
const RECONNECT: Duration = Duration::from_secs(1);

/// The waking side of a store: whom to tell, and when it last told the other instances.
#[derive(Debug, Clone, Default)]
pub(crate) struct Wake {
    on_queued: Option<OnQueued>,
    last_notify: Arc<Mutex<Option<Instant>>>,
}

impl Postgres {
    /// The store telling `on_queued` after each commit with outbox rows, and the other
    /// instances listening (see [`Postgres::listen_for_queued`]).
    #[must_use]
    pub fn with_on_queued(mut self, on_queued: OnQueued) -> Self {
        self.wake.on_queued = Some(on_queued);
        self
    }

    /// Tells this process's dispatcher, and (at most every [`NOTIFY_EVERY`]) the others.
    pub(crate) fn signal_queued(&self) {
        let Some(on_queued) = &self.wake.on_queued else {
            return;
        };
        on_queued.signal();
        let now = Instant::now();
        {
            let mut last = self
                .wake
                .last_notify
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| now.duration_since(at) < NOTIFY_EVERY) {
                return;
            }
            *last = Some(now);
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            if let Err(error) = sqlx::query("SELECT pg_notify($1, '')")
                .bind(CHANNEL)
                .execute(&pool)
                .await
            {
                tracing::debug!(error = %error, "could not notify other instances of queued deliveries");
            }
        });
    }

    /// Listens, on a connection of its own, for the deliveries other instances queue and tells
    /// `on_queued` of each; reconnects after a lost connection. Runs until aborted.
    #[must_use]
    pub fn listen_for_queued(&self, on_queued: OnQueued) -> tokio::task::JoinHandle<()> {
        let options = (*self.pool.connect_options()).clone();
        tokio::spawn(async move {
            loop {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_lazy_with(options.clone());
                match PgListener::connect_with(&pool).await {
                    Ok(mut listener) => match listener.listen(CHANNEL).await {
                        Ok(()) => {
                            // `recv` reconnects by itself; an error means it could not.
                            while listener.recv().await.is_ok() {
                                on_queued.signal();
                            }
                        }
                        Err(error) => {
                            tracing::debug!(error = %error, "could not listen for queued deliveries");
                        }
                    },
                    Err(error) => {
                        tracing::debug!(error = %error, "could not connect to listen for queued deliveries");
                    }
                }
                // Whatever was queued meanwhile is found by the dispatcher's next poll.
                on_queued.signal();
                tokio::time::sleep(RECONNECT).await;
            }
        })
    }
}
