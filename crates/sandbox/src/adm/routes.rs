//! The fake ADM's HTTP routes: Create Fulfillment with faults applied, and the control paths
//! under `/_sandbox/` that let a separate process register orders and read what arrived.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, USER_AGENT};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::adm::ledger::{FulfilledLine, Ledger, ReceivedFulfillment, RequestLog, rfc3339};
use crate::adm::wire::{
    self, FulfillmentRequest, Rejection, SERVER_ERROR, TOO_MANY_REQUESTS, UNAUTHORIZED,
};
use crate::faults::{Fault, FaultInjector};
use crate::server::{Connection, StopSignal, json_error};

/// Registers a known order: `{"id": "123" | 123, "line_items": [{"sku", "quantity"}]}`.
pub const ORDERS_PATH: &str = "/_sandbox/orders";
/// Lists accepted fulfillments: `{"accepted_count", "duplicates", "fulfillments": [..]}`.
pub const FULFILLMENTS_PATH: &str = "/_sandbox/fulfillments";
/// Lists the request log: `{"requests": [..]}`.
pub const REQUESTS_PATH: &str = "/_sandbox/requests";
/// Forgets orders, records and faults.
pub const RESET_PATH: &str = "/_sandbox/reset";

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct AdmApp {
    pub(crate) api_key: String,
    pub(crate) api_key_header: Option<HeaderName>,
    pub(crate) accept_unknown_orders: AtomicBool,
    pub(crate) reject_unknown_fields: bool,
    pub(crate) ledger: Ledger,
    pub(crate) faults: FaultInjector,
    pub(crate) stop: StopSignal,
}

pub(crate) fn router(app: Arc<AdmApp>, fulfillment_path: &str) -> Router {
    let faults = app.faults.routes();
    Router::new()
        .route(fulfillment_path, post(fulfill).fallback(wrong_method))
        .route(ORDERS_PATH, post(register_order))
        .route(FULFILLMENTS_PATH, get(list_fulfillments))
        .route(REQUESTS_PATH, get(list_requests))
        .route(RESET_PATH, post(reset))
        .fallback(not_found)
        .with_state(app)
        .merge(faults)
}

/// Writes the request's log entry when dropped, so that a request whose client went away
/// during a delay (and whose handler hyper then drops) is logged too, with no status.
struct LogOnDrop {
    app: Arc<AdmApp>,
    entry: Option<RequestLog>,
}

impl LogOnDrop {
    fn entry(&mut self) -> Option<&mut RequestLog> {
        self.entry.as_mut()
    }
}

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            self.app.ledger.log(entry);
        }
    }
}

async fn fulfill(
    State(app): State<Arc<AdmApp>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received_at = Utc::now();
    let planned = app.faults.take();
    let mut log = LogOnDrop {
        app: Arc::clone(&app),
        entry: Some(RequestLog {
            received_at,
            method: method.to_string(),
            path: uri.path().to_owned(),
            status: None,
            fault: planned.fault,
            delay: planned.delay,
            error: None,
            order_id: None,
        }),
    };
    if let Some(delay) = planned.delay {
        app.stop.sleep(delay).await;
    }
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
        None => match handle(&app, &headers, &body, received_at) {
            Ok((response, order_id)) => (response, Some(order_id)),
            Err(rejection) => {
                let error = rejection.error.to_owned();
                let response = json_error(rejection.status, rejection.error, &rejection.message);
                if let Some(entry) = log.entry() {
                    entry.error = Some(error);
                }
                (response, order_id_of(&body))
            }
        },
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

/// Auth, body checks, the order check and the `200` answer of seed 002.
fn handle(
    app: &AdmApp,
    headers: &HeaderMap,
    body: &[u8],
    received_at: DateTime<Utc>,
) -> Result<(Response, String), Rejection> {
    let Some(key_header) = authorized_by(app, headers) else {
        return Err(Rejection::fixed(StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    };
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
    app.ledger.accept(&request, accept_unknown, received)?;
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
    Ok((axum::Json(answer).into_response(), request.order_id))
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

/// The header that carried the right key: `Authorization: Bearer <key>` or the configured
/// header with the bare key. `None` when neither does.
fn authorized_by(app: &AdmApp, headers: &HeaderMap) -> Option<String> {
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    if bearer == Some(app.api_key.as_str()) {
        return Some(AUTHORIZATION.as_str().to_owned());
    }
    let header = app.api_key_header.as_ref()?;
    let presented = headers.get(header)?.to_str().ok()?.trim();
    (presented == app.api_key).then(|| header.as_str().to_owned())
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn order_id_of(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    wire::order_id_text(value.get("order_id")?)
}

fn fault_text(fault: Option<Fault>) -> wire::ErrorText {
    match fault {
        Some(Fault::Unauthorized) => UNAUTHORIZED,
        Some(Fault::TooManyRequests { .. }) => TOO_MANY_REQUESTS,
        _ => SERVER_ERROR,
    }
}

fn fault_response(fault: Fault) -> Response {
    let text = fault_text(Some(fault));
    match fault {
        Fault::Unauthorized => json_error(StatusCode::UNAUTHORIZED, text.error, text.message),
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
    log_plain(
        &app,
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
    log_plain(&app, &method, &uri, StatusCode::NOT_FOUND, "Not Found");
    json_error(StatusCode::NOT_FOUND, "Not Found", "No such endpoint.")
}

fn log_plain(app: &AdmApp, method: &Method, uri: &Uri, status: StatusCode, error: &str) {
    app.ledger.log(RequestLog {
        received_at: Utc::now(),
        method: method.to_string(),
        path: uri.path().to_owned(),
        status: Some(status.as_u16()),
        fault: None,
        delay: None,
        error: Some(error.to_owned()),
        order_id: None,
    });
}

async fn register_order(State(app): State<Arc<AdmApp>>, body: Bytes) -> Response {
    match parse_registration(&body) {
        Some((id, lines)) => {
            let refs: Vec<(&str, u32)> = lines.iter().map(|(s, q)| (s.as_str(), *q)).collect();
            app.ledger.register(&id, &refs);
            axum::Json(json!({ "registered": id })).into_response()
        }
        None => json_error(
            StatusCode::BAD_REQUEST,
            "Invalid Order",
            "expected {\"id\": string or integer, \"line_items\": [{\"sku\": string, \
             \"quantity\": integer >= 1}, ..]}",
        ),
    }
}

fn parse_registration(body: &[u8]) -> Option<(String, Vec<(String, u32)>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let id = wire::order_id_text(value.get("id")?)?;
    let items = value.get("line_items")?.as_array()?;
    let mut lines = Vec::with_capacity(items.len());
    for item in items {
        let sku = item.get("sku")?.as_str()?.trim();
        let quantity = u32::try_from(item.get("quantity")?.as_u64()?).ok()?;
        if sku.is_empty() || quantity == 0 {
            return None;
        }
        lines.push((sku.to_owned(), quantity));
    }
    (!lines.is_empty()).then_some((id, lines))
}

async fn list_fulfillments(State(app): State<Arc<AdmApp>>) -> Response {
    let fulfillments: Vec<Value> = app
        .ledger
        .accepted()
        .iter()
        .map(ReceivedFulfillment::to_json)
        .collect();
    axum::Json(json!({
        "accepted_count": app.ledger.accepted_count(),
        "duplicates": app.ledger.duplicates(),
        "fulfillments": fulfillments,
    }))
    .into_response()
}

async fn list_requests(State(app): State<Arc<AdmApp>>) -> Response {
    let requests: Vec<Value> = app
        .ledger
        .requests()
        .iter()
        .map(RequestLog::to_json)
        .collect();
    axum::Json(json!({ "requests": requests })).into_response()
}

async fn reset(State(app): State<Arc<AdmApp>>) -> Response {
    app.ledger.reset();
    app.faults.clear();
    axum::Json(json!({ "reset": true })).into_response()
}
