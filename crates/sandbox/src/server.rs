//! The HTTP server under every fake marketplace: axum on a listener whose connections a
//! handler can cut without answering (the "dropped connection" fault), a stop signal that
//! also ends delays, and JSON error answers.
//!
//! How a connection is dropped: every accepted socket is wrapped in a [`KillableStream`]
//! sharing a flag with the [`Connection`] handed to handlers as `ConnectInfo`. A handler that
//! sets the flag still returns a response, but the stream then fails every read and write, so
//! hyper cannot write a byte of it, ends the connection with an error and drops the socket.
//! The client sees the connection close with no HTTP response.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long [`Server::shutdown`] waits for open connections before it aborts the server.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A TCP listener whose connections can be cut by a handler.
#[derive(Debug)]
pub(crate) struct KillableListener(TcpListener);

impl Listener for KillableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    // Small JSON answers: send them at once rather than wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let stream = KillableStream {
                        inner: stream,
                        killed: Arc::new(AtomicBool::new(false)),
                    };
                    return (stream, addr);
                }
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::debug!(%error, "sandbox could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A TCP stream that fails every read and write once its connection is killed.
#[derive(Debug)]
pub(crate) struct KillableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl KillableStream {
    fn killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }
}

fn killed_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by the sandbox's fault injection",
    )
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(killed_error()));
        }
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// The connection a request came on, as handlers see it (`ConnectInfo<Connection>`).
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    killed: Arc<AtomicBool>,
}

impl Connection {
    /// Makes the connection fail before the response is written: the client gets no answer.
    pub(crate) fn drop_without_answer(&self) {
        self.killed.store(true, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        Self {
            killed: Arc::clone(&stream.io().killed),
        }
    }
}

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
    pub(crate) fn spawn(
        listener: TcpListener,
        router: Router,
        stop: StopSignal,
    ) -> io::Result<Self> {
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

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
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

/// A JSON error answer `{"error": .., "message": ..}`.
pub(crate) fn json_error(status: StatusCode, error: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": error, "message": message })),
    )
        .into_response()
}
