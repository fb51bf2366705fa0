//! The retention rule: when an order is complete and since when, when it is due, when a
//! quarantined body is due, and what erasing an order leaves.

use chrono::{DateTime, TimeDelta, Utc};

use super::{DeliveryActivity, DueOrder, Erasure, OrderActivity, RetentionPeriod, inbound_due};
use crate::inbound::InboundState;
use crate::order::{
    CancelReason, CancelScope, CancellationRequest, EventType, FulfillmentRequest, Order,
    OrderEvent, OrderStatus,
};
use crate::outbox::DeliveryState;
use crate::testing::new_order;
use crate::values::{
    Address, CancellationId, ChannelId, Email, EventId, ExternalOrderId, FulfillmentId, OrderId,
    Quantity, Sku, TrackingNumber,
};

fn day(n: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_714_478_400, 0).unwrap() + TimeDelta::days(n)
}

fn activity(status: OrderStatus, deliveries: &[(DeliveryState, Option<i64>)]) -> OrderActivity {
    OrderActivity {
        status,
        updated_at: day(1),
        last_event_at: Some(day(2)),
        deliveries: deliveries
            .iter()
            .map(|(state, at)| DeliveryActivity {
                state: *state,
                delivered_at: at.map(day),
            })
            .collect(),
        erased_at: None,
    }
}

#[test]
fn an_order_with_units_open_is_never_complete() {
    for status in [OrderStatus::Open, OrderStatus::PartiallyFulfilled] {
        let open = activity(status, &[(DeliveryState::Delivered, Some(3))]);
        assert_eq!(open.completed_at(), None, "{status}");
        assert_eq!(open.due(day(1_000)), None, "{status}");
    }
}

#[test]
fn a_settled_order_without_deliveries_is_complete_since_its_last_change_or_entry() {
    for status in [OrderStatus::Fulfilled, OrderStatus::Cancelled] {
        assert_eq!(activity(status, &[]).completed_at(), Some(day(2)));
        let mut later_change = activity(status, &[]);
        later_change.updated_at = day(5);
        assert_eq!(later_change.completed_at(), Some(day(5)));
    }
}

#[test]
fn a_pending_or_parked_delivery_keeps_an_order_open() {
    for state in [DeliveryState::Pending, DeliveryState::Dead] {
        let waiting = activity(
            OrderStatus::Fulfilled,
            &[(DeliveryState::Delivered, Some(3)), (state, None)],
        );
        assert_eq!(waiting.completed_at(), None, "{state:?}");
        assert_eq!(waiting.due(day(1_000)), None, "{state:?}");
    }
}

#[test]
fn delivered_resolved_and_superseded_deliveries_are_finished_and_the_latest_counts() {
    let done = activity(
        OrderStatus::Fulfilled,
        &[
            (DeliveryState::Delivered, Some(7)),
            (DeliveryState::Resolved, None),
            (DeliveryState::Superseded, None),
        ],
    );
    assert_eq!(done.completed_at(), Some(day(7)));
    let mut resolved_later = done;
    resolved_later.last_event_at = Some(day(9));
    assert_eq!(
        resolved_later.completed_at(),
        Some(day(9)),
        "a resolve's entry"
    );
}

#[test]
fn an_order_is_due_from_its_completion_plus_the_period_and_only_once() {
    let period = RetentionPeriod::days(30).unwrap();
    let done = activity(
        OrderStatus::Cancelled,
        &[(DeliveryState::Delivered, Some(3))],
    );
    assert_eq!(
        done.due(period.cutoff(day(33))),
        Some(day(3)),
        "exactly 30 days"
    );
    assert_eq!(
        done.due(period.cutoff(day(33) - TimeDelta::microseconds(1))),
        None,
        "a microsecond early"
    );
    let mut erased = done;
    erased.erased_at = Some(day(40));
    assert_eq!(erased.due(day(1_000)), None, "erased already");
}

#[test]
fn a_period_is_at_least_a_day_and_counts_back_whole_days() {
    assert_eq!(RetentionPeriod::days(0), None);
    let period = RetentionPeriod::days(2).unwrap();
    assert_eq!(period.get(), 2);
    assert_eq!(period.cutoff(day(10)), day(8));
}

#[test]
fn a_quarantined_body_is_due_from_its_replay_or_discard_never_while_rejected() {
    let cutoff = day(30);
    for state in [InboundState::Replayed, InboundState::Discarded] {
        assert!(inbound_due(state, Some(day(30)), None, cutoff), "{state:?}");
        assert!(
            !inbound_due(state, Some(day(31)), None, cutoff),
            "{state:?}"
        );
        assert!(
            !inbound_due(state, Some(day(1)), Some(day(31)), cutoff),
            "erased already"
        );
    }
    assert!(!inbound_due(
        InboundState::Rejected,
        Some(day(1)),
        None,
        cutoff
    ));
    assert!(!inbound_due(InboundState::Rejected, None, None, cutoff));
}

/// An order with a customer, shipped in part and cancelled for the rest, with a note.
fn settled_order() -> Order {
    let mut new = new_order("adm", "A-1", &[("RED", 2, "5.00")]).unwrap();
    new.email = Some(Email::parse("jane.doe@example.com").unwrap());
    new.shipping_address = Some(Address {
        full_name: Some("Jane Doe".to_owned()),
        address1: Some("1 Elm Street".to_owned()),
        phone: Some("555-0100".to_owned()),
        ..Address::default()
    });
    new.raw_payload = Some(r#"{"email":"jane.doe@example.com"}"#.to_owned());
    let id = |n: u128| uuid::Uuid::from_u128(n);
    let mut order = Order::create(
        new,
        OrderId::from_uuid(id(1)),
        EventId::from_uuid(id(2)),
        day(0),
    )
    .unwrap();
    let red = Sku::parse("RED").unwrap();
    let one = Quantity::new(1).unwrap();
    let shipment = FulfillmentRequest {
        tracking_number: TrackingNumber::parse("1Z1").unwrap(),
        carrier: None,
        tracking_url: None,
        lines: vec![(red.clone(), one)],
        shipped_at: None,
    };
    order
        .fulfil(
            &shipment,
            FulfillmentId::from_uuid(id(3)),
            EventId::from_uuid(id(4)),
            day(1),
        )
        .unwrap();
    let cancel = CancellationRequest {
        reason: CancelReason::Customer,
        scope: CancelScope::Lines(vec![(red, one)]),
        note: Some("Jane Doe called".to_owned()),
    };
    order
        .cancel(
            &cancel,
            CancellationId::from_uuid(id(5)),
            EventId::from_uuid(id(6)),
            day(2),
        )
        .unwrap();
    order
}

#[test]
fn erasing_an_order_leaves_lines_totals_shipments_and_history_and_records_it() {
    let mut order = settled_order();
    let before = order.clone();
    let due = DueOrder {
        id: order.id(),
        channel: ChannelId::parse("adm").unwrap(),
        external_id: ExternalOrderId::parse("A-1").unwrap(),
        completed_at: day(2),
    };
    let period = RetentionPeriod::days(30).unwrap();
    let erasure = Erasure::of(
        &due,
        period,
        EventId::from_uuid(uuid::Uuid::from_u128(9)),
        day(40),
    );
    order.erase_personal_data(erasure.event);
    assert_eq!(order.email(), None);
    assert_eq!(order.shipping_address(), None);
    assert_eq!(order.raw_payload(), None);
    assert_eq!(order.cancellations()[0].note(), None);
    assert_eq!(order.erased_at(), Some(day(40)));
    assert_eq!(order.lines(), before.lines());
    assert_eq!(order.totals(), before.totals());
    assert_eq!(order.fulfillments(), before.fulfillments());
    assert_eq!(order.status(), OrderStatus::Fulfilled);
    assert_eq!(&order.events()[..before.events().len()], before.events());
    let last: &OrderEvent = order.events().last().unwrap();
    assert_eq!(last.kind, EventType::PersonalDataErased);
    assert_eq!(last.at, day(40));
    assert!(last.detail.contains("kept 30 days"), "{}", last.detail);
    for personal in ["jane", "Jane", "Elm", "555"] {
        assert!(!last.detail.contains(personal), "{}", last.detail);
    }
}

#[test]
fn the_activity_of_a_loaded_order_reads_its_status_history_and_deliveries() {
    let order = settled_order();
    let activity = OrderActivity::of(&order, &[]);
    assert_eq!(activity.status, OrderStatus::Fulfilled);
    assert_eq!(activity.last_event_at, Some(day(2)));
    assert_eq!(activity.completed_at(), Some(day(2)));
}

mod properties {
    use proptest::prelude::*;

    use super::{activity, day};
    use crate::order::OrderStatus;
    use crate::outbox::DeliveryState;

    fn status() -> impl Strategy<Value = OrderStatus> {
        prop::sample::select(OrderStatus::ALL.to_vec())
    }

    fn delivery() -> impl Strategy<Value = (DeliveryState, Option<i64>)> {
        (
            prop::sample::select(DeliveryState::ALL.to_vec()),
            prop::option::of(0_i64..100),
        )
    }

    proptest! {
        #[test]
        fn complete_exactly_when_settled_and_every_delivery_finished(
            status in status(),
            deliveries in prop::collection::vec(delivery(), 0..6),
        ) {
            let activity = activity(status, &deliveries);
            let settled = matches!(status, OrderStatus::Fulfilled | OrderStatus::Cancelled);
            let finished = deliveries.iter().all(|(state, _)| state.is_finished());
            prop_assert_eq!(activity.completed_at().is_some(), settled && finished);
            if let Some(at) = activity.completed_at() {
                prop_assert!(at >= activity.updated_at);
                prop_assert!(activity.last_event_at.is_none_or(|e| at >= e));
                for (_, delivered) in &deliveries {
                    prop_assert!(delivered.is_none_or(|d| at >= day(d)));
                }
                // Due from then on, and never before.
                prop_assert_eq!(activity.due(at), Some(at));
                prop_assert_eq!(activity.due(at - chrono::TimeDelta::microseconds(1)), None);
            }
        }
    }
}
