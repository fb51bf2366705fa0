//! Start-up and shutdown shared by the fakes: bind the configured address (or take a listener
//! the caller bound), serve the fake's router in a background task with a stop signal that
//! also ends injected delays, and stop it with a bounded wait for open connections.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::kit::server::{Connection, KillableListener};

/// How long [`Server::shutdown`] waits for open connections before it aborts the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The stop signal shared by a server and its handlers.
#[derive(Debug, Clone)]
pub(crate) struct StopSignal(Arc<watch::Sender<bool>>);

impl StopSignal {
    pub(crate) fn new() -> Self {
        Self(Arc::new(watch::Sender::new(false)))
    }

    fn stop(&self) {
        self.0.send_replace(true);
    }

    /// Completes once the server is told to stop.
    pub(crate) async fn stopped(&self) {
        let mut receiver = self.0.subscribe();
        // An Err means the sender is gone, which is a stop as well.
        let _ = receiver.wait_for(|stop| *stop).await;
    }

    /// Sleeps for `duration`, or less when the server stops first.
    pub(crate) async fn sleep(&self, duration: Duration) {
        tokio::select! {
            () = tokio::time::sleep(duration) => {}
            () = self.stopped() => {}
        }
    }
}

/// Binds `listen` for a fake.
///
/// # Errors
/// The address cannot be bound.
pub(crate) async fn bind(listen: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(listen).await
}

/// Starts a fake on `listener`: `build` makes its shared state and router from the stop
/// signal the handlers share, and the router is served until [`Server::shutdown`]. `name`
/// goes into the debug log line.
///
/// # Errors
/// The listener's address cannot be read.
pub(crate) fn serve<A>(
    listener: TcpListener,
    name: &str,
    build: impl FnOnce(StopSignal) -> (Arc<A>, Router),
) -> io::Result<(Arc<A>, Server)> {
    let stop = StopSignal::new();
    let (app, router) = build(stop.clone());
    let server = Server::spawn(listener, router, stop)?;
    tracing::debug!(addr = %server.addr(), "sandbox {name} listening");
    Ok((app, server))
}

/// A running server task.
#[derive(Debug)]
pub(crate) struct Server {
    addr: SocketAddr,
    stop: StopSignal,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `router` on `listener` in a background task until [`Server::shutdown`] (or until
    /// the `Server` is dropped).
    ///
    /// # Errors
    /// The listener's address cannot be read.
    fn spawn(listener: TcpListener, router: Router, stop: StopSignal) -> io::Result<Self> {
        let addr = listener.local_addr()?;
        let signal = stop.clone();
        let service = router.into_make_service_with_connect_info::<Connection>();
        let task = tokio::spawn(async move {
            let served = axum::serve(KillableListener(listener), service)
                .with_graceful_shutdown(async move { signal.stopped().await })
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "sandbox server stopped with an error");
            }
        });
        Ok(Self {
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The address served.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, with no trailing slash.
    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops taking connections, ends delays, lets open connections finish (at most
    /// [`SHUTDOWN_GRACE`]) and waits for the task.
    pub(crate) async fn shutdown(mut self) {
        self.stop.stop();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.stop();
    }
}
