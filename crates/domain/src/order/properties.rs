//! Property tests: random orders (several lines may share a SKU) driven through random
//! sequences of fulfil, cancel and refund. After every step all rules of design section 3 hold,
//! the outcome agrees with a simple independent model, and a rejected or replayed operation
//! leaves the order exactly as it was. `cargo xtask proptest` runs 10,000 cases.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::order::{
    CancelReason, CancelScope, CancellationRequest, FulfillmentRequest, NewLine, NewOrder, Order,
    OrderStatus, RefundLineRequest, RefundReason, RefundReference, RefundRequest, Totals,
};
use crate::values::{
    CancellationId, ChannelId, Currency, EventId, ExternalOrderId, FulfillmentId, LineNo, Money,
    OrderId, Quantity, RefundId, Sku, TrackingNumber,
};

const SKUS: [&str; 4] = ["A", "B", "C", "Z"]; // Z is never on an order.

#[derive(Debug, Clone)]
enum Op {
    Fulfil {
        tracking: u8,
        lines: Vec<(usize, u32)>,
    },
    Cancel {
        whole: bool,
        reason: usize,
        lines: Vec<(usize, u32)>,
    },
    Refund {
        reference: Option<u8>,
        lines: Vec<(u32, u32, i64)>,
    },
}

fn sku(index: usize) -> Sku {
    Sku::parse(SKUS[index % SKUS.len()]).unwrap()
}

fn order_strategy() -> impl Strategy<Value = (Vec<(usize, u32, i64)>, Option<i64>)> {
    (
        prop::collection::vec((0usize..3, 1u32..=5, 0i64..10_000), 1..=5),
        prop::option::of(0i64..50_000),
    )
}

fn units_strategy() -> impl Strategy<Value = Vec<(usize, u32)>> {
    prop::collection::vec((0usize..4, 1u32..=6), 0..=3)
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..6, units_strategy()).prop_map(|(tracking, lines)| Op::Fulfil { tracking, lines }),
        2 => (any::<bool>(), 0usize..9, units_strategy())
            .prop_map(|(whole, reason, lines)| Op::Cancel { whole, reason, lines }),
        2 => (
            prop::option::of(0u8..3),
            prop::collection::vec((1u32..=6, 0u32..=3, -100i64..3_000), 0..=3)
        )
            .prop_map(|(reference, lines)| Op::Refund { reference, lines }),
    ]
}

fn build(lines: &[(usize, u32, i64)], total: Option<i64>) -> Order {
    let new = NewOrder {
        channel: ChannelId::parse("adm").unwrap(),
        external_id: ExternalOrderId::parse("P-1").unwrap(),
        currency: Currency::USD,
        placed_at: start(),
        deliver_by: None,
        email: None,
        shipping_address: None,
        shipping_service: None,
        totals: Totals {
            total: total.map(|cents| Decimal::new(cents, 2)),
            ..Totals::default()
        },
        lines: lines
            .iter()
            .map(|(s, q, cents)| NewLine {
                sku: sku(*s),
                quantity: Quantity::new(*q).unwrap(),
                unit_price: Decimal::new(*cents, 2),
                total_discount: Decimal::ZERO,
                total_tax: Decimal::ZERO,
                external_line_id: None,
                title: None,
            })
            .collect(),
        raw_payload: None,
        flags: Vec::new(),
    };
    Order::create(
        new,
        OrderId::from_uuid(uuid::Uuid::from_u128(1)),
        EventId::from_uuid(uuid::Uuid::from_u128(2)),
        start(),
    )
    .unwrap()
}

fn start() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap()
}

fn requested(lines: &[(usize, u32)]) -> Vec<(Sku, Quantity)> {
    lines
        .iter()
        .map(|(s, q)| (sku(*s), Quantity::new(*q).unwrap()))
        .collect()
}

fn per_sku(lines: &[(Sku, Quantity)]) -> BTreeMap<Sku, u64> {
    let mut sums = BTreeMap::new();
    for (sku, q) in lines {
        *sums.entry(sku.clone()).or_insert(0) += u64::from(q.get());
    }
    sums
}

fn open_per_sku(order: &Order) -> BTreeMap<Sku, u64> {
    let mut open = BTreeMap::new();
    for line in order.lines() {
        *open.entry(line.sku().clone()).or_insert(0) += u64::from(line.open());
    }
    open
}

/// The model's answer: would units by SKU fit the open units?
fn fits(order: &Order, wanted: &BTreeMap<Sku, u64>) -> bool {
    let open = open_per_sku(order);
    wanted
        .iter()
        .all(|(sku, n)| open.get(sku).is_some_and(|o| n <= o))
}

/// Every rule that must hold of any order at any time.
fn check_rules(order: &Order) -> Result<(), TestCaseError> {
    let mut shipped = vec![0u32; order.lines().len()];
    let mut cancelled = vec![0u32; order.lines().len()];
    let mut refunded = vec![0u32; order.lines().len()];
    for f in order.fulfillments() {
        prop_assert!(!f.lines().is_empty(), "rule 3: a shipment has lines");
        for l in f.lines() {
            shipped[l.line.index()] += l.quantity.get();
        }
    }
    for c in order.cancellations() {
        for l in c.lines() {
            cancelled[l.line.index()] += l.quantity.get();
        }
    }
    for r in order.refunds() {
        for l in r.lines() {
            refunded[l.line.index()] += l.quantity;
            prop_assert!(l.amount > Decimal::ZERO);
        }
    }
    for (i, line) in order.lines().iter().enumerate() {
        prop_assert_eq!(line.shipped(), shipped[i], "tally matches shipments");
        prop_assert_eq!(
            line.cancelled(),
            cancelled[i],
            "tally matches cancellations"
        );
        prop_assert_eq!(line.refunded(), refunded[i], "tally matches refunds");
        prop_assert!(
            shipped[i] + cancelled[i] <= line.quantity().get(),
            "rule 2 on line {}",
            i + 1
        );
        prop_assert!(
            refunded[i] <= line.quantity().get(),
            "rule 7: refunded quantity"
        );
        // Rule 1: lines sharing a SKU fill in line order, so no later line of a SKU has
        // settled units while an earlier one still has open units.
        let earlier_open = order.lines()[..i]
            .iter()
            .any(|e| e.sku() == line.sku() && e.open() > 0);
        prop_assert!(
            !(earlier_open && line.open() < line.quantity().get()),
            "rule 1: line order"
        );
    }
    prop_assert!(
        order.refunded_total() <= order.refundable_total(),
        "rule 7: refunded amount"
    );
    let mut tracking: Vec<&str> = order
        .fulfillments()
        .iter()
        .map(|f| f.tracking_number().as_str())
        .collect();
    tracking.sort_unstable();
    let before = tracking.len();
    tracking.dedup();
    prop_assert_eq!(before, tracking.len(), "rule 4: tracking numbers unique");
    let ordered: u64 = order
        .lines()
        .iter()
        .map(|l| u64::from(l.quantity().get()))
        .sum();
    let s: u64 = shipped.iter().map(|&n| u64::from(n)).sum();
    let c: u64 = cancelled.iter().map(|&n| u64::from(n)).sum();
    let expected = if s + c == 0 {
        OrderStatus::Open
    } else if s + c < ordered {
        OrderStatus::PartiallyFulfilled
    } else if s == 0 {
        OrderStatus::Cancelled
    } else {
        OrderStatus::Fulfilled
    };
    prop_assert_eq!(order.status(), expected, "rule 6");
    Ok(())
}

fn apply(order: &mut Order, op: &Op, step: u128) -> Result<(), TestCaseError> {
    let before = order.clone();
    let now = start() + TimeDelta::seconds(i64::try_from(step).unwrap());
    let id = uuid::Uuid::from_u128(1_000 + step * 2);
    let event = EventId::from_uuid(uuid::Uuid::from_u128(1_001 + step * 2));
    match op {
        Op::Fulfil { tracking, lines } => {
            let request = FulfillmentRequest {
                tracking_number: TrackingNumber::parse(&format!("T{tracking}")).unwrap(),
                carrier: None,
                tracking_url: None,
                lines: requested(lines),
                shipped_at: None,
            };
            let wanted = per_sku(&request.lines);
            let existing = order
                .fulfillments()
                .iter()
                .find(|f| f.tracking_number() == &request.tracking_number)
                .cloned();
            let result = order.fulfil(&request, FulfillmentId::from_uuid(id), event, now);
            let model_ok = if lines.is_empty() {
                false
            } else if let Some(existing) = existing {
                let same = existing
                    .units_by_sku()
                    .into_iter()
                    .collect::<BTreeMap<_, _>>()
                    == wanted;
                prop_assert_eq!(result.is_ok(), same, "rule 4: replay iff same units");
                prop_assert_eq!(&*order, &before, "a replay or conflict changes nothing");
                return Ok(());
            } else {
                before.status() != OrderStatus::Cancelled && fits(&before, &wanted)
            };
            prop_assert_eq!(
                result.is_ok(),
                model_ok,
                "fulfil agrees with the model: {:?}",
                result
            );
        }
        Op::Cancel {
            whole,
            reason,
            lines,
        } => {
            let scope = if *whole {
                CancelScope::WholeOrder
            } else {
                CancelScope::Lines(requested(lines))
            };
            let request = CancellationRequest {
                reason: CancelReason::ALL[*reason % 9],
                scope,
                note: None,
            };
            let result = order.cancel(&request, CancellationId::from_uuid(id), event, now);
            let model_ok = before.units_open() > 0
                && (*whole || (!lines.is_empty() && fits(&before, &per_sku(&requested(lines)))));
            prop_assert_eq!(
                result.is_ok(),
                model_ok,
                "cancel agrees with the model: {:?}",
                result
            );
            if result.is_ok() && *whole {
                prop_assert_eq!(
                    order.units_open(),
                    0,
                    "a whole-order cancellation leaves nothing open"
                );
                prop_assert_eq!(
                    order.units_shipped(),
                    before.units_shipped(),
                    "rule 5: shipped units stay shipped"
                );
            }
        }
        Op::Refund { reference, lines } => {
            let request = RefundRequest {
                reference: reference.map(|r| RefundReference::parse(&format!("R{r}")).unwrap()),
                reason: RefundReason::Other,
                note: None,
                lines: lines
                    .iter()
                    .map(|(line, quantity, cents)| RefundLineRequest {
                        line: LineNo::new(*line).unwrap(),
                        quantity: *quantity,
                        amount: Money::new(Decimal::new(*cents, 2), Currency::USD),
                    })
                    .collect(),
            };
            let result = order.refund(&request, RefundId::from_uuid(id), event, now);
            if result.is_ok() && order == &before {
                // A replay: only possible under a reference already used.
                prop_assert!(reference.is_some());
            } else {
                let mut seen = Vec::new();
                let mut valid = !lines.is_empty();
                let mut sum = Decimal::ZERO;
                for (line, quantity, cents) in lines {
                    let known = before.line(LineNo::new(*line).unwrap());
                    valid &= !seen.contains(line)
                        && *cents > 0
                        && known.is_some_and(|l| l.refunded() + quantity <= l.quantity().get());
                    seen.push(*line);
                    sum += Decimal::new(*cents, 2);
                }
                valid &= before.refunded_total() + sum <= before.refundable_total();
                let reused = reference.is_some_and(|r| {
                    before.refunds().iter().any(|x| {
                        x.reference().map(RefundReference::as_str) == Some(&format!("R{r}"))
                    })
                });
                if !reused {
                    prop_assert_eq!(
                        result.is_ok(),
                        valid,
                        "refund agrees with the model: {:?}",
                        result
                    );
                }
            }
        }
    }
    if order == &before {
        return Ok(());
    }
    prop_assert_eq!(
        order.events().len(),
        before.events().len() + 1,
        "rule 9: one event per change"
    );
    Ok(())
}

proptest! {
    #[test]
    fn random_operation_sequences_keep_every_rule(
        (lines, total) in order_strategy(),
        ops in prop::collection::vec(op_strategy(), 0..40),
    ) {
        let mut order = build(&lines, total);
        check_rules(&order)?;
        for (step, op) in ops.iter().enumerate() {
            let before = order.clone();
            apply(&mut order, op, step as u128)?;
            check_rules(&order)?;
            if order != before {
                prop_assert!(order.updated_at() >= before.updated_at());
            }
        }
        // What the store would write and read back is the same order.
        let restored = Order::restore(order.to_record()).unwrap();
        prop_assert_eq!(restored.lines(), order.lines());
    }
}
