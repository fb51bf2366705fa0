//! Inserting several new orders in one transaction (the group commit's `insert_many`): their
//! rows, lines and history entries go through [`OrderWrites::insert_new_orders`], which a store
//! may write with a statement per table for the whole batch; the rest as a lone insert writes.

use orderbridge_domain::order::{OrderEvent, Version};
use orderbridge_domain::ports::store::{InsertError, NewOrderRows, StoreError};
use orderbridge_domain::values::OrderId;

use super::{LineRow, NewChildren, OrderRow, OrderWrites, lines, queue};
use crate::read::OrderReads;

/// One new order's rows, for [`OrderWrites::insert_new_orders`].
#[derive(Debug)]
pub struct NewOrderWrite<'a> {
    /// Its `orders` row.
    pub row: OrderRow<'a>,
    /// Its lines.
    pub lines: Vec<LineRow<'a>>,
    /// Its history entries.
    pub events: &'a [OrderEvent],
}

/// Inserts every order of `batch` with its children, history and outbox rows, answering each
/// as [`super::insert`] would (an order whose channel and external id are stored, by an
/// earlier entry too, is `AlreadyExists` with nothing of it written). Run it in a transaction
/// and commit only on `Ok`.
///
/// # Errors
/// [`StoreError`] when a statement fails; the transaction must then be rolled back.
pub async fn insert_batch<W: OrderWrites + OrderReads>(
    writes: &mut W,
    batch: &[NewOrderRows],
) -> Result<Vec<Result<Version, InsertError>>, StoreError> {
    let news: Vec<NewOrderWrite<'_>> = batch
        .iter()
        .map(|new| NewOrderWrite {
            row: OrderRow::of(&new.order),
            lines: lines(&new.order),
            events: new.order.events(),
        })
        .collect();
    let inserted = writes.insert_new_orders(&news).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut outbox = Vec::new();
    for ((new, write), inserted) in batch.iter().zip(&news).zip(inserted) {
        if inserted {
            writes
                .insert_children(write.row.id, &NewChildren::of(&new.order))
                .await?;
            outbox.extend(new.outbox.iter().cloned());
            outcomes.push(Ok(Version::new(1)));
        } else {
            let existing = writes
                .id_by_external(write.row.channel, write.row.external_id)
                .await?
                .ok_or_else(|| {
                    StoreError::msg("an order's channel and external id are taken by none")
                })?;
            outcomes.push(Err(InsertError::AlreadyExists {
                existing: OrderId::from_uuid(existing),
            }));
        }
    }
    queue(writes, &outbox).await?;
    Ok(outcomes)
}
