//! Marketplace webhooks, from a registry keyed by channel account: each account's webhook is
//! `POST /webhooks/{marketplace}/{channel}/{event}`, and a marketplace with a single account
//! also answers at `POST /webhooks/{marketplace}/{event}`. The marketplace's own crate
//! authenticates and answers (the domain's `Webhook` port); this module finds the account,
//! checks the body's size and type, and counts what was received. One module per marketplace
//! documents its routes in the OpenAPI document.

pub(crate) mod adm;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use orderbridge_domain::ports::webhook::{Headers, Webhook, WebhookReply};
use orderbridge_domain::values::ChannelId;

use crate::AppState;
use crate::error::ApiError;
use crate::extract::JsonBytes;

/// The webhooks of every push channel account, by channel.
#[derive(Debug, Clone, Default)]
pub struct Webhooks(BTreeMap<ChannelId, Arc<dyn Webhook>>);

impl Webhooks {
    /// No webhook.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `webhook` for its channel (replacing one registered for the same channel).
    #[must_use]
    pub fn with(mut self, webhook: Arc<dyn Webhook>) -> Self {
        self.0.insert(webhook.channel().clone(), webhook);
        self
    }

    /// The webhook of `channel`, when it belongs to `marketplace`.
    pub(crate) fn account(&self, marketplace: &str, channel: &str) -> Option<&Arc<dyn Webhook>> {
        let channel = ChannelId::parse(channel).ok()?;
        self.0
            .get(&channel)
            .filter(|hook| hook.marketplace() == marketplace)
    }

    /// The headers carrying any account's credentials, besides `Authorization` (its custom key
    /// header, its signature header), by name; a name that is not a valid header is left out
    /// (no request can carry it).
    pub(crate) fn credential_headers(&self) -> Vec<axum::http::HeaderName> {
        self.0
            .values()
            .flat_map(|hook| hook.credential_headers())
            .filter_map(|name| axum::http::HeaderName::try_from(name.trim()).ok())
            .collect()
    }

    /// The webhook of `marketplace` when it has exactly one account.
    pub(crate) fn sole(&self, marketplace: &str) -> Option<&Arc<dyn Webhook>> {
        let mut accounts = self.0.values().filter(|h| h.marketplace() == marketplace);
        let first = accounts.next()?;
        accounts.next().is_none().then_some(first)
    }

    /// The account and event a path below `/webhooks/{marketplace}/` names: its first segment
    /// is a channel of that marketplace, or the rest is an event of its sole account.
    fn resolve<'a>(
        &self,
        marketplace: &str,
        rest: &'a str,
    ) -> Option<(&Arc<dyn Webhook>, &'a str)> {
        if let Some((first, event)) = rest.split_once('/')
            && let Some(hook) = self.account(marketplace, first)
        {
            return Some((hook, event));
        }
        self.sole(marketplace).map(|hook| (hook, rest))
    }
}

fn headers(request: &Request) -> Headers {
    Headers::new(request.headers().iter().filter_map(|(name, value)| {
        value
            .to_str()
            .ok()
            .map(|v| (name.as_str().to_owned(), v.to_owned()))
    }))
}

/// The marketplace's answer; a 503 (its store could not be reached) says when to try again.
fn respond(reply: WebhookReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(CONTENT_TYPE, "application/json")],
        Body::from(reply.body),
    )
        .into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(
            RETRY_AFTER,
            HeaderValue::from(crate::error::RETRY_AFTER_SECS),
        );
    }
    response
}

/// Hands a call to `hook`: its key is checked before the body is read, then the body's size
/// and type, then the marketplace reads it.
pub(crate) async fn deliver(
    state: &AppState,
    hook: &Arc<dyn Webhook>,
    event: &str,
    request: Request,
) -> Response {
    let headers = headers(&request);
    if let Err(reply) = hook.authenticate(&headers) {
        return respond(reply);
    }
    let body = match JsonBytes::from_request(request, &()).await {
        Ok(JsonBytes(body)) => body,
        Err(e) => return e.into_response(),
    };
    let reply = hook.receive(event, &headers, &body, &state.service).await;
    if reply.created.is_some() {
        metrics::counter!("orderbridge_orders_received_total", "channel" => hook.channel().to_string())
            .increment(1);
    }
    if reply.quarantined.is_some() {
        metrics::counter!("orderbridge_inbound_rejected_total", "channel" => hook.channel().to_string())
            .increment(1);
    }
    respond(reply)
}

/// Any marketplace's webhook: `/webhooks/{marketplace}/{channel}/{event}` or, for a
/// marketplace with one account, `/webhooks/{marketplace}/{event}`.
pub(crate) async fn any(
    State(state): State<AppState>,
    Path((marketplace, rest)): Path<(String, String)>,
    request: Request,
) -> Response {
    match state.webhooks.resolve(&marketplace, &rest) {
        Some((hook, event)) => {
            let (hook, event) = (hook.clone(), event.to_owned());
            deliver(&state, &hook, &event, request).await
        }
        None => {
            ApiError::not_found(&format!("a {marketplace} webhook at this path")).into_response()
        }
    }
}
