//! Inbound quarantine rows: a stored row as an [`Inbound`], and the digest that keys a body.

use orderbridge_domain::inbound::{Inbound, InboundState};
use orderbridge_domain::ports::store::{InboundError, StoreError};
use orderbridge_domain::values::{ChannelId, InboundId, OrderId};
use sha2::{Digest, Sha256};

use crate::codec::{corrupt, count};
use crate::columns::Columns;

/// The `inbound` columns [`inbound`] reads.
pub const INBOUND_COLUMNS: &str = "id, channel, external_id, body, error, state, first_seen_at, \
     last_seen_at, seen, order_id, closed_at, erased_at";

/// The SHA-256 of a body: one body from one channel is kept once while rejected.
#[must_use]
pub fn digest(body: &[u8]) -> Vec<u8> {
    Sha256::digest(body).to_vec()
}

/// A stored `inbound` row.
///
/// # Errors
/// [`StoreError`] when the row is corrupt.
pub fn inbound(row: &impl Columns) -> Result<Inbound, StoreError> {
    Ok(Inbound {
        id: InboundId::from_uuid(row.uuid("id")?),
        channel: ChannelId::parse(&row.text("channel")?).map_err(corrupt("channel"))?,
        external_id: row.opt_text("external_id")?,
        body: row.bytes("body")?,
        error: row.text("error")?,
        state: InboundState::parse(&row.text("state")?).map_err(corrupt("state"))?,
        first_seen_at: row.time("first_seen_at")?,
        last_seen_at: row.time("last_seen_at")?,
        seen: count(row.int("seen")?, "seen")?,
        order_id: row.opt_uuid("order_id")?.map(OrderId::from_uuid),
        closed_at: row.opt_time("closed_at")?,
        erased_at: row.opt_time("erased_at")?,
    })
}

/// Why closing or retrying an entry changed nothing: it is in `state`, or (`None`) there is
/// no such entry.
#[must_use]
pub fn not_open(id: InboundId, found: Option<InboundState>) -> InboundError {
    match found {
        Some(state) => InboundError::Closed { id, state },
        None => InboundError::NotFound(id),
    }
}
