//! Early marketplace cancellations: a stored `marketplace_cancellations` row as a
//! [`MarketplaceCancel`].

use orderbridge_domain::order::MarketplaceCancel;
use orderbridge_domain::ports::store::StoreError;

use crate::codec::cancel_reason;
use crate::columns::Columns;

/// The `marketplace_cancellations` columns [`early_cancellation`] reads.
pub const EARLY_CANCELLATION_COLUMNS: &str = "reason, note, cancelled_at";

/// A stored `marketplace_cancellations` row.
///
/// # Errors
/// [`StoreError`] when the row is corrupt.
pub fn early_cancellation(row: &impl Columns) -> Result<MarketplaceCancel, StoreError> {
    Ok(MarketplaceCancel {
        reason: cancel_reason(&row.text("reason")?)?,
        note: row.opt_text("note")?,
        at: row.time("cancelled_at")?,
    })
}
