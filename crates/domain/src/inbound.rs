//! The inbound quarantine (design section 11): a webhook body or polled order that could not be
//! turned into an order is kept whole, with its channel, the external id when one was found and
//! the error, so that nothing a marketplace sends is lost. Operators list, replay (parse again
//! with the current code and settings) or discard the entries. One body arriving again while
//! its entry is still rejected is stored once and counted.

use chrono::{DateTime, Utc};

use crate::values::{ChannelId, InboundId, InvalidValue, OrderId};

/// Where a quarantined entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboundState {
    /// It could not be read; waiting for an operator.
    Rejected,
    /// Replayed into an order.
    Replayed,
    /// Discarded by an operator.
    Discarded,
}

impl InboundState {
    /// Every state.
    pub const ALL: [Self; 3] = [Self::Rejected, Self::Replayed, Self::Discarded];

    /// The snake-case name used in storage and the API.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::Replayed => "replayed",
            Self::Discarded => "discarded",
        }
    }

    /// Parses a name written by [`InboundState::as_str`].
    ///
    /// # Errors
    /// [`InvalidValue::Malformed`] naming `state` otherwise.
    pub fn parse(raw: &str) -> Result<Self, InvalidValue> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or(InvalidValue::Malformed {
                what: "state",
                expected: "one of rejected, replayed, discarded",
            })
    }
}

/// An inbound body that could not be read, to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInbound {
    /// Its id, when it is new.
    pub id: InboundId,
    /// The channel account it came from.
    pub channel: ChannelId,
    /// The marketplace's order id, when one could be found in it.
    pub external_id: Option<String>,
    /// The bytes as received.
    pub body: Vec<u8>,
    /// Why it could not be read.
    pub error: String,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// A quarantined entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// Its id.
    pub id: InboundId,
    /// The channel account it came from.
    pub channel: ChannelId,
    /// The marketplace's order id, when one could be found.
    pub external_id: Option<String>,
    /// The bytes as received.
    pub body: Vec<u8>,
    /// Why it could not be read (the last try's reason).
    pub error: String,
    /// Where it stands.
    pub state: InboundState,
    /// When it first arrived.
    pub first_seen_at: DateTime<Utc>,
    /// When it last arrived.
    pub last_seen_at: DateTime<Utc>,
    /// How many times it arrived.
    pub seen: u32,
    /// The order it was replayed into.
    pub order_id: Option<OrderId>,
    /// When it was replayed or discarded.
    pub closed_at: Option<DateTime<Utc>>,
    /// When its body was erased under `retention.days` (the body is then empty).
    pub erased_at: Option<DateTime<Utc>>,
}

/// Which entries to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundQuery {
    /// Only this state.
    pub state: Option<InboundState>,
    /// Only this channel.
    pub channel: Option<ChannelId>,
    /// Start after this entry (keyset).
    pub after: Option<InboundId>,
    /// At most this many.
    pub limit: u32,
}
