//! Spreading requested units of a SKU over the order's lines of that SKU, in line order
//! (design rule 1), for fulfillments and cancellations alike.

use crate::order::LineItem;
use crate::values::{LineNo, Quantity, Sku};

/// Units of one order line taken by a fulfillment or cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineAllocation {
    /// The order line.
    pub line: LineNo,
    /// That line's SKU.
    pub sku: Sku,
    /// Units taken from it.
    pub quantity: Quantity,
}

/// Why requested units could not be placed on the order's lines.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// No line of the order has this SKU.
    #[error("the order has no line with SKU {0}")]
    UnknownSku(Sku),
    /// More units of the SKU were requested than are still open (ordered, not yet shipped or
    /// cancelled) over all lines of that SKU.
    #[error("{requested} units of SKU {sku} requested but only {open} are open")]
    ExceedsOpen {
        /// The SKU.
        sku: Sku,
        /// Units requested, summed over the request's entries for this SKU.
        requested: u64,
        /// Units still open over the order's lines of this SKU.
        open: u64,
    },
}

/// Sums the request per SKU, keeping the order in which SKUs first appear.
pub(crate) fn sum_by_sku(requested: &[(Sku, Quantity)]) -> Vec<(Sku, u64)> {
    let mut sums: Vec<(Sku, u64)> = Vec::new();
    for (sku, quantity) in requested {
        match sums.iter_mut().find(|(s, _)| s == sku) {
            Some((_, total)) => *total += u64::from(quantity.get()),
            None => sums.push((sku.clone(), u64::from(quantity.get()))),
        }
    }
    sums
}

/// Places the requested units on open units of the lines, filling lines of the same SKU in
/// line order. Pure: the lines are not changed.
pub(crate) fn allocate(
    lines: &[LineItem],
    requested: &[(Sku, Quantity)],
) -> Result<Vec<LineAllocation>, AllocationError> {
    let mut out = Vec::new();
    for (sku, wanted) in sum_by_sku(requested) {
        let candidates: Vec<&LineItem> = lines.iter().filter(|l| l.sku == sku).collect();
        if candidates.is_empty() {
            return Err(AllocationError::UnknownSku(sku));
        }
        let open: u64 = candidates.iter().map(|l| u64::from(l.open())).sum();
        if wanted > open {
            return Err(AllocationError::ExceedsOpen {
                sku,
                requested: wanted,
                open,
            });
        }
        let mut left = wanted;
        for line in candidates {
            if left == 0 {
                break;
            }
            let take = left.min(u64::from(line.open()));
            // `take` is at most the line's open units, a u32, and is skipped when zero.
            if let Some(quantity) = u32::try_from(take).ok().and_then(|t| Quantity::new(t).ok()) {
                out.push(LineAllocation {
                    line: line.no,
                    sku: line.sku.clone(),
                    quantity,
                });
                left -= take;
            }
        }
    }
    Ok(out)
}

/// Every open unit of every line: what a whole-order cancellation takes.
pub(crate) fn all_open(lines: &[LineItem]) -> Vec<LineAllocation> {
    lines
        .iter()
        .filter_map(|line| {
            Quantity::new(line.open())
                .ok()
                .map(|quantity| LineAllocation {
                    line: line.no,
                    sku: line.sku.clone(),
                    quantity,
                })
        })
        .collect()
}
