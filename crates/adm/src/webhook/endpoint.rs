//! [`AdmWebhook`]: one ADM account's `orders/create` webhook, and the `orders/cancelled` one
//! beside it, behind the domain's [`Webhook`] port. It checks the key and, with Standard
//! Webhooks signatures on, the timestamp (before the body is read); then the optional HMAC
//! signature and the Standard Webhooks signature and id (a replay within the window is refused
//! with 409; a call that fails here with a 5xx has its id forgotten, so that ADM's retry is
//! taken); then it reads the body, ingests the order (or records ADM's cancellation) and answers
//! exactly as seed 001 shows.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use orderbridge_domain::order::{MarketplaceCancel, NewOrder, NewOrderError};
use orderbridge_domain::ports::clock::Clock;
use orderbridge_domain::ports::store::is_unavailable;
use orderbridge_domain::ports::webhook::{Headers, Webhook, WebhookReply};
use orderbridge_domain::services::{
    Admitted, CallRefused, IngestError, Ingested, MarketplaceCancelOutcome, OrderService,
};
use orderbridge_domain::standard_webhooks::{SIGNATURE_HEADER, SignedCall, SigningKey};
use orderbridge_domain::values::{ApiKeys, ChannelId, CleanText, ExternalOrderId, Secret};
use sha2::Sha256;

use super::{
    ALREADY_CREATED, ALREADY_RECEIVED, ErrorText, INVALID_ORDER, INVALID_SKU_OR_QUANTITY,
    SERVER_ERROR, UNAUTHORIZED, WebhookSettings, cancelled_body, created_body, error_body,
    parse_cancellation, parse_order, parse_webhook,
};

/// The event of the `orders/create` webhook: `/webhooks/adm/orders`.
pub const ORDERS: &str = "orders";

/// The event of ADM's cancellations (our reading, design section 11):
/// `/webhooks/adm/orders/cancelled`, the same authentication as [`ORDERS`].
pub const ORDERS_CANCELLED: &str = "orders/cancelled";

/// How one ADM account's webhook is authenticated.
#[derive(Debug, Clone)]
pub struct WebhookAuth {
    /// Keys ADM may present (several during a rotation). Empty with `standard_webhooks` set:
    /// the signature alone authenticates.
    pub keys: ApiKeys,
    /// A header carrying the key instead of `Authorization: Bearer`, if ADM uses one.
    pub key_header: Option<String>,
    /// When set, every call must carry a base64 HMAC-SHA256 of its raw body under this
    /// secret, in `signature_header`.
    pub signing_secret: Option<Secret>,
    /// The header holding the signature.
    pub signature_header: String,
    /// When set, every call must be signed as Standard Webhooks say with this key, fresh, and
    /// not a replay of one received within the window.
    pub standard_webhooks: Option<SigningKey>,
}

/// One ADM account's inbound webhook.
#[derive(Debug, Clone)]
pub struct AdmWebhook {
    settings: WebhookSettings,
    auth: WebhookAuth,
    clock: Arc<dyn Clock>,
}

impl AdmWebhook {
    /// The webhook of the account `settings` names.
    #[must_use]
    pub fn new(settings: WebhookSettings, auth: WebhookAuth, clock: Arc<dyn Clock>) -> Self {
        Self {
            settings,
            auth,
            clock,
        }
    }

    fn signed(&self, headers: &Headers, body: &[u8]) -> bool {
        let Some(secret) = &self.auth.signing_secret else {
            return true;
        };
        let signature = headers.get(&self.auth.signature_header).unwrap_or_default();
        signature_matches(secret, body, signature)
    }

    /// With Standard Webhooks on, admits the call (signature, timestamp, id), or the answer to
    /// give instead.
    async fn admitted(
        &self,
        headers: &Headers,
        body: &[u8],
        orders: &OrderService,
    ) -> Result<Option<Admitted>, WebhookReply> {
        let Some(key) = &self.auth.standard_webhooks else {
            return Ok(None);
        };
        let channel = &self.settings.channel;
        match orders
            .signed_calls()
            .admit(channel, key, headers, body)
            .await
        {
            Ok(admitted) => Ok(Some(admitted)),
            Err(CallRefused::Replayed(id)) => {
                tracing::warn!(channel = %channel, webhook_id = %id, "webhook replay refused: its webhook-id was received already");
                Err(reply(409, &ALREADY_RECEIVED))
            }
            Err(CallRefused::Unsigned(e)) => {
                tracing::warn!(channel = %channel, reason = %e, "webhook refused: Standard Webhooks signature");
                Err(reply(401, &UNAUTHORIZED))
            }
            Err(CallRefused::Store(e)) => {
                tracing::error!(error = %e, channel = %channel, "could not record a webhook id");
                Err(reply(500, &SERVER_ERROR))
            }
        }
    }

    async fn create(&self, body: &[u8], orders: &OrderService) -> WebhookReply {
        let channel = &self.settings.channel;
        let (new, cancel) = match parse_webhook(body, &self.settings, self.clock.now()) {
            Ok(parsed) => parsed,
            Err(rejection) => {
                tracing::info!(channel = %channel, error = rejection.error, reason = %rejection.message, "webhook rejected");
                let answer = WebhookReply::new(400, rejection.body().to_string());
                return self
                    .quarantined(body, &rejection.message, orders, answer)
                    .await;
            }
        };
        let external_id = new.external_id.clone();
        if let Some(cancel) = &cancel {
            // Kept first when the order is new, so that it arrives cancelled; applied at once
            // when it is stored already, which is then the whole answer.
            match orders
                .marketplace_cancelled(channel, &external_id, cancel)
                .await
            {
                Ok(MarketplaceCancelOutcome::Kept) => {}
                Ok(outcome) => return cancelled_reply(channel, &external_id, outcome),
                Err(e) => {
                    tracing::error!(error = %e, external_id = %external_id, "could not record an ADM cancellation");
                    return store_failed(&e);
                }
            }
        }
        match orders.ingest(new).await {
            Ok(Ingested::Created(order)) => {
                let flags: Vec<&str> = order.flags().iter().map(|f| f.as_str()).collect();
                tracing::info!(order_id = %order.id(), external_id = %external_id, channel = %channel, flags = ?flags, "order received");
                WebhookReply {
                    created: Some(order.id()),
                    ..WebhookReply::new(200, created_body(&order).to_string())
                }
            }
            Ok(Ingested::Duplicate(existing)) => {
                tracing::info!(order_id = %existing, external_id = %external_id, "order already created");
                reply(409, &ALREADY_CREATED)
            }
            Err(IngestError::Invalid(e)) => {
                let title = if matches!(e, NewOrderError::NoLines) {
                    INVALID_SKU_OR_QUANTITY
                } else {
                    INVALID_ORDER
                };
                let message = format!("line_items: {e}");
                let answer = WebhookReply::new(400, error_body(title, &message).to_string());
                self.quarantined(body, &message, orders, answer).await
            }
            Err(e) => {
                tracing::error!(error = %e, external_id = %external_id, "could not store a webhook order");
                store_failed(&e)
            }
        }
    }
}

impl AdmWebhook {
    /// `orders/cancelled`: ADM cancelled an order (stored or not yet).
    async fn cancelled(&self, body: &[u8], orders: &OrderService) -> WebhookReply {
        let channel = &self.settings.channel;
        let (external_id, cancel) = match parse_cancellation(body, self.clock.now()) {
            Ok(parsed) => parsed,
            Err(rejection) => {
                tracing::info!(channel = %channel, error = rejection.error, reason = %rejection.message, "cancellation webhook rejected");
                let answer = WebhookReply::new(400, rejection.body().to_string());
                let error = format!("cancellation: {}", rejection.message);
                return self.quarantined(body, &error, orders, answer).await;
            }
        };
        match orders
            .marketplace_cancelled(channel, &external_id, &cancel)
            .await
        {
            Ok(outcome) => cancelled_reply(channel, &external_id, outcome),
            Err(e) => {
                tracing::error!(error = %e, external_id = %external_id, "could not record an ADM cancellation");
                store_failed(&e)
            }
        }
    }

    /// Keeps a body that could not be read in the quarantine before answering `answer` (the
    /// seed's 400); when it cannot be kept, answers 500 so that ADM sends it again.
    async fn quarantined(
        &self,
        body: &[u8],
        error: &str,
        orders: &OrderService,
        answer: WebhookReply,
    ) -> WebhookReply {
        let Some(quarantine) = orders.quarantine() else {
            return answer;
        };
        let channel = &self.settings.channel;
        match quarantine
            .keep(channel, external_id_of(body), body, error)
            .await
        {
            Ok((entry, new)) => {
                tracing::warn!(channel = %channel, inbound_id = %entry.id, new, seen = entry.seen, "unreadable order kept in quarantine");
                WebhookReply {
                    quarantined: Some(entry.id),
                    ..answer
                }
            }
            Err(e) => {
                tracing::error!(error = %e, channel = %channel, "could not keep an unreadable order in quarantine");
                store_failed(&e)
            }
        }
    }
}

/// The order id in a body that could not be read, when it has one: `id` as a string or an
/// integer at the top of a JSON object.
fn external_id_of(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let id = match value.get("id")? {
        serde_json::Value::String(id) => id.trim().to_owned(),
        serde_json::Value::Number(id) => id.to_string(),
        _ => return None,
    };
    CleanText::line(ExternalOrderId::MAX_LEN).clean(&id)
}

/// The 200 answer to a cancellation, logged.
fn cancelled_reply(
    channel: &ChannelId,
    external_id: &ExternalOrderId,
    outcome: MarketplaceCancelOutcome,
) -> WebhookReply {
    match outcome {
        MarketplaceCancelOutcome::Applied {
            order,
            cancelled,
            shipped,
        } => {
            tracing::info!(order_id = %order, channel = %channel, cancelled, shipped, "order cancelled by ADM");
        }
        MarketplaceCancelOutcome::Known(order) => {
            tracing::info!(order_id = %order, channel = %channel, "ADM cancellation already recorded");
        }
        MarketplaceCancelOutcome::Kept => {
            tracing::info!(external_id = %external_id, channel = %channel, "ADM cancelled an order not received yet; kept for its arrival");
        }
    }
    WebhookReply::new(200, cancelled_body(external_id).to_string())
}

/// The answer when the store failed: the seed's 500, or 503 with the same body when the store
/// could not be reached (design section 12; the HTTP layer adds `Retry-After`), so that ADM
/// sends it again later either way.
fn store_failed(error: &(dyn std::error::Error + 'static)) -> WebhookReply {
    if is_unavailable(error) {
        reply(503, &SERVER_ERROR)
    } else {
        reply(500, &SERVER_ERROR)
    }
}

fn reply(status: u16, text: &ErrorText) -> WebhookReply {
    WebhookReply::new(status, text.body().to_string())
}

#[async_trait]
impl Webhook for AdmWebhook {
    fn marketplace(&self) -> &str {
        "adm"
    }

    fn channel(&self) -> &ChannelId {
        &self.settings.channel
    }

    fn authenticate(&self, headers: &Headers) -> Result<(), WebhookReply> {
        let presented = headers.bearer().or_else(|| {
            self.auth
                .key_header
                .as_deref()
                .and_then(|name| headers.get(name))
        });
        let signed_only = self.auth.keys.is_empty() && self.auth.standard_webhooks.is_some();
        let keyed = presented.is_some_and(|key| self.auth.keys.accepts(key));
        if !keyed && !signed_only {
            return Err(reply(401, &UNAUTHORIZED));
        }
        if self.auth.standard_webhooks.is_some()
            && let Err(e) = SignedCall::read(headers, self.clock.now())
        {
            tracing::warn!(channel = %self.settings.channel, reason = %e, "webhook refused: Standard Webhooks headers");
            return Err(reply(401, &UNAUTHORIZED));
        }
        Ok(())
    }

    fn credential_headers(&self) -> Vec<String> {
        let mut names: Vec<String> = self.auth.key_header.iter().cloned().collect();
        names.push(self.auth.signature_header.clone());
        if self.auth.standard_webhooks.is_some() {
            names.push(SIGNATURE_HEADER.to_owned());
        }
        names
    }

    async fn receive(
        &self,
        event: &str,
        headers: &Headers,
        body: &[u8],
        orders: &OrderService,
    ) -> WebhookReply {
        if event != ORDERS && event != ORDERS_CANCELLED {
            let message = format!(
                "ADM has no webhook event `{event}` (only `{ORDERS}` and `{ORDERS_CANCELLED}`)"
            );
            return WebhookReply::new(404, error_body("Not Found", &message).to_string());
        }
        if !self.signed(headers, body) {
            tracing::warn!(channel = %self.settings.channel, "webhook signature missing or wrong");
            return reply(401, &UNAUTHORIZED);
        }
        let admitted = match self.admitted(headers, body, orders).await {
            Ok(admitted) => admitted,
            Err(answer) => return answer,
        };
        let answer = if event == ORDERS_CANCELLED {
            self.cancelled(body, orders).await
        } else {
            self.create(body, orders).await
        };
        // Failed here: ADM sends it again with the same id, which must then be taken.
        if answer.status >= 500
            && let Some(admitted) = admitted
            && let Err(e) = orders.signed_calls().failed(&admitted).await
        {
            tracing::error!(error = %e, channel = %self.settings.channel, "could not forget the webhook id of a failed call; its retry is refused until the id's window closes");
        }
        answer
    }

    fn reread(&self, body: &[u8]) -> Result<NewOrder, String> {
        parse_order(body, &self.settings, self.clock.now()).map_err(|rejection| rejection.message)
    }

    fn reread_cancellation(&self, body: &[u8]) -> Option<MarketplaceCancel> {
        parse_webhook(body, &self.settings, self.clock.now())
            .ok()
            .and_then(|(_, cancel)| cancel)
    }
}

/// Checks `signature` (base64 of HMAC-SHA256 over `body` with `secret`) in constant time.
#[must_use]
pub fn signature_matches(secret: &Secret, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The base64 HMAC-SHA256 signature of `body`, as ADM (or a test, or the sandbox) computes it.
#[must_use]
pub fn sign(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use orderbridge_domain::values::Secret;

    use super::{sign, signature_matches};

    #[test]
    fn a_signature_matches_only_its_body_and_secret() {
        let secret = Secret::new("whsec");
        let signature = sign("whsec", b"{\"a\":1}");
        assert!(signature_matches(&secret, b"{\"a\":1}", &signature));
        assert!(!signature_matches(&secret, b"{\"a\":2}", &signature));
        assert!(!signature_matches(
            &Secret::new("other"),
            b"{\"a\":1}",
            &signature
        ));
        assert!(!signature_matches(&secret, b"{\"a\":1}", "not base64!"));
    }
}
