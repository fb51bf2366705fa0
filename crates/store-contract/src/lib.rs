//! The storage contract suite: one set of async checks that every store must pass, so that
//! PostgreSQL, SQLite and the in-memory store behave the same.
//!
//! The checks are grouped by the port they hold a store to: [`orders`] (`OrderStore`),
//! [`queue`] (`DeliveryQueue`, with [`waits`] for what a row waits for), [`log`]
//! (`DeliveryLog`, with [`actions`] for resolving and bulk requeues), [`channels`]
//! (`ChannelStates` and `AlertQueue`), [`inbound`] (`InboundLog`), [`marketplace`] (what
//! marketplaces say after an order arrived: `OrderStore::save` with it, `EarlyCancellations`),
//! [`retention`] (`Retention`), [`deadlines`] (`Deadlines`), [`webhooks`] (`WebhookIds`) and
//! [`poll`] (`PollState` and `Health`). Each takes the whole store (`&dyn Store`), since a check
//! of one port sets up its
//! data through another. A store crate runs the whole suite with [`store_contract!`], which
//! expands to one test per check, so every store runs the same number of contract tests:
//!
//! ```text
//! orderbridge_store_contract::store_contract!(#[tokio::test] fn() => MemoryStore::new());
//! ```
//!
//! The checks panic on failure, as tests do.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod actions;
pub mod batches;
pub mod channels;
pub mod concurrency;
pub mod deadlines;
mod fixtures;
pub mod inbound;
pub mod log;
pub mod marketplace;
pub mod migration;
pub mod orders;
pub mod poll;
pub mod queue;
pub mod retention;
pub mod waits;
pub mod webhooks;

/// Expands to one test per contract check, port by port. `attr` is the test attribute
/// (`#[tokio::test]`, `#[sqlx::test(...)]`), the `fn(...)` arguments are what that attribute
/// passes in, and the expression after `=>` builds the store from them (it may `.await`).
#[macro_export]
macro_rules! store_contract {
    ($(#[$attr:meta])* fn $args:tt => $make:expr) => {
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; orders:
            insert_then_get_round_trips_the_whole_order,
            duplicate_insert_reports_the_existing_order_and_writes_nothing,
            find_by_external_tells_channels_apart,
            get_of_an_unknown_order_is_none,
            get_many_loads_the_orders_found,
            save_writes_children_events_and_outbox_and_bumps_the_version,
            a_stale_save_is_a_conflict_and_writes_nothing,
            save_of_an_unknown_order_is_not_found,
            events_appended_by_deliveries_survive_a_later_save,
            exact_money_round_trips,
            utc_timestamps_round_trip,
            a_large_raw_payload_and_non_ascii_text_round_trip,
            a_raw_payload_escaping_nul_round_trips_exactly,
            flags_an_unreadable_email_and_an_unknown_country_round_trip,
            list_filters_by_status_channel_and_updated_after,
            list_pages_neither_skip_nor_repeat_while_inserts_happen
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; batches:
            a_batch_answers_each_order_as_a_lone_insert_would,
            one_bad_order_fails_alone_in_a_batch
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; queue:
            claim_takes_due_rows_oldest_first,
            an_expired_lease_lets_another_worker_claim,
            a_renewed_lease_outlives_its_first_length_and_only_its_holder_renews,
            release_gives_back_the_leases_of_every_token_named,
            a_lost_lease_writes_nothing,
            complete_many_records_each_outcome_and_skips_lost_leases,
            a_batch_with_control_characters_in_its_text_is_recorded_clean,
            a_retry_is_due_again_at_its_time_and_counts_the_attempt,
            delivered_rows_keep_the_remote_reference_and_an_event,
            release_gives_back_leases_without_counting_an_attempt,
            skipped_channels_are_not_claimed
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; waits:
            a_row_waits_only_for_the_rows_it_names,
            independent_rows_go_together_and_a_parked_one_holds_back_nothing,
            a_refund_waits_for_the_shipments_holding_its_lines,
            a_newer_whole_order_call_supersedes_the_pending_one_and_takes_its_waiters,
            a_whole_order_call_being_sent_is_not_superseded
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; log:
            dead_rows_hold_back_their_waiters_and_can_be_requeued,
            requeue_of_a_missing_or_live_row_is_refused,
            outbox_stats_count_pending_and_dead,
            deliveries_are_listed_newest_first_by_keyset
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; actions:
            resolve_closes_a_row_releases_its_waiters_and_refuses_the_rest,
            requeue_many_takes_open_rows_only_with_an_event_each,
            deliveries_filter_by_channel_and_creation_time
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; channels:
            channel_health_is_written_by_compare_and_set,
            a_held_back_channel_is_not_claimed_unless_probed,
            alerts_are_queued_with_their_change_and_claimed_under_a_lease,
            channel_stats_count_pending_and_parked_per_channel
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; inbound:
            a_body_is_kept_whole_once_per_channel_while_rejected,
            entries_are_listed_newest_first_and_closed_once
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; marketplace:
            the_marketplace_state_and_alerts_are_saved_with_the_order,
            orders_are_listed_by_their_hold_with_the_other_filters,
            early_cancellations_are_kept_per_channel_replaced_and_forgotten
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; retention:
            only_orders_complete_long_enough_with_every_delivery_done_are_due,
            erasing_empties_personal_data_and_keeps_lines_totals_and_history,
            erasing_is_idempotent_and_checks_again_that_the_order_is_due,
            due_orders_come_in_keyset_pages,
            closed_quarantined_bodies_are_due_and_erased_rejected_ones_never
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; deadlines:
            overdue_orders_come_oldest_deadline_first_by_keyset,
            settled_orders_are_neither_overdue_nor_counted,
            overdue_orders_are_counted_per_channel,
            an_overdue_alert_is_queued_once_per_order_with_its_mark
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; webhooks:
            a_webhook_id_is_recorded_once_per_channel_until_its_time,
            a_forgotten_webhook_id_is_recorded_again
        );
        $crate::store_contract!(@each [$(#[$attr])*] $args $make; poll:
            poll_cursors_are_kept_per_channel,
            one_poller_holds_a_channel_until_its_lease_runs_out,
            ping_answers
        );
    };
    (@each $attrs:tt $args:tt $make:expr; $port:ident: $name:ident $(, $rest:ident)*) => {
        $crate::store_contract!(@one $attrs $args $make; $port::$name);
        $crate::store_contract!(@each $attrs $args $make; $port: $($rest),*);
    };
    (@each $attrs:tt $args:tt $make:expr; $port:ident:) => {};
    (@one [$($attr:tt)*] $args:tt $make:expr; $port:ident::$name:ident) => {
        $($attr)*
        async fn $name $args {
            let store = $make;
            $crate::$port::$name(&store).await;
        }
    };
}
