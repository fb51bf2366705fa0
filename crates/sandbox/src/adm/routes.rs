//! The fake ADM's HTTP routes: Create Fulfillment with faults applied and logged and its
//! answers replayed per `Idempotency-Key` (`replays.rs`), the answers to unknown paths and
//! wrong methods, and the control paths of `control.rs` and of the fault plan merged in.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::adm::auth::authorized_by;
use crate::adm::control;
use crate::adm::replays::Replays;
use crate::adm::store::{FulfilledLine, ReceivedFulfillment, Store};
use crate::adm::wire::{
    self, FORBIDDEN, FulfillmentRequest, Rejection, SERVER_ERROR, TOO_MANY_REQUESTS, UNAUTHORIZED,
    rfc3339,
};
use crate::kit::faults::{Fault, FaultInjector};
use crate::kit::log::RequestBook;
use crate::kit::server::{Connection, idempotency_key, is_json, json_error};
use crate::kit::start::StopSignal;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct AdmApp {
    pub(crate) api_key: String,
    pub(crate) api_key_header: Option<HeaderName>,
    pub(crate) accept_unknown_orders: AtomicBool,
    pub(crate) reject_unknown_fields: bool,
    pub(crate) store: Store,
    pub(crate) replays: Replays<Handled>,
    pub(crate) log: RequestBook,
    pub(crate) faults: FaultInjector,
    /// Answers given verbatim, in turn, to the next requests that pass the faults and the key
    /// check, in place of handling them: `(status, JSON body text)`.
    pub(crate) scripted: Mutex<VecDeque<(StatusCode, String)>>,
    pub(crate) stop: StopSignal,
}

impl AdmApp {
    /// The next scripted answer for a request with these headers, if one is queued and the
    /// key is right.
    fn scripted_answer(&self, headers: &HeaderMap) -> Option<Response> {
        authorized_by(self, headers)?;
        let (status, body) = self
            .scripted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()?;
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Some(response)
    }

    /// Forgets registered orders, records, counters, recorded answers, the log and faults.
    pub(crate) fn reset(&self) {
        self.store.reset();
        self.replays.clear();
        self.log.clear();
        self.faults.clear();
        self.scripted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

pub(crate) fn router(app: Arc<AdmApp>, fulfillment_path: &str) -> Router {
    let faults = app.faults.routes();
    Router::new()
        .route(fulfillment_path, post(fulfill).fallback(wrong_method))
        .merge(control::routes())
        .fallback(not_found)
        .with_state(app)
        .merge(faults)
}

/// How a request that passed the faults was answered: the `200` body and the order id, or
/// the refusal. [`Replays`] records the `200`s per key.
pub(crate) type Handled = Result<(Value, String), Rejection>;

async fn fulfill(
    State(app): State<Arc<AdmApp>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut log = app.log.arriving(&method, &uri);
    let key = idempotency_key(&headers);
    if let Some(entry) = log.entry() {
        entry.idempotency_key.clone_from(&key);
    }
    let planned = app.faults.admit(&app.stop, &mut log).await;
    let received_at = log.entry().map_or_else(Utc::now, |entry| entry.received_at);
    let (response, order_id) = match planned.fault {
        Some(Fault::DropConnection) => {
            tracing::debug!("sandbox ADM drops a connection without answering");
            connection.drop_without_answer();
            if let Some(entry) = log.entry() {
                entry.order_id = order_id_of(&body);
            }
            // Never written: the connection fails first.
            return StatusCode::OK.into_response();
        }
        Some(fault) => (fault_response(fault), order_id_of(&body)),
        None if let Some(scripted) = app.scripted_answer(&headers) => {
            (scripted, order_id_of(&body))
        }
        None => {
            let (handled, replayed) = answer(&app, &headers, &body, received_at, key.as_deref());
            if let Some(entry) = log.entry() {
                entry.replayed = replayed;
            }
            match handled {
                Ok((answer, order_id)) => (axum::Json(answer).into_response(), Some(order_id)),
                Err(rejection) => {
                    let response =
                        json_error(rejection.status, rejection.error, &rejection.message);
                    if let Some(entry) = log.entry() {
                        entry.error = Some(rejection.error.to_owned());
                    }
                    (response, order_id_of(&body))
                }
            }
        }
    };
    if let Some(entry) = log.entry() {
        entry.status = Some(response.status().as_u16());
        entry.order_id = order_id;
        if planned.fault.is_some() {
            entry.error = Some(fault_text(planned.fault).error.to_owned());
        }
    }
    response
}

/// The API key check, then the answer recorded for `idempotency_key` (and true) or a fresh
/// handling (and false). Only an accepted fulfillment is recorded: a refusal changed nothing.
fn answer(
    app: &AdmApp,
    headers: &HeaderMap,
    body: &[u8],
    received_at: DateTime<Utc>,
    idempotency_key: Option<&str>,
) -> (Handled, bool) {
    let Some(key_header) = authorized_by(app, headers) else {
        let refused = Rejection::fixed(StatusCode::UNAUTHORIZED, UNAUTHORIZED);
        return (Err(refused), false);
    };
    app.replays.once(idempotency_key, || {
        let handled = handle(app, headers, key_header, body, received_at);
        let accepted = handled.is_ok();
        (handled, accepted)
    })
}

/// Body checks, the order check and the `200` answer of seed 002, for a request whose API key
/// came in `key_header`.
fn handle(
    app: &AdmApp,
    headers: &HeaderMap,
    key_header: String,
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Handled {
    if !is_json(headers) {
        return Err(Rejection {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error: "Unsupported Media Type",
            message: "Content-Type must be application/json".to_owned(),
        });
    }
    let request = wire::parse_fulfillment(body, app.reject_unknown_fields)?;
    let received = received(&request, headers, key_header, body, received_at);
    let accept_unknown = app.accept_unknown_orders.load(Ordering::Relaxed);
    app.store.accept(&request, accept_unknown, received)?;
    tracing::debug!(
        order_id = %request.order_id,
        tracking = %request.tracking_number,
        "sandbox ADM accepted a fulfillment"
    );
    let answer = json!({
        "order_id": request.order_id_sent,
        "status": "created",
        "tracking_number": request.tracking_number,
        "created_at": rfc3339(received_at),
    });
    Ok((answer, request.order_id))
}

fn received(
    request: &FulfillmentRequest,
    headers: &HeaderMap,
    key_header: String,
    body: &[u8],
    received_at: DateTime<Utc>,
) -> ReceivedFulfillment {
    let text = |name: HeaderName| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    ReceivedFulfillment {
        order_id: request.order_id.clone(),
        order_id_sent: request.order_id_sent.clone(),
        line_items: request
            .lines
            .iter()
            .map(|(sku, quantity)| FulfilledLine {
                sku: sku.clone(),
                quantity: *quantity,
            })
            .collect(),
        tracking_number: request.tracking_number.clone(),
        tracking_url: request.tracking_url.clone(),
        received_at,
        content_type: text(CONTENT_TYPE),
        user_agent: text(USER_AGENT),
        key_header,
        body: String::from_utf8_lossy(body).into_owned(),
    }
}

fn order_id_of(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    wire::order_id_text(value.get("order_id")?)
}

fn fault_text(fault: Option<Fault>) -> wire::ErrorText {
    match fault {
        Some(Fault::Unauthorized) => UNAUTHORIZED,
        Some(Fault::Forbidden) => FORBIDDEN,
        Some(Fault::TooManyRequests { .. }) => TOO_MANY_REQUESTS,
        _ => SERVER_ERROR,
    }
}

fn fault_response(fault: Fault) -> Response {
    let text = fault_text(Some(fault));
    match fault {
        Fault::Unauthorized => json_error(StatusCode::UNAUTHORIZED, text.error, text.message),
        Fault::Forbidden => json_error(StatusCode::FORBIDDEN, text.error, text.message),
        Fault::TooManyRequests { retry_after_secs } => {
            let mut response = json_error(StatusCode::TOO_MANY_REQUESTS, text.error, text.message);
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        Fault::ServerError | Fault::DropConnection => {
            json_error(StatusCode::INTERNAL_SERVER_ERROR, text.error, text.message)
        }
    }
}

async fn wrong_method(State(app): State<Arc<AdmApp>>, method: Method, uri: Uri) -> Response {
    app.log.answered(
        &method,
        &uri,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    );
    json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        "Create Fulfillment takes POST",
    )
}

async fn not_found(State(app): State<Arc<AdmApp>>, method: Method, uri: Uri) -> Response {
    app.log
        .answered(&method, &uri, StatusCode::NOT_FOUND, "Not Found");
    json_error(StatusCode::NOT_FOUND, "Not Found", "No such endpoint.")
}
