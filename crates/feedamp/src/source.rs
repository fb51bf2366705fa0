//! The `OrderSource` port for FeedAMP: pages of v1 "get new orders", mapped to `NewOrder`s,
//! and v1 "get order by id", read for one order's hold and cancellation (`state.rs`).
//!
//! The feed is a work queue: it lists orders not yet confirmed, so an order stays in it until
//! orderbridge has stored and confirmed it, and an order that cannot be mapped (and so is not
//! confirmed) stays too, to be read again. Both calls go through the account's one transport:
//! the same token, the same request spacing, the same classification of answers, except that
//! a 429 is [`SourceError::RateLimited`], so that a state check stops at once.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use orderbridge_domain::order::NewOrder;
use orderbridge_domain::ports::source::{OrderSource, SourceError, SourcePage, StateRead};
use orderbridge_domain::values::{ChannelId, ExternalOrderId};
use reqwest::{Method, StatusCode, Url};

use crate::api::Call;
use crate::client::FeedampClient;
use crate::error::{CallError, Reply, classify};
use crate::inbound::{parse_page, reread_order};
use crate::state::read_state;

/// `Ok` for a 2xx answer, else the port's error: a 429 is [`SourceError::RateLimited`], the
/// rest as every FeedAMP call classifies it.
fn source_outcome(reply: &Reply, client_id: &str, now: DateTime<Utc>) -> Result<(), SourceError> {
    classify(reply, client_id, now).map_err(|error| match error {
        CallError::Retry {
            reason,
            retry_after,
        } if reply.status == StatusCode::TOO_MANY_REQUESTS => SourceError::RateLimited {
            reason,
            retry_after,
        },
        other => other.into_source_error(),
    })
}

impl FeedampClient {
    /// `<new_orders_path>?limit=<page_limit>&include_raw=false[&cursor=<cursor>]`.
    fn page_url(&self, cursor: Option<&str>) -> Url {
        let mut url = self.inner.new_orders_url.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &self.inner.page_limit.to_string());
            query.append_pair("include_raw", "false");
            if let Some(cursor) = cursor {
                query.append_pair("cursor", cursor);
            }
        }
        url
    }
}

#[async_trait]
impl OrderSource for FeedampClient {
    fn channel(&self) -> &ChannelId {
        &self.inner.channel
    }

    /// Fetches one page. Each order maps on its own: one that cannot be mapped comes back as
    /// an `Err` naming the field, and the others still map. The next cursor is `None` when
    /// FeedAMP's is null, blank or missing, or when it repeats the cursor just sent (which
    /// would otherwise make a poller loop on one page).
    ///
    /// # Errors
    /// [`SourceError::RateLimited`] for 429; [`SourceError::Retry`] for 408, 5xx, timeouts,
    /// connection errors and a body that broke off; [`SourceError::AuthFailed`] for refused credentials (after one token
    /// refresh) or a refused client id; [`SourceError::Rejected`] for other answers and for a
    /// body that is not the documented page.
    async fn fetch_page(&self, cursor: Option<String>) -> Result<SourcePage, SourceError> {
        let cursor = cursor.filter(|c| !c.trim().is_empty());
        let call = Call {
            method: Method::GET,
            url: self.page_url(cursor.as_deref()),
            body: None,
            idempotency_key: None,
        };
        let api = &self.inner.api;
        let reply = api.call(&call).await.map_err(|e| e.into_source_error())?;
        let fetched_at = Utc::now();
        source_outcome(&reply, api.client_id(), fetched_at)?;
        if !reply.complete {
            return Err(SourceError::Retry {
                reason: "the new-orders page broke off before its end (or passed 32 MiB; \
                         lower page_limit if this persists)"
                    .to_owned(),
                retry_after: None,
            });
        }
        let (orders, next) = parse_page(&reply.body, &self.inner.channel, fetched_at)
            .map_err(|reason| SourceError::Rejected { reason })?;
        let next_cursor = match next {
            Some(next) if cursor.as_deref() == Some(next.as_str()) => {
                tracing::warn!(
                    channel = %self.inner.channel,
                    "FeedAMP answered with the cursor it was sent; treating the page as the last"
                );
                None
            }
            other => other,
        };
        for order in &orders {
            if let Err(reason) = &order.order {
                tracing::warn!(
                    channel = %self.inner.channel,
                    order_id = order.external_id.as_ref().map(|id| id.as_str()),
                    reason,
                    "a FeedAMP order cannot be mapped; it stays in FeedAMP's feed and is kept in quarantine"
                );
            }
        }
        tracing::debug!(
            channel = %self.inner.channel,
            orders = orders.len(),
            last = next_cursor.is_none(),
            "FeedAMP new-orders page fetched"
        );
        Ok(SourcePage {
            orders,
            next_cursor,
        })
    }

    /// Maps a kept order's text again with the current code and settings, as received now.
    fn reread(&self, raw: &[u8]) -> Result<NewOrder, String> {
        reread_order(raw, &self.inner.channel, Utc::now())
    }

    /// `GET /api/v1/orders/{id}`, read for the order's hold (`paused`) and a cancellation at
    /// the marketplace (`state` or `marketplace_state` `CANCELLED`); see `state.rs` for what is
    /// inferred. A 404 is [`StateRead::NotFound`].
    ///
    /// # Errors
    /// As for a page: [`SourceError::RateLimited`] for 429, [`SourceError::Retry`] for other
    /// passing failures, [`SourceError::AuthFailed`], and [`SourceError::Rejected`] for other
    /// answers and for a body that holds no readable order.
    async fn order_state(&self, id: &ExternalOrderId) -> Result<StateRead, SourceError> {
        let url = self
            .order_url(id, None)
            .map_err(CallError::into_source_error)?;
        let call = Call {
            method: Method::GET,
            url,
            body: None,
            idempotency_key: None,
        };
        let api = &self.inner.api;
        let reply = api.call(&call).await.map_err(|e| e.into_source_error())?;
        let read_at = Utc::now();
        if reply.status == StatusCode::NOT_FOUND {
            tracing::debug!(
                channel = %self.inner.channel,
                order_id = id.as_str(),
                "FeedAMP does not know the order (404)"
            );
            return Ok(StateRead::NotFound);
        }
        source_outcome(&reply, api.client_id(), read_at)?;
        if !reply.complete {
            return Err(SourceError::Retry {
                reason: "the order answer broke off before its end".to_owned(),
                retry_after: None,
            });
        }
        let state = read_state(&reply.body, id, read_at)
            .map_err(|reason| SourceError::Rejected { reason })?;
        tracing::debug!(
            channel = %self.inner.channel,
            order_id = id.as_str(),
            on_hold = state.on_hold,
            cancelled = state.cancelled.is_some(),
            "FeedAMP order state read"
        );
        Ok(StateRead::Known(state))
    }
}
