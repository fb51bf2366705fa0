//! The fake FeedAMP's v1 routes: the token route, the new-orders feed under both candidate
//! paths, one order, confirm, fulfil and refund, each with faults applied, logged, and
//! checked for `token` and `client` (see the `feedamp` module docs for every answer).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use crate::faults::{Fault, FaultInjector};
use crate::feedamp::auth::{authorise, issue_token};
use crate::feedamp::error::ApiError;
use crate::feedamp::log::{FeedampRequestLog, RequestBook};
use crate::feedamp::query::{cursor, encode_cursor, flag, limit, query};
use crate::feedamp::store::Store;
use crate::feedamp::tokens::Tokens;
use crate::feedamp::{control, fulfil, refund};
use crate::server::{Connection, StopSignal};

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

/// What every API handler extracts.
struct Request {
    app: Arc<FeedampApp>,
    connection: Connection,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

async fn token(
    State(app): State<Arc<FeedampApp>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Request {
        app,
        connection,
        method,
        uri,
        headers,
        body: Bytes::new(),
    };
    call(request, Endpoint::Token).await
}

async fn feed(
    State(app): State<Arc<FeedampApp>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Request {
        app,
        connection,
        method,
        uri,
        headers,
        body: Bytes::new(),
    };
    call(request, Endpoint::Feed).await
}

async fn order(
    State(app): State<Arc<FeedampApp>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Request {
        app,
        connection,
        method,
        uri,
        headers,
        body: Bytes::new(),
    };
    call(request, Endpoint::Order(id)).await
}

async fn confirm(
    State(app): State<Arc<FeedampApp>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = Request {
        app,
        connection,
        method,
        uri,
        headers,
        body: Bytes::new(),
    };
    call(request, Endpoint::Confirm(id)).await
}

async fn fulfil_order(
    State(app): State<Arc<FeedampApp>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request {
        app,
        connection,
        method,
        uri,
        headers,
        body,
    };
    call(request, Endpoint::Fulfil(id)).await
}

async fn refund_line(
    State(app): State<Arc<FeedampApp>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    Path(id): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Request {
        app,
        connection,
        method,
        uri,
        headers,
        body,
    };
    call(request, Endpoint::Refund(id)).await
}

/// Writes the request's log entry when dropped, so that a request whose client went away
/// during a delay (and whose handler hyper then drops) is logged too, with no status.
struct LogOnDrop {
    app: Arc<FeedampApp>,
    entry: Option<FeedampRequestLog>,
}

impl Drop for LogOnDrop {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            self.app.log.push(entry);
        }
    }
}

/// Faults, then auth, then the call; logged whatever happens.
async fn call(request: Request, endpoint: Endpoint) -> Response {
    let Request {
        app,
        connection,
        method,
        uri,
        headers,
        body,
    } = request;
    let is_token = matches!(endpoint, Endpoint::Token);
    let planned = if is_token {
        app.token_faults.take()
    } else {
        app.faults.take()
    };
    let mut entry = app.log.start(
        method.to_string(),
        uri.path().to_owned(),
        uri.query().map(str::to_owned),
    );
    entry.fault = planned.fault;
    entry.delay = planned.delay;
    entry.order_id = endpoint.order_id().map(str::to_owned);
    let mut log = LogOnDrop {
        app: Arc::clone(&app),
        entry: Some(entry),
    };
    if let Some(delay) = planned.delay {
        app.stop.sleep(delay).await;
    }
    let result = match planned.fault {
        Some(Fault::DropConnection) => {
            tracing::debug!("sandbox FeedAMP drops a connection without answering");
            connection.drop_without_answer();
            // Never written: the connection fails first.
            return StatusCode::OK.into_response();
        }
        Some(fault) => Err(fault_error(fault, is_token)),
        None => handle(&app, &uri, &headers, &body, endpoint),
    };
    let (response, error) = match result {
        Ok((status, answer)) => ((status, axum::Json(answer)).into_response(), None),
        Err(error) => (error_response(&error), Some(error.error)),
    };
    if let Some(entry) = log.entry.as_mut() {
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
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if is_json {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json",
        ))
    }
}
fn fault_error(fault: Fault, is_token: bool) -> ApiError {
    match fault {
        Fault::Unauthorized if is_token => {
            ApiError::new(StatusCode::UNAUTHORIZED, "invalid username or password")
        }
        Fault::Unauthorized => ApiError::new(StatusCode::UNAUTHORIZED, "invalid token"),
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

/// `{"error": <text>}` with the error's status and headers.
pub(crate) fn error_response(error: &ApiError) -> Response {
    let mut response = (error.status, axum::Json(json!({ "error": error.error }))).into_response();
    let headers = response.headers_mut();
    if let Some(secs) = error.retry_after_secs {
        headers.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    if error.basic_challenge {
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"FeedAMP\""),
        );
    }
    response
}

async fn wrong_method(State(app): State<Arc<FeedampApp>>, method: Method, uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    );
    log_plain(&app, &method, &uri, &error);
    error_response(&error)
}

async fn not_found(State(app): State<Arc<FeedampApp>>, method: Method, uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
    );
    log_plain(&app, &method, &uri, &error);
    error_response(&error)
}

fn log_plain(app: &FeedampApp, method: &Method, uri: &Uri, error: &ApiError) {
    let mut entry = app.log.start(
        method.to_string(),
        uri.path().to_owned(),
        uri.query().map(str::to_owned),
    );
    entry.status = Some(error.status.as_u16());
    entry.error = Some(error.error.clone());
    app.log.push(entry);
}
