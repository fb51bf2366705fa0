//! The router: every route with its OpenAPI description, and the layers around them.

mod channels;
mod deliveries;
mod inbound;
mod ops;
mod orders;
pub(crate) mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE};
use axum::http::{HeaderName, StatusCode};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::middleware::{REQUEST_ID, json_errors, panic_response, record_metrics, request_id};
use crate::shed::{InFlight, shed};
use crate::{ApiConfig, AppState, auth, openapi};

/// The routes and their OpenAPI description; warehouse routes need one of `warehouse_keys`.
pub(crate) fn api(warehouse_keys: auth::ApiKeys) -> OpenApiRouter<AppState> {
    let warehouse = OpenApiRouter::new()
        .routes(routes!(orders::list_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::create_fulfillment))
        .routes(routes!(orders::create_cancellation))
        .routes(routes!(orders::create_refund))
        .routes(routes!(deliveries::list_deliveries))
        .routes(routes!(deliveries::retry_delivery))
        .routes(routes!(deliveries::retry_deliveries))
        .routes(routes!(deliveries::resolve_delivery))
        .routes(routes!(channels::list_channels))
        .routes(routes!(channels::pause_channel))
        .routes(routes!(channels::resume_channel))
        .routes(routes!(inbound::list_inbound))
        .routes(routes!(inbound::get_inbound))
        .routes(routes!(inbound::discard_inbound))
        .routes(routes!(inbound::replay_inbound))
        .route_layer(axum::middleware::from_fn_with_state(
            warehouse_keys,
            auth::require_warehouse_key,
        ));
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(webhooks::adm::adm_order))
        .routes(routes!(webhooks::adm::adm_account_order))
        .routes(routes!(webhooks::adm::adm_order_cancelled))
        .routes(routes!(webhooks::adm::adm_account_order_cancelled))
        .merge(warehouse)
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi_json))
}

/// Headers that carry credentials on any request: `Authorization` and cookies, Standard
/// Webhooks' signature, FeedAMP's `token`; each webhook adds its own (a custom key header, a
/// signature header) from its settings.
const CREDENTIAL_HEADERS: [HeaderName; 6] = [
    AUTHORIZATION,
    PROXY_AUTHORIZATION,
    COOKIE,
    SET_COOKIE,
    HeaderName::from_static("webhook-signature"),
    HeaderName::from_static("token"),
];

/// The served router.
pub(crate) fn router(state: AppState, config: &ApiConfig, pages: Router) -> Router {
    // Marked sensitive before anything sees the request: their values show as `Sensitive` in
    // any `Debug` of the headers (the debug log of each request's headers among them).
    let mut sensitive = CREDENTIAL_HEADERS.to_vec();
    sensitive.extend(state.webhooks.credential_headers());
    // Warehouse routes need a warehouse key; a webhook's marketplace checks its own key before
    // the body is read, and what else it signs after.
    let (router, _) = api(state.warehouse_keys.clone()).split_for_parts();
    // Every other marketplace's webhooks, by the registry (undocumented paths).
    let router = router.route(
        "/webhooks/{marketplace}/{*rest}",
        axum::routing::post(webhooks::any),
    );
    let request_id_header = HeaderName::from_static(REQUEST_ID);
    let router = router
        .route_layer(axum::middleware::from_fn(record_metrics))
        .with_state(state)
        .merge(pages)
        .fallback(|| async { crate::ApiError::not_found("this route") })
        .method_not_allowed_fallback(|| async {
            crate::ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(config.body_limit));
    router
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveHeadersLayer::new(sensitive))
                .layer(SetRequestIdLayer::new(
                    request_id_header.clone(),
                    MakeRequestUuid,
                ))
                .layer(PropagateRequestIdLayer::new(request_id_header))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &axum::extract::Request| {
                            tracing::info_span!(
                                "request",
                                request_id = %request_id(request),
                                method = %request.method(),
                                path = %request.uri().path(),
                            )
                        })
                        .on_request(|request: &axum::extract::Request, _: &tracing::Span| {
                            // Credential headers show as `Sensitive` (marked above).
                            tracing::debug!(headers = ?request.headers(), "started processing request");
                        }),
                )
                .layer(axum::middleware::from_fn(json_errors))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    config.request_timeout,
                )),
        )
        // Outermost: a shed request costs no span, id or timer.
        .layer(axum::middleware::from_fn_with_state(
            InFlight::new(config.max_in_flight),
            shed,
        ))
}
