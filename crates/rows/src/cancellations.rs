//! Early marketplace cancellations (the `EarlyCancellations` port), written once over a
//! store's [`Statements`] and its three statements ([`CancellationSql`]).

use chrono::{DateTime, Utc};
use orderbridge_domain::order::MarketplaceCancel;
use orderbridge_domain::ports::store::StoreError;
use orderbridge_domain::values::{ChannelId, ExternalOrderId};

use crate::codec::cancel_reason;
use crate::columns::Columns;
use crate::statement::{Arg, Statements};

/// A store's statements over `marketplace_cancellations`, one row per order not stored yet.
pub trait CancellationSql {
    /// Keeps a cancellation, replacing one kept for the same order; binds channel, external
    /// id, reason, note, cancelled at, received at.
    const KEEP: &'static str;
    /// The columns `reason`, `note` and `cancelled_at` of the order's row; binds channel and
    /// external id.
    const KEPT: &'static str;
    /// Deletes the order's row; binds channel and external id.
    const FORGET: &'static str;
}

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

/// `EarlyCancellations::keep_cancellation`.
///
/// # Errors
/// [`StoreError`] for storage failures.
pub async fn keep<S: Statements + CancellationSql>(
    store: &S,
    channel: &ChannelId,
    external_id: &ExternalOrderId,
    cancel: &MarketplaceCancel,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let args = [
        Arg::Text(channel.as_str()),
        Arg::Text(external_id.as_str()),
        Arg::Text(cancel.reason.as_str()),
        Arg::OptText(cancel.note.as_deref()),
        Arg::Time(cancel.at),
        Arg::Time(now),
    ];
    store
        .write(S::KEEP, &args, "keep a marketplace cancellation")
        .await?;
    Ok(())
}

/// `EarlyCancellations::kept_cancellation`.
///
/// # Errors
/// [`StoreError`] for storage failures or a corrupt row.
pub async fn kept<S: Statements + CancellationSql>(
    store: &S,
    channel: &ChannelId,
    external_id: &ExternalOrderId,
) -> Result<Option<MarketplaceCancel>, StoreError> {
    let args = [Arg::Text(channel.as_str()), Arg::Text(external_id.as_str())];
    store
        .read_optional(S::KEPT, &args, "look for a kept marketplace cancellation")
        .await?
        .map(|row| early_cancellation(&row))
        .transpose()
}

/// `EarlyCancellations::forget_cancellation`.
///
/// # Errors
/// [`StoreError`] for storage failures.
pub async fn forget<S: Statements + CancellationSql>(
    store: &S,
    channel: &ChannelId,
    external_id: &ExternalOrderId,
) -> Result<(), StoreError> {
    let args = [Arg::Text(channel.as_str()), Arg::Text(external_id.as_str())];
    store
        .write(S::FORGET, &args, "forget a marketplace cancellation")
        .await?;
    Ok(())
}

/// Implements `EarlyCancellations` for a store that implements [`Statements`] and
/// [`CancellationSql`].
#[macro_export]
macro_rules! impl_early_cancellations {
    ($store:ty) => {
        #[$crate::__private::async_trait]
        impl $crate::__private::EarlyCancellations for $store {
            async fn keep_cancellation(
                &self,
                channel: &$crate::__private::ChannelId,
                external_id: &$crate::__private::ExternalOrderId,
                cancel: &$crate::__private::MarketplaceCancel,
                now: $crate::__private::DateTime,
            ) -> Result<(), $crate::__private::StoreError> {
                $crate::cancellations::keep(self, channel, external_id, cancel, now).await
            }

            async fn kept_cancellation(
                &self,
                channel: &$crate::__private::ChannelId,
                external_id: &$crate::__private::ExternalOrderId,
            ) -> Result<Option<$crate::__private::MarketplaceCancel>, $crate::__private::StoreError>
            {
                $crate::cancellations::kept(self, channel, external_id).await
            }

            async fn forget_cancellation(
                &self,
                channel: &$crate::__private::ChannelId,
                external_id: &$crate::__private::ExternalOrderId,
            ) -> Result<(), $crate::__private::StoreError> {
                $crate::cancellations::forget(self, channel, external_id).await
            }
        }
    };
}
