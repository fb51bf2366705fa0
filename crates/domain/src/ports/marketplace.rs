//! The `Marketplace` port: what one channel can be told, and how each call ended.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};

use crate::order::{Cancellation, Fulfillment, Order, Refund};
use crate::values::{CleanText, DeliveryId, LineNo};

/// How a channel takes shipments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FulfillmentMode {
    /// One call per package, as it ships (ADM).
    PerShipment,
    /// One call for the whole order once every unit is shipped or cancelled, replacing what the
    /// marketplace held (FeedAMP v1).
    WholeOrder,
}

/// How a channel takes cancellations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancellationSupport {
    /// It has no endpoint for them: they are recorded and noted, not sent.
    None,
    /// One call per cancellation.
    PerCancellation,
    /// They travel inside the whole-order fulfillment call.
    InWholeOrderFulfillment,
}

/// How a channel takes refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundSupport {
    /// It has no endpoint for them: they are recorded and noted, not sent.
    None,
    /// One call per refund, all lines together.
    PerRefund,
    /// One call per refunded order line, each with its own stable refund number (FeedAMP).
    PerLine,
}

/// What a channel can do, declared by its adapter. The outbox policy queues deliveries from
/// this, and the services enforce its requirements on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Whether received orders are confirmed back.
    pub confirms_orders: bool,
    /// How shipments are sent.
    pub fulfillment: FulfillmentMode,
    /// How cancellations are sent.
    pub cancellations: CancellationSupport,
    /// How refunds are sent.
    pub refunds: RefundSupport,
    /// Whether every shipment must name its carrier.
    pub requires_carrier: bool,
}

/// How one call to a marketplace ended, classified by the adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The marketplace has it.
    Delivered {
        /// The marketplace's reference for it, if it gave one.
        remote_ref: Option<String>,
    },
    /// A passing failure (timeout, connection error, 408, 429, 5xx): try again later.
    Retry {
        /// What went wrong.
        reason: String,
        /// How long the marketplace asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
    },
    /// The marketplace refused it for good (400, 404, 422): park it for an operator.
    Rejected {
        /// The marketplace's own message.
        reason: String,
    },
    /// Credentials were refused even after a refresh (401 with a fresh token, 403): a
    /// configuration problem.
    AuthFailed {
        /// What the marketplace said.
        reason: String,
    },
}

impl Outcome {
    /// How a marketplace's reference is kept (design section 12): one line of at most 255
    /// characters.
    pub const REFERENCE: CleanText = CleanText::line(255);
    /// How a reason is kept: one line of at most 1000 characters.
    pub const REASON: CleanText = CleanText::line(1_000);

    /// The outcome with its text made fit to store (design section 12): the reference and the
    /// reason cleaned by [`Outcome::REFERENCE`] and [`Outcome::REASON`]. The dispatcher
    /// records nothing else, whatever the adapter left in them.
    #[must_use]
    pub fn cleaned(self) -> Self {
        let reason = |reason: String| {
            Self::REASON
                .clean(&reason)
                .unwrap_or_else(|| "the marketplace gave no reason".to_owned())
        };
        match self {
            Self::Delivered { remote_ref } => Self::Delivered {
                remote_ref: Self::REFERENCE.clean_opt(remote_ref.as_deref()),
            },
            Self::Retry {
                reason: text,
                retry_after,
            } => Self::Retry {
                reason: reason(text),
                retry_after,
            },
            Self::Rejected { reason: text } => Self::Rejected {
                reason: reason(text),
            },
            Self::AuthFailed { reason: text } => Self::AuthFailed {
                reason: reason(text),
            },
        }
    }

    /// The outcome for a call this channel does not support.
    #[must_use]
    pub fn unsupported(what: &str) -> Self {
        Self::Rejected {
            reason: format!("this channel has no endpoint for {what}"),
        }
    }
}

/// One marketplace channel's outbound calls. Every call is made with the order's full current
/// state, so that a retried call sends what is true now. Implementations classify every
/// failure into an [`Outcome`] and never panic; they carry their own timeouts and rate limits.
///
/// Every call takes `key` last: the delivery's id, the same on every attempt of one delivery,
/// sent as `Idempotency-Key` so that a marketplace honouring it can drop a re-send.
///
/// The default bodies answer [`Outcome::Rejected`] for calls the channel does not declare in
/// its [`Capabilities`].
#[cfg_attr(feature = "mocks", mockall::automock)]
#[async_trait]
pub trait Marketplace: Send + Sync + std::fmt::Debug {
    /// What this channel can do.
    fn capabilities(&self) -> Capabilities;

    /// The longest one call to this marketplace may take (its whole-request timeout). The
    /// dispatcher's lease must be at least this long, so that a single call never depends on
    /// more than the renewals a lease gets while it runs (checked at start-up).
    fn call_timeout(&self) -> Duration;

    /// Tells the marketplace orderbridge has the order. `key` is the delivery's id, sent as
    /// `Idempotency-Key` so that a marketplace honouring it can drop a re-send.
    async fn confirm(&self, order: &Order, key: DeliveryId) -> Outcome {
        let _ = (order, key);
        Outcome::unsupported("confirmations")
    }

    /// Sends one shipment (per-shipment channels). `key` is the delivery's id, sent as
    /// `Idempotency-Key` so that a marketplace honouring it can drop a re-send.
    async fn send_fulfillment(
        &self,
        order: &Order,
        fulfillment: &Fulfillment,
        key: DeliveryId,
    ) -> Outcome {
        let _ = (order, fulfillment, key);
        Outcome::unsupported("per-shipment fulfillments")
    }

    /// Sends every shipment and cancellation of a complete order in one call (whole-order
    /// channels). Built from the order's state at call time, so a retry is harmless. `key` is
    /// the delivery's id, sent as `Idempotency-Key` so that a marketplace honouring it can drop
    /// a re-send.
    async fn send_order_fulfillment(&self, order: &Order, key: DeliveryId) -> Outcome {
        let _ = (order, key);
        Outcome::unsupported("whole-order fulfillments")
    }

    /// Sends one cancellation (channels with a cancellation endpoint). `key` is the delivery's
    /// id, sent as `Idempotency-Key` so that a marketplace honouring it can drop a re-send.
    async fn send_cancellation(
        &self,
        order: &Order,
        cancellation: &Cancellation,
        key: DeliveryId,
    ) -> Outcome {
        let _ = (order, cancellation, key);
        Outcome::unsupported("cancellations")
    }

    /// Sends a refund; `line` names the refund line for channels that take one line per call.
    /// `key` is the delivery's id, sent as `Idempotency-Key` so that a marketplace honouring it
    /// can drop a re-send.
    async fn send_refund(
        &self,
        order: &Order,
        refund: &Refund,
        line: Option<LineNo>,
        key: DeliveryId,
    ) -> Outcome {
        let _ = (order, refund, line, key);
        Outcome::unsupported("refunds")
    }
}

/// A `Retry-After` header as a delay: whole seconds, or an HTTP date (IMF-fixdate, RFC 850 or
/// asctime form) measured from `now`; a date in the past is no wait at all. Shared by every
/// adapter so that all honour it alike.
#[must_use]
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok().map(Duration::from_secs);
    }
    let at = DateTime::parse_from_rfc2822(value)
        .map(|time| time.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(value, "%A, %d-%b-%y %H:%M:%S GMT").map(|t| t.and_utc())
        })
        .or_else(|_| {
            NaiveDateTime::parse_from_str(value, "%a %b %e %H:%M:%S %Y").map(|t| t.and_utc())
        })
        .ok()?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// A marketplace's text made fit for an [`Outcome`] reason: cleaned as one line
/// ([`CleanText::line`]: control characters out), runs of whitespace collapsed, cut to `max`
/// characters (with `…`).
#[must_use]
pub fn clip_reason(text: &str, max: usize) -> String {
    let line = CleanText::line(usize::MAX).clean(text).unwrap_or_default();
    let words: Vec<&str> = line.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= max {
        joined
    } else {
        let mut cut: String = joined.chars().take(max).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::{DateTime, Utc};

    use super::{Outcome, clip_reason, retry_after};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn retry_after_takes_seconds_or_an_http_date() {
        assert_eq!(retry_after("7", now()), Some(Duration::from_secs(7)));
        for value in [
            "Wed, 21 Oct 2015 07:30:00 GMT",
            "Wednesday, 21-Oct-15 07:30:00 GMT",
            "Wed Oct 21 07:30:00 2015",
        ] {
            assert_eq!(
                retry_after(value, now()),
                Some(Duration::from_secs(120)),
                "{value}"
            );
        }
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now()), None);
        assert_eq!(retry_after("-5", now()), None);
    }

    #[test]
    fn reasons_are_one_line_and_bounded() {
        assert_eq!(clip_reason(" a\n\tb   c ", 10), "a b c");
        assert_eq!(clip_reason("abcdef", 3), "abc…");
        assert_eq!(clip_reason("x\u{0}y\u{1b}[0m", 10), "xy[0m");
    }

    #[test]
    fn a_cleaned_outcome_holds_no_control_characters_and_is_bounded() {
        let long = "r\u{0}".repeat(2_000);
        let cleaned = Outcome::Rejected { reason: long }.cleaned();
        let Outcome::Rejected { reason } = cleaned else {
            panic!("still rejected");
        };
        assert_eq!(reason.chars().count(), Outcome::REASON.max());
        assert!(!reason.contains(char::from(0)));
        let delivered = Outcome::Delivered {
            remote_ref: Some("\u{0}REF\u{7}-1 ".to_owned()),
        };
        assert_eq!(
            delivered.cleaned(),
            Outcome::Delivered {
                remote_ref: Some("REF-1".to_owned())
            }
        );
        let blank = Outcome::Delivered {
            remote_ref: Some("\u{0}".to_owned()),
        };
        assert_eq!(blank.cleaned(), Outcome::Delivered { remote_ref: None });
        let silent = Outcome::AuthFailed {
            reason: "\u{1}".to_owned(),
        };
        assert!(matches!(silent.cleaned(), Outcome::AuthFailed { reason } if !reason.is_empty()));
    }
}
