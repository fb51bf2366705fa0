//! The quarantine's replay: a body that reads after a fix becomes an order (once), one that
//! still does not keeps its entry rejected with the new reason; closed entries are refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;

use super::{Quarantine, Replay};
use crate::inbound::InboundState;
use crate::order::{CancelReason, MarketplaceCancel, NewOrder, OrderStatus};
use crate::ports::store::InboundError;
use crate::ports::webhook::{Headers, Webhook, WebhookReply};
use crate::services::{OrderService, ServiceConfig};
use crate::testing::{ManualClock, MemoryStore, SequentialIds, new_order, test_channels};
use crate::values::ChannelId;

/// A webhook whose bodies read once `fixed` is set (a settings fix).
#[derive(Debug)]
struct Fixable {
    channel: ChannelId,
    fixed: AtomicBool,
    /// Its bodies state that the marketplace cancelled the order.
    cancelled: bool,
}

#[async_trait]
impl Webhook for Fixable {
    fn marketplace(&self) -> &str {
        "adm"
    }
    fn channel(&self) -> &ChannelId {
        &self.channel
    }
    fn authenticate(&self, _: &Headers) -> Result<(), WebhookReply> {
        Ok(())
    }
    async fn receive(&self, _: &str, _: &Headers, _: &[u8], _: &OrderService) -> WebhookReply {
        WebhookReply::new(404, "{}")
    }
    fn reread(&self, body: &[u8]) -> Result<NewOrder, String> {
        if self.fixed.load(Ordering::SeqCst) {
            new_order(
                "adm",
                std::str::from_utf8(body).unwrap_or("?"),
                &[("RED", 1, "1.00")],
            )
            .map_err(|e| e.to_string())
        } else {
            Err("currency XYZ is not configured".to_owned())
        }
    }
    fn reread_cancellation(&self, _: &[u8]) -> Option<MarketplaceCancel> {
        self.cancelled.then(|| MarketplaceCancel {
            reason: CancelReason::Customer,
            note: None,
            at: chrono::Utc::now(),
        })
    }
}

fn setup() -> (Quarantine, OrderService, Arc<Fixable>) {
    setup_with(false)
}

fn setup_with(cancelled: bool) -> (Quarantine, OrderService, Arc<Fixable>) {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::fixed());
    let ids = Arc::new(SequentialIds::default());
    let webhook = Arc::new(Fixable {
        channel: ChannelId::parse("adm").unwrap(),
        fixed: AtomicBool::new(false),
        cancelled,
    });
    let quarantine = Quarantine::new(store.clone(), clock.clone(), ids.clone(), false)
        .read_by_webhook(webhook.clone());
    let orders = OrderService::new(
        store.clone(),
        test_channels(),
        clock,
        ids,
        ServiceConfig::default(),
    )
    .with_early_cancellations(store);
    (quarantine, orders, webhook)
}

#[tokio::test]
async fn a_body_stating_a_cancellation_replays_into_a_cancelled_order() {
    let (quarantine, orders, webhook) = setup_with(true);
    let channel = ChannelId::parse("adm").unwrap();
    let (entry, _) = quarantine
        .keep(&channel, None, b"Q-9", "currency XYZ is not configured")
        .await
        .unwrap();
    webhook.fixed.store(true, Ordering::SeqCst);
    let (_, outcome) = quarantine.replay(entry.id, &orders).await.unwrap();
    let Replay::Created(order) = outcome else {
        panic!("created: {outcome:?}")
    };
    let order = orders.order(order).await.unwrap().unwrap();
    assert_eq!(order.status(), OrderStatus::Cancelled);
    assert!(order.marketplace().cancelled_at.is_some());
}

#[tokio::test]
async fn a_body_that_reads_after_a_fix_replays_into_one_order() {
    let (quarantine, orders, webhook) = setup();
    let channel = ChannelId::parse("adm").unwrap();
    let (entry, _) = quarantine
        .keep(
            &channel,
            Some("Q-1".to_owned()),
            b"Q-1",
            "currency XYZ is not configured",
        )
        .await
        .unwrap();
    let (still, outcome) = quarantine.replay(entry.id, &orders).await.unwrap();
    assert_eq!(
        outcome,
        Replay::StillRejected("currency XYZ is not configured".to_owned())
    );
    assert_eq!(still.state, InboundState::Rejected);
    webhook.fixed.store(true, Ordering::SeqCst);
    let (replayed, outcome) = quarantine.replay(entry.id, &orders).await.unwrap();
    let Replay::Created(order) = outcome else {
        panic!("created: {outcome:?}")
    };
    assert_eq!(
        (replayed.state, replayed.order_id),
        (InboundState::Replayed, Some(order))
    );
    assert!(orders.order(order).await.unwrap().is_some(), "a real order");
    let again = quarantine.replay(entry.id, &orders).await;
    assert!(matches!(
        again,
        Err(InboundError::Closed {
            state: InboundState::Replayed,
            ..
        })
    ));
}

#[tokio::test]
async fn an_order_that_came_again_meanwhile_is_found_and_no_reader_means_still_rejected() {
    let (quarantine, orders, webhook) = setup();
    let channel = ChannelId::parse("adm").unwrap();
    webhook.fixed.store(true, Ordering::SeqCst);
    orders
        .ingest(new_order("adm", "Q-2", &[("RED", 1, "1.00")]).unwrap())
        .await
        .unwrap();
    let (entry, _) = quarantine
        .keep(&channel, None, b"Q-2", "broken")
        .await
        .unwrap();
    let unconfigured = Quarantine::new(
        Arc::new(MemoryStore::new()),
        Arc::new(ManualClock::fixed()),
        Arc::new(SequentialIds::default()),
        false,
    );
    let (kept, _) = unconfigured
        .keep(&channel, None, b"Q-2", "broken")
        .await
        .unwrap();
    let (_, outcome) = unconfigured.replay(kept.id, &orders).await.unwrap();
    assert!(
        matches!(&outcome, Replay::StillRejected(reason) if reason.contains("not configured")),
        "{outcome:?}"
    );
    let (closed, outcome) = quarantine.replay(entry.id, &orders).await.unwrap();
    assert!(matches!(outcome, Replay::Existing(_)), "{outcome:?}");
    assert_eq!(closed.state, InboundState::Replayed);
}
