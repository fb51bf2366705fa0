//! `FeedampClient`: one FeedAMP account. It implements the `Marketplace` port here (confirm,
//! whole-order fulfil, one-line refunds, each with the delivery's id as `Idempotency-Key`) and
//! the `OrderSource` port in `source.rs` (the new-orders feed and the re-read of one order's
//! state); clones share one token cache and one request spacing.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use orderbridge_domain::order::{Order, Refund};
use orderbridge_domain::ports::marketplace::{
    CancellationSupport, Capabilities, FulfillmentMode, Marketplace, Outcome, RefundSupport,
};
use orderbridge_domain::values::{ChannelId, DeliveryId, ExternalOrderId, LineNo};
use reqwest::{Method, StatusCode, Url};

use crate::api::{Api, Call};
use crate::config::{FeedampConfig, FeedampConfigError};
use crate::error::{CallError, Reply, classify};
use crate::model::{fulfil_body, refund_body, response_json, text_at};

/// The FeedAMP v1 adapter of the [`Marketplace`] and
/// [`OrderSource`](orderbridge_domain::ports::source::OrderSource) ports. Cheap to clone;
/// clones share the token and the request spacing, so build one per FeedAMP account.
#[derive(Clone)]
pub struct FeedampClient {
    pub(crate) inner: Arc<Inner>,
}

/// What every clone shares.
pub(crate) struct Inner {
    pub(crate) api: Api,
    pub(crate) channel: ChannelId,
    base: Url,
    pub(crate) new_orders_url: Url,
    pub(crate) page_limit: u32,
    default_carrier: Option<String>,
}

impl std::fmt::Debug for FeedampClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedampClient")
            .field("channel", &self.inner.channel)
            .field("base_url", &self.inner.base.as_str())
            .field("client_id", &self.inner.api.client_id())
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl FeedampClient {
    /// Builds the client: checks every setting, sets the timeouts and the request spacing.
    /// No call is made; the first call fetches the token. Redirects are not followed (a 3xx
    /// is a rejection: FeedAMP documents none).
    ///
    /// # Errors
    /// [`FeedampConfigError`] naming the setting at fault (never showing the password).
    pub fn new(config: FeedampConfig) -> Result<Self, FeedampConfigError> {
        let api = Api::new(&config)?;
        let base = config.base()?;
        let new_orders_url = config.url(&config.new_orders_path, "new_orders_path")?;
        Ok(Self {
            inner: Arc::new(Inner {
                api,
                channel: config.channel,
                base,
                new_orders_url,
                page_limit: config.page_limit,
                default_carrier: config.default_carrier.map(|c| c.trim().to_owned()),
            }),
        })
    }

    /// `<base>/api/v1/orders/<id>/<action>` (`<base>/api/v1/orders/<id>` for `None`), the id
    /// as one path segment.
    pub(crate) fn order_url(
        &self,
        id: &ExternalOrderId,
        action: Option<&str>,
    ) -> Result<Url, CallError> {
        let mut url = self.inner.base.clone();
        url.path_segments_mut()
            .map_err(|()| CallError::rejected("the FeedAMP base URL cannot take a path"))?
            .pop_if_empty()
            .extend(["api", "v1", "orders", id.as_str()])
            .extend(action);
        Ok(url)
    }

    /// Makes a call and classifies the answer; `remote_ref` picks the reference out of a 2xx
    /// body.
    async fn deliver(&self, call: Call, remote_ref: fn(&Reply) -> Option<String>) -> Outcome {
        let reply = match self.inner.api.call(&call).await {
            Ok(reply) => reply,
            Err(error) => return error.into_outcome(),
        };
        match classify(&reply, self.inner.api.client_id(), Utc::now()) {
            Ok(()) => Outcome::Delivered {
                remote_ref: remote_ref(&reply).and_then(|r| Outcome::REFERENCE.clean(&r)),
            },
            Err(error) => error.into_outcome(),
        }
    }

    /// Sends one refund line as an attempt of delivery `key`; see
    /// [`Marketplace::send_refund`].
    async fn post_refund(
        &self,
        order: &Order,
        refund: &Refund,
        line: Option<LineNo>,
        key: DeliveryId,
    ) -> Outcome {
        // FeedAMP takes one line per call; a refund of a single line may leave it unnamed.
        let line = match (line, refund.lines()) {
            (Some(line), _) => line,
            (None, [only]) => only.line,
            (None, _) => {
                return Outcome::Rejected {
                    reason: "FeedAMP takes refunds one order line per call; no line was named"
                        .to_owned(),
                };
            }
        };
        let call = refund_body(order, refund, line)
            .and_then(|body| serde_json::to_vec(&body).map_err(|e| e.to_string()))
            .map_err(CallError::rejected)
            .and_then(|body| {
                Ok(Call {
                    method: Method::POST,
                    url: self.order_url(order.external_id(), Some("refund"))?,
                    body: Some(body),
                    idempotency_key: Some(key),
                })
            });
        let call = match call {
            Ok(call) => call,
            Err(error) => return error.into_outcome(),
        };
        let reply = match self.inner.api.call(&call).await {
            Ok(reply) => reply,
            Err(error) => return error.into_outcome(),
        };
        if is_duplicate_refund(&reply) {
            tracing::info!(
                order_id = %order.external_id(),
                refund_number = %refund.number_for_line(line),
                "FeedAMP already has this refund line; counted as delivered"
            );
            return Outcome::Delivered { remote_ref: None };
        }
        match classify(&reply, self.inner.api.client_id(), Utc::now()) {
            Ok(()) => Outcome::Delivered {
                remote_ref: text_at(&response_json(&reply.body), &["id"])
                    .and_then(|r| Outcome::REFERENCE.clean(&r)),
            },
            Err(error) => error.into_outcome(),
        }
    }
}

/// Whether a refund answer says FeedAMP already holds this refund number: a 400 or 409 whose
/// body contains "duplicate" or "already" in any case. FeedAMP documents no error format; v2
/// says `cp_refund_number` must be unique across posted refunds, so a repeat after a lost
/// answer is refused, and that refusal means the refund is there. The heuristic could also
/// match a differently worded refusal ("already fully refunded"); it errs on the side of
/// never posting a refund line twice.
fn is_duplicate_refund(reply: &Reply) -> bool {
    matches!(reply.status, StatusCode::BAD_REQUEST | StatusCode::CONFLICT) && {
        let text = String::from_utf8_lossy(&reply.body).to_lowercase();
        text.contains("duplicate") || text.contains("already")
    }
}

/// Logs how a call ended, with the order's FeedAMP id and no customer data.
fn log_outcome(what: &'static str, order: &Order, outcome: &Outcome) {
    let order_id = order.external_id().as_str();
    match outcome {
        Outcome::Delivered { .. } => tracing::debug!(order_id, what, "delivered to FeedAMP"),
        Outcome::Retry { reason, .. } => {
            tracing::debug!(order_id, what, reason, "FeedAMP call to be retried");
        }
        Outcome::Rejected { reason } => {
            tracing::warn!(order_id, what, reason, "FeedAMP rejected a call");
        }
        Outcome::AuthFailed { reason } => {
            tracing::warn!(order_id, what, reason, "FeedAMP refused the credentials");
        }
    }
}

#[async_trait]
impl Marketplace for FeedampClient {
    fn call_timeout(&self) -> std::time::Duration {
        self.inner.api.request_timeout()
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            confirms_orders: true,
            fulfillment: FulfillmentMode::WholeOrder,
            cancellations: CancellationSupport::InWholeOrderFulfillment,
            refunds: RefundSupport::PerLine,
            // FeedAMP needs a carrier on every shipment; with a default carrier configured,
            // shipments recorded without one take it at send time.
            requires_carrier: self.inner.default_carrier.is_none(),
        }
    }

    /// `PUT /api/v1/orders/{id}/confirm` with no body; the remote reference is the
    /// `cp_order_number` FeedAMP answers with, if any.
    async fn confirm(&self, order: &Order, key: DeliveryId) -> Outcome {
        let outcome = match self.order_url(order.external_id(), Some("confirm")) {
            Ok(url) => {
                let call = Call {
                    method: Method::PUT,
                    url,
                    body: None,
                    idempotency_key: Some(key),
                };
                self.deliver(call, |reply| {
                    text_at(&response_json(&reply.body), &["order", "cp_order_number"])
                })
                .await
            }
            Err(error) => error.into_outcome(),
        };
        log_outcome("confirmation", order, &outcome);
        outcome
    }

    /// `PUT /api/v1/orders/{id}/fulfill` with every line's shipments and cancellations, built
    /// from the order as it is now (a retry sends the same full state; FeedAMP replaces what
    /// it held). FeedAMP locks the order once every unit is accounted for, so a later change
    /// is refused and parked.
    async fn send_order_fulfillment(&self, order: &Order, key: DeliveryId) -> Outcome {
        let call = fulfil_body(order, self.inner.default_carrier.as_deref())
            .and_then(|body| serde_json::to_vec(&body).map_err(|e| e.to_string()))
            .map_err(CallError::rejected)
            .and_then(|body| {
                Ok(Call {
                    method: Method::PUT,
                    url: self.order_url(order.external_id(), Some("fulfill"))?,
                    body: Some(body),
                    idempotency_key: Some(key),
                })
            });
        let outcome = match call {
            Ok(call) => self.deliver(call, |_| None).await,
            Err(error) => error.into_outcome(),
        };
        log_outcome("fulfillment", order, &outcome);
        outcome
    }

    /// `POST /api/v1/orders/{id}/refund` for one line, under the refund's stable number for
    /// that line. `201` (or any 2xx) is delivered with FeedAMP's refund `id`; a refusal saying
    /// the number is a duplicate is delivered too (the line reached FeedAMP before).
    async fn send_refund(
        &self,
        order: &Order,
        refund: &Refund,
        line: Option<LineNo>,
        key: DeliveryId,
    ) -> Outcome {
        let outcome = self.post_refund(order, refund, line, key).await;
        log_outcome("refund", order, &outcome);
        outcome
    }
}

#[cfg(test)]
mod tests {
    use reqwest::StatusCode;

    use super::is_duplicate_refund;
    use crate::error::Reply;

    fn reply(status: StatusCode, body: &str) -> Reply {
        Reply {
            status,
            retry_after: None,
            body: body.as_bytes().to_vec(),
            complete: true,
        }
    }

    #[test]
    fn a_refusal_naming_a_duplicate_refund_number_means_it_is_there() {
        for body in [
            r#"{"error": "Duplicate cp_refund_number"}"#,
            r#"{"message": "Refund number ALREADY exists"}"#,
        ] {
            assert!(
                is_duplicate_refund(&reply(StatusCode::BAD_REQUEST, body)),
                "{body}"
            );
            assert!(
                is_duplicate_refund(&reply(StatusCode::CONFLICT, body)),
                "{body}"
            );
        }
    }

    #[test]
    fn other_refusals_and_other_statuses_are_not_duplicates() {
        assert!(!is_duplicate_refund(&reply(
            StatusCode::BAD_REQUEST,
            r#"{"error": "refund_quantity exceeds the line"}"#
        )));
        assert!(!is_duplicate_refund(&reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            "duplicate"
        )));
        assert!(!is_duplicate_refund(&reply(
            StatusCode::NOT_FOUND,
            "already"
        )));
    }
}
