//! The `OrderSource` port for FeedAMP: pages of v1 "get new orders", mapped to `NewOrder`s.
//!
//! The feed is a work queue: it lists orders not yet confirmed, so an order stays in it until
//! orderbridge has stored and confirmed it, and an order that cannot be mapped (and so is not
//! confirmed) stays too, to be read again.

use async_trait::async_trait;
use chrono::Utc;
use orderbridge_domain::order::NewOrder;
use orderbridge_domain::ports::source::{OrderSource, SourceError, SourcePage};
use orderbridge_domain::values::ChannelId;
use reqwest::{Method, Url};

use crate::api::Call;
use crate::client::FeedampClient;
use crate::error::classify;
use crate::inbound::{parse_page, reread_order};

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
    /// [`SourceError::Retry`] for 408, 429, 5xx, timeouts, connection errors and a body that
    /// broke off; [`SourceError::AuthFailed`] for refused credentials (after one token
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
        classify(&reply, api.client_id(), fetched_at).map_err(|e| e.into_source_error())?;
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
}
