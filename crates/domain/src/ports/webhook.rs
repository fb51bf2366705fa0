//! The webhook port: how a marketplace that pushes orders receives them. The HTTP layer routes
//! `POST /webhooks/{marketplace}/{channel}/{event}` (and `/webhooks/{marketplace}/{event}` when
//! the marketplace has one account) to the [`Webhook`] registered for that channel account; the
//! marketplace's crate authenticates the call, reads its own JSON, ingests through the
//! [`OrderService`] and answers in its own words. The HTTP layer limits the body's size and
//! checks that it is JSON before [`Webhook::receive`] sees it.

use async_trait::async_trait;

use crate::order::{MarketplaceCancel, NewOrder};
use crate::services::OrderService;
use crate::values::{ChannelId, InboundId, OrderId};

/// A request's headers. `Debug` shows their names only: values may be credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// The headers, by name and value.
    #[must_use]
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    /// The first value of the header `name` (any case), trimmed.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// The token of `Authorization: Bearer <token>`.
    #[must_use]
    pub fn bearer(&self) -> Option<&str> {
        let (scheme, token) = self.get("authorization")?.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }
}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

/// A webhook's answer: a status and a JSON body in the marketplace's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
    /// The order the call stored for the first time, if any (for metrics).
    pub created: Option<OrderId>,
    /// The quarantine entry the body was kept in, when it could not be read (for metrics).
    pub quarantined: Option<InboundId>,
}

impl WebhookReply {
    /// An answer that stored nothing.
    #[must_use]
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            created: None,
            quarantined: None,
        }
    }
}

/// One channel account's inbound webhook.
#[async_trait]
pub trait Webhook: Send + Sync + std::fmt::Debug {
    /// The marketplace's name in webhook paths (`adm` in `/webhooks/adm/...`): lowercase
    /// letters, digits and `-`.
    fn marketplace(&self) -> &str;

    /// The channel account whose orders arrive here.
    fn channel(&self) -> &ChannelId;

    /// Checks the caller's credentials from the headers alone, before the body is read, so
    /// that a stranger learns nothing more.
    ///
    /// # Errors
    /// The answer to give instead (the marketplace's own 401).
    fn authenticate(&self, headers: &Headers) -> Result<(), WebhookReply>;

    /// Reads again a body this webhook once could not read (a quarantined entry), with the
    /// current code and settings: the order it now reads as, or why it still cannot be read.
    /// The default cannot: override it to let operators replay this marketplace's bodies.
    ///
    /// # Errors
    /// Why the body does not read as an order.
    fn reread(&self, body: &[u8]) -> Result<NewOrder, String> {
        let _ = body;
        Err(format!(
            "the {} webhook cannot read its bodies again",
            self.marketplace()
        ))
    }

    /// The cancellation a body [`Webhook::reread`] reads also states, if any (a marketplace
    /// order sent already cancelled); a replay applies it. The default: none.
    fn reread_cancellation(&self, body: &[u8]) -> Option<MarketplaceCancel> {
        let _ = body;
        None
    }

    /// Handles one authenticated call for `event` (the path below the account's webhook root,
    /// such as `orders`): checks what else the marketplace signs, reads the body, ingests
    /// through `orders` and answers. An unknown event is answered 404.
    async fn receive(
        &self,
        event: &str,
        headers: &Headers,
        body: &[u8],
        orders: &OrderService,
    ) -> WebhookReply;
}
