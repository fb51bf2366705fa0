//! Spreading requested units of a SKU over the order's lines of that SKU, in line order
//! (design rule 1), for fulfillments and cancellations alike.

use std::collections::BTreeMap;

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

fn step() {
    #[cfg(test)]
    steps::count();
}

/// Sums the request per SKU, keeping the order in which SKUs first appear. One map lookup per
/// entry: a request of many distinct SKUs costs `n log n`, never `n²`.
pub(crate) fn sum_by_sku(requested: &[(Sku, Quantity)]) -> Vec<(Sku, u64)> {
    let mut position: BTreeMap<&Sku, usize> = BTreeMap::new();
    let mut sums: Vec<(Sku, u64)> = Vec::new();
    for (sku, quantity) in requested {
        step();
        let units = u64::from(quantity.get());
        match position.get(sku).and_then(|&at| sums.get_mut(at)) {
            Some((_, total)) => *total += units,
            None => {
                position.insert(sku, sums.len());
                sums.push((sku.clone(), units));
            }
        }
    }
    sums
}

/// Places the requested units on open units of the lines, filling lines of the same SKU in
/// line order. Pure: the lines are not changed. The order's lines are indexed by SKU once, so
/// the work grows with the lines plus the request, not with their product.
pub(crate) fn allocate(
    lines: &[LineItem],
    requested: &[(Sku, Quantity)],
) -> Result<Vec<LineAllocation>, AllocationError> {
    let sums = sum_by_sku(requested);
    let mut by_sku: BTreeMap<&Sku, Vec<&LineItem>> =
        sums.iter().map(|(sku, _)| (sku, Vec::new())).collect();
    for line in lines {
        step();
        if let Some(of_sku) = by_sku.get_mut(&line.sku) {
            of_sku.push(line);
        }
    }
    let mut out = Vec::new();
    for (sku, wanted) in &sums {
        let candidates = by_sku.get(sku).map(Vec::as_slice).unwrap_or_default();
        if candidates.is_empty() {
            return Err(AllocationError::UnknownSku(sku.clone()));
        }
        let open: u64 = candidates.iter().map(|l| u64::from(l.open())).sum();
        if *wanted > open {
            return Err(AllocationError::ExceedsOpen {
                sku: sku.clone(),
                requested: *wanted,
                open,
            });
        }
        let mut left = *wanted;
        for line in candidates {
            step();
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

/// Counts the steps of [`sum_by_sku`] and [`allocate`] (a lookup or a line visited), so that a
/// test can tell linear work from quadratic work without timing it.
#[cfg(test)]
pub(crate) mod steps {
    use std::cell::Cell;

    thread_local! {
        static STEPS: Cell<u64> = const { Cell::new(0) };
    }

    pub(crate) fn take() -> u64 {
        STEPS.with(|steps| steps.replace(0))
    }

    pub(super) fn count() {
        STEPS.with(|steps| steps.set(steps.get() + 1));
    }
}
