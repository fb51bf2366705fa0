//! The fake FeedAMP's v1 routes: the token route, the new-orders feed under both candidate
//! paths, one order, confirm, fulfil and refund, each with faults applied, logged, and
//! checked for `token` and `client` (see the `feedamp` module docs for every answer).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::ExtensionRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use crate::feedamp::auth::{Tokens, authorise, issue_token};
use crate::feedamp::control;
use crate::feedamp::store::Store;
use crate::feedamp::wire::query::{cursor, encode_cursor, flag, limit, query};
use crate::feedamp::wire::{ApiError, error_response, fulfil, refund};
use crate::kit::faults::{Fault, FaultInjector};
use crate::kit::log::RequestBook;
use crate::kit::server::{Connection, idempotency_key, is_json};
use crate::kit::start::StopSignal;

/// The token route: `GET` with HTTP Basic.
pub const TOKEN_PATH: &str = "/api/v1/get_token";
/// The new-orders feed, first candidate path.
pub const ORDERS_PATH: &str = "/api/v1/orders";
/// The new-orders feed, second candidate path.
pub const NEW_ORDERS_PATH: &str = "/api/v1/orders/new";

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct FeedampApp {
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) client_id: String,
    pub(crate) tokens: Mutex<Tokens>,
    pub(crate) store: Store,
    pub(crate) log: RequestBook,
    pub(crate) faults: FaultInjector,
    pub(crate) token_faults: FaultInjector,
    pub(crate) stop: StopSignal,
}

impl FeedampApp {
    pub(crate) fn tokens(&self) -> MutexGuard<'_, Tokens> {
        // The token table stays consistent between statements.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets orders, refunds, tokens (and their counts), the log and every fault.
    pub(crate) fn reset(&self) {
        self.store.reset();
        self.log.clear();
        self.tokens().reset();
        self.faults.clear();
        self.token_faults.clear();
    }
}

/// The API call a request makes.
#[derive(Debug)]
enum Endpoint {
    Token,
    Feed,
    Order(String),
    Confirm(String),
    Fulfil(String),
    Refund(String),
}

impl Endpoint {
    fn order_id(&self) -> Option<&str> {
        match self {
            Self::Token | Self::Feed => None,
            Self::Order(id) | Self::Confirm(id) | Self::Fulfil(id) | Self::Refund(id) => Some(id),
        }
    }
}

pub(crate) fn router(app: Arc<FeedampApp>) -> Router {
    let faults = app.faults.routes();
    let token_faults = app.token_faults.routes_at(control::TOKEN_FAULTS_PATH);
    Router::new()
        .route(TOKEN_PATH, get(token).fallback(wrong_method))
        .route(ORDERS_PATH, get(feed).fallback(wrong_method))
        .route(NEW_ORDERS_PATH, get(feed).fallback(wrong_method))
        .route("/api/v1/orders/{id}", get(order).fallback(wrong_method))
        .route(
            "/api/v1/orders/{id}/confirm",
            put(confirm).fallback(wrong_method),
        )
        .route(
            "/api/v1/orders/{id}/fulfill",
            put(fulfil_order).fallback(wrong_method),
        )
        .route(
            "/api/v1/orders/{id}/refund",
            post(refund_line).fallback(wrong_method),
        )
        .merge(control::routes())
        .fallback(not_found)
        .with_state(app)
        .merge(faults)
        .merge(token_faults)
}

/// What every API handler extracts besides the order id and the body.
struct Request {
    app: Arc<FeedampApp>,
    connection: Connection,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl FromRequestParts<Arc<FeedampApp>> for Request {
    type Rejection = ExtensionRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<FeedampApp>,
    ) -> Result<Self, Self::Rejection> {
        let ConnectInfo(connection) =
            ConnectInfo::<Connection>::from_request_parts(parts, app).await?;
        Ok(Self {
            app: Arc::clone(app),
            connection,
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            headers: parts.headers.clone(),
        })
    }
}

async fn token(request: Request) -> Response {
    call(request, Bytes::new(), Endpoint::Token).await
}

async fn feed(request: Request) -> Response {
    call(request, Bytes::new(), Endpoint::Feed).await
}

async fn order(Path(id): Path<String>, request: Request) -> Response {
    call(request, Bytes::new(), Endpoint::Order(id)).await
}

async fn confirm(Path(id): Path<String>, request: Request) -> Response {
    call(request, Bytes::new(), Endpoint::Confirm(id)).await
}

async fn fulfil_order(Path(id): Path<String>, request: Request, body: Bytes) -> Response {
    call(request, body, Endpoint::Fulfil(id)).await
}

async fn refund_line(Path(id): Path<String>, request: Request, body: Bytes) -> Response {
    call(request, body, Endpoint::Refund(id)).await
}

/// Faults, then auth, then the call; logged whatever happens.
async fn call(request: Request, body: Bytes, endpoint: Endpoint) -> Response {
    let Request {
        app,
        connection,
        method,
        uri,
        headers,
    } = request;
    let is_token = matches!(endpoint, Endpoint::Token);
    let faults = if is_token {
        &app.token_faults
    } else {
        &app.faults
    };
    let mut log = app.log.arriving(&method, &uri);
    if let Some(entry) = log.entry() {
        entry.order_id = endpoint.order_id().map(str::to_owned);
        entry.idempotency_key = idempotency_key(&headers);
    }
    let planned = faults.admit(&app.stop, &mut log).await;
    let result = match planned.fault {
        Some(Fault::DropConnection) => {
            tracing::debug!("sandbox FeedAMP drops a connection without answering");
            connection.drop_without_answer();
            // Never written: the connection fails first.
            return StatusCode::OK.into_response();
        }
        Some(fault) => Err(fault_error(fault, is_token, &app.client_id)),
        None => handle(&app, &uri, &headers, &body, endpoint),
    };
    let (response, error) = match result {
        Ok((status, answer)) => ((status, axum::Json(answer)).into_response(), None),
        Err(error) => (error_response(&error), Some(error.error)),
    };
    if let Some(entry) = log.entry() {
        entry.status = Some(response.status().as_u16());
        entry.error = error;
    }
    response
}

fn handle(
    app: &FeedampApp,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    endpoint: Endpoint,
) -> Result<(StatusCode, Value), ApiError> {
    let now = Instant::now();
    if !matches!(endpoint, Endpoint::Token) {
        authorise(app, headers, now)?;
    }
    let store = &app.store;
    match endpoint {
        Endpoint::Token => issue_token(app, headers, now),
        Endpoint::Feed => {
            let params = query(uri)?;
            let limit = limit(&params)?;
            let after = cursor(&params)?;
            let include_raw = flag(&params, "include_raw")?;
            let page = store.page(after, limit, include_raw);
            let next_cursor = page.next_after.map(encode_cursor);
            Ok((
                StatusCode::OK,
                json!({"orders": page.orders, "next_cursor": next_cursor}),
            ))
        }
        Endpoint::Order(id) => {
            let include_raw = flag(&query(uri)?, "include_raw")?;
            let order = store.get(&id, include_raw)?;
            Ok((StatusCode::OK, json!({ "order": [order] })))
        }
        Endpoint::Confirm(id) => Ok((StatusCode::OK, store.confirm(&id)?)),
        Endpoint::Fulfil(id) => {
            store.get(&id, false)?;
            require_json(headers)?;
            let body = fulfil::parse(body).map_err(ApiError::bad_request)?;
            Ok((StatusCode::OK, store.fulfil(&id, body)?))
        }
        Endpoint::Refund(id) => {
            store.get(&id, false)?;
            require_json(headers)?;
            let body = refund::parse(body).map_err(ApiError::bad_request)?;
            Ok((StatusCode::CREATED, store.refund(&id, body)?))
        }
    }
}

fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    if is_json(headers) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ))
    }
}

/// The answer of an injected fault, worded as the real check words it (`auth.rs`).
fn fault_error(fault: Fault, is_token: bool, client_id: &str) -> ApiError {
    match fault {
        Fault::Unauthorized if is_token => {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid username or password")
        }
        Fault::Unauthorized => ApiError::new(StatusCode::UNAUTHORIZED, "invalid token"),
        Fault::Forbidden if is_token => ApiError::new(
            StatusCode::FORBIDDEN,
            "this user is not authorised to get tokens for this account",
        ),
        Fault::Forbidden => ApiError::new(
            StatusCode::FORBIDDEN,
            format!("client {client_id:?} is not authorised for this account"),
        ),
        Fault::TooManyRequests { retry_after_secs } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests: keep to 2 requests per second",
        )
        .retry_after(retry_after_secs),
        Fault::ServerError | Fault::DropConnection => {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        }
    }
}

async fn wrong_method(State(app): State<Arc<FeedampApp>>, method: Method, uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    );
    app.log.answered(&method, &uri, error.status, &error.error);
    error_response(&error)
}

async fn not_found(State(app): State<Arc<FeedampApp>>, method: Method, uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
    );
    app.log.answered(&method, &uri, error.status, &error.error);
    error_response(&error)
}
