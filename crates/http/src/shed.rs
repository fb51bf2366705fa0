//! Load shedding: past `http.max_in_flight` requests at once, a request is answered 503 with
//! `Retry-After` at once rather than queued into a timeout (design section 12). `/healthz` is
//! exempt: a busy process is alive, and a liveness probe failing under load would get a
//! working process restarted; `/readyz` is not, so that a balancer sends less to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The requests being handled, and how many may be.
#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    count: Arc<AtomicUsize>,
    limit: usize,
}

/// One request counted in; counted out when dropped.
struct Entered(Arc<AtomicUsize>);

impl Drop for Entered {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl InFlight {
    /// At most `limit` at once (at least one).
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            count: Arc::new(AtomicUsize::new(0)),
            limit: limit.max(1),
        }
    }

    /// Counts a request in, unless `limit` are in already.
    fn enter(&self) -> Option<Entered> {
        let before = self.count.fetch_add(1, Ordering::AcqRel);
        let entered = Entered(self.count.clone());
        (before < self.limit).then_some(entered)
    }
}

/// Sheds a request over the limit with 503 and `Retry-After`; lets the others through.
pub(crate) async fn shed(
    State(in_flight): State<InFlight>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == "/healthz" {
        return next.run(request).await;
    }
    let Some(_entered) = in_flight.enter() else {
        metrics::counter!("orderbridge_http_requests_shed_total").increment(1);
        return ApiError::unavailable(
            "Overloaded",
            "the server is handling as many requests as it takes; try again shortly",
        )
        .into_response();
    };
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_past_the_limit_are_refused_until_one_leaves() {
        let in_flight = InFlight::new(2);
        let first = in_flight.enter();
        let second = in_flight.enter();
        assert!(first.is_some() && second.is_some());
        assert!(in_flight.enter().is_none(), "the third is over the limit");
        drop(first);
        assert!(in_flight.enter().is_some(), "room again once one left");
        assert_eq!(
            in_flight.count.load(Ordering::Acquire),
            1,
            "refused ones are not counted"
        );
    }
}
