//! Every error answer in one place: a status and a JSON body `{"error", "message"}`. Domain
//! errors map to statuses here and nowhere else; unexpected ones are logged with their cause
//! chain and answered with an opaque 500, except a store that cannot be reached: 503 with
//! `Retry-After`, so that callers try again rather than give up.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use orderbridge_domain::order::{AllocationError, CancelError, FulfilError, RefundError};
use orderbridge_domain::ports::store::{RequeueError, ResolveError, StoreError, is_unavailable};
use orderbridge_domain::services::{OrderUpdateError, RequeueDeliveryError};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every 4xx and 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// A short title, such as `Invalid SKU or Quantity`.
    pub error: String,
    /// What was wrong, naming the field where there is one.
    pub message: String,
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
    /// Seconds to wait before trying again, sent as `Retry-After` (503s).
    pub retry_after: Option<u32>,
}

/// The `Retry-After` of every 503: the store or the server is expected back within seconds.
pub const RETRY_AFTER_SECS: u32 = 1;

/// The title used for line problems, as ADM's seed answers put it.
pub const INVALID_LINES: &str = "Invalid SKU or Quantity";

impl ApiError {
    /// An answer with this status, title and message.
    pub fn new(status: StatusCode, error: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                error: error.into(),
                message: message.into(),
            },
            retry_after: None,
        }
    }

    /// 503 with `Retry-After`: try again shortly.
    pub fn unavailable(error: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            retry_after: Some(RETRY_AFTER_SECS),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, error, message)
        }
    }

    /// 400 with a title and a message naming the field.
    pub fn bad_request(error: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, message)
    }

    /// 401 for a missing or wrong key.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized Request",
            "The key provided is invalid.",
        )
    }

    /// 404 for an unknown resource.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Not Found",
            format!("{what} was not found"),
        )
    }

    /// 500 for anything unexpected: the cause is logged, never shown. A store that cannot be
    /// reached (anywhere in the cause chain) is 503 with `Retry-After` instead.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        if is_unavailable(cause) {
            tracing::warn!(error = %ChainDisplay(cause), "the store cannot be reached; answering 503");
            return Self::store_unavailable();
        }
        tracing::error!(error = %ChainDisplay(cause), "unexpected error answering a request");
        Self::server_error()
    }

    /// The 503 of a store that cannot be reached.
    pub fn store_unavailable() -> Self {
        Self::unavailable(
            "Service Unavailable",
            "the order store cannot be reached; try again shortly",
        )
    }

    /// The opaque 500 body.
    pub fn server_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Server Error",
            "An error occurred on our server. Please try again later.",
        )
    }
}

/// Shows an error with every cause behind it.
struct ChainDisplay<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ChainDisplay<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::internal(&error)
    }
}

fn allocation(error: &AllocationError) -> ApiError {
    let message = match error {
        AllocationError::UnknownSku(sku) => {
            format!("line_items: the order has no line with SKU {sku}")
        }
        AllocationError::ExceedsOpen {
            sku,
            requested,
            open,
        } => format!(
            "line_items: {requested} units of SKU {sku} exceed the {open} still open (ordered, not shipped or cancelled)"
        ),
    };
    ApiError::bad_request(INVALID_LINES, message)
}

/// 409 for an order that already has as many children of a kind as it may
/// (`Order::MAX_CHILDREN`), naming the collection.
fn too_many(children: &str, error: &dyn std::error::Error) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "Too Many Children",
        format!("{children}: {error}"),
    )
}

/// Maps the shared update failures; `rejected` maps the operation's own rule errors.
fn update<E: std::error::Error + 'static>(
    error: OrderUpdateError<E>,
    rejected: impl FnOnce(E) -> ApiError,
) -> ApiError {
    match error {
        OrderUpdateError::NotFound(id) => ApiError::not_found(&format!("order {id}")),
        OrderUpdateError::Rejected(e) => rejected(e),
        OrderUpdateError::Contention { .. } => ApiError::new(
            StatusCode::CONFLICT,
            "Concurrent Update",
            "the order changed while this request was applied; send it again",
        ),
        e @ OrderUpdateError::UnknownChannel(_) => ApiError::internal(&e),
        OrderUpdateError::Store(e) => ApiError::internal(&e),
    }
}

impl From<OrderUpdateError<FulfilError>> for ApiError {
    fn from(error: OrderUpdateError<FulfilError>) -> Self {
        update(error, |e| match e {
            FulfilError::NoLines => {
                ApiError::bad_request(INVALID_LINES, "line_items must not be empty")
            }
            FulfilError::Allocation(a) => allocation(&a),
            FulfilError::CarrierRequired => ApiError::bad_request(
                "Carrier Required",
                "carrier is required: this order's marketplace needs one on every shipment",
            ),
            e @ FulfilError::OrderCancelled => {
                ApiError::new(StatusCode::CONFLICT, "Order Cancelled", e.to_string())
            }
            e @ FulfilError::CancelledByMarketplace { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "Cancelled By Marketplace",
                e.to_string(),
            ),
            e @ FulfilError::OnHold(_) => {
                ApiError::new(StatusCode::CONFLICT, "Order On Hold", e.to_string())
            }
            e @ FulfilError::TrackingNumberConflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "Tracking Number Conflict",
                format!("tracking_number: {e}"),
            ),
            e @ FulfilError::TooMany { .. } => too_many("fulfillments", &e),
        })
    }
}

impl From<OrderUpdateError<CancelError>> for ApiError {
    fn from(error: OrderUpdateError<CancelError>) -> Self {
        update(error, |e| match e {
            CancelError::NoLines => ApiError::bad_request(
                INVALID_LINES,
                "line_items must not be empty; leave it out to cancel everything not shipped",
            ),
            CancelError::Allocation(a) => allocation(&a),
            e @ (CancelError::AlreadyCancelled | CancelError::AlreadyFulfilled) => {
                ApiError::new(StatusCode::CONFLICT, "Nothing To Cancel", e.to_string())
            }
            e @ CancelError::TooMany { .. } => too_many("cancellations", &e),
        })
    }
}

impl From<OrderUpdateError<RefundError>> for ApiError {
    fn from(error: OrderUpdateError<RefundError>) -> Self {
        update(error, |e| match e {
            e @ RefundError::ReferenceConflict(_) => ApiError::new(
                StatusCode::CONFLICT,
                "Refund Reference Conflict",
                format!("reference: {e}"),
            ),
            e @ (RefundError::ExceedsQuantity { .. } | RefundError::ExceedsPaid { .. }) => {
                ApiError::bad_request("Refund Too Large", format!("lines: {e}"))
            }
            e @ RefundError::CurrencyMismatch { .. } => {
                ApiError::bad_request("Invalid Refund", format!("currency: {e}"))
            }
            e @ RefundError::TooMany { .. } => too_many("refunds", &e),
            e => ApiError::bad_request("Invalid Refund", format!("lines: {e}")),
        })
    }
}

impl From<RequeueDeliveryError> for ApiError {
    fn from(error: RequeueDeliveryError) -> Self {
        match error {
            RequeueDeliveryError::Requeue(RequeueError::NotFound(id)) => {
                ApiError::not_found(&format!("delivery {id}"))
            }
            RequeueDeliveryError::Requeue(e @ RequeueError::NotDead { .. }) => {
                ApiError::new(StatusCode::CONFLICT, "Not Dead", e.to_string())
            }
            RequeueDeliveryError::Requeue(RequeueError::Store(e))
            | RequeueDeliveryError::Store(e) => ApiError::internal(&e),
        }
    }
}

impl From<ResolveError> for ApiError {
    fn from(error: ResolveError) -> Self {
        match error {
            ResolveError::NotFound(id) => ApiError::not_found(&format!("delivery {id}")),
            e @ ResolveError::Closed { .. } => {
                ApiError::new(StatusCode::CONFLICT, "Not Resolvable", e.to_string())
            }
            e @ ResolveError::InFlight(_) => {
                ApiError::new(StatusCode::CONFLICT, "Delivery In Flight", e.to_string())
            }
            ResolveError::Store(e) => ApiError::internal(&e),
        }
    }
}
