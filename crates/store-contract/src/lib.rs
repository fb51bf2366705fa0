//! The `OrderStore` contract suite: one set of async checks that every store must pass, so that
//! PostgreSQL, SQLite and the in-memory store behave the same.
//!
//! A store crate runs the whole suite with [`store_contract!`], which expands to one test per
//! check, so every store runs the same number of contract tests:
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

mod fixtures;
mod orders;
mod outbox;

pub use orders::{
    a_large_raw_payload_and_non_ascii_text_round_trip,
    a_stale_save_is_a_conflict_and_writes_nothing,
    duplicate_insert_reports_the_existing_order_and_writes_nothing,
    events_appended_by_deliveries_survive_a_later_save, exact_money_round_trips,
    find_by_external_tells_channels_apart, get_many_loads_the_orders_found,
    get_of_an_unknown_order_is_none, insert_then_get_round_trips_the_whole_order,
    list_filters_by_status_channel_and_updated_after,
    list_pages_neither_skip_nor_repeat_while_inserts_happen,
    one_poller_holds_a_channel_until_its_lease_runs_out, ping_answers,
    poll_cursors_are_kept_per_channel, save_of_an_unknown_order_is_not_found,
    save_writes_children_events_and_outbox_and_bumps_the_version, utc_timestamps_round_trip,
};
pub use outbox::{
    a_lost_lease_writes_nothing, a_retry_is_due_again_at_its_time_and_counts_the_attempt,
    an_expired_lease_lets_another_worker_claim, claim_takes_due_rows_oldest_first,
    complete_many_records_each_outcome_and_skips_lost_leases,
    dead_rows_hold_back_their_order_and_can_be_requeued,
    delivered_rows_keep_the_remote_reference_and_an_event,
    deliveries_are_listed_newest_first_by_keyset, deliveries_of_one_order_go_out_in_order,
    outbox_stats_count_pending_and_dead, release_gives_back_leases_without_counting_an_attempt,
    requeue_of_a_missing_or_live_row_is_refused, skipped_channels_are_not_claimed,
};

/// Expands to one test per contract check. `attr` is the test attribute (`#[tokio::test]`,
/// `#[sqlx::test(...)]`), the `fn(...)` arguments are what that attribute passes in, and the
/// expression after `=>` builds the store from them (it may `.await`).
#[macro_export]
macro_rules! store_contract {
    ($(#[$attr:meta])* fn $args:tt => $make:expr) => {
        $crate::store_contract!(@each [$(#[$attr])*] $args $make;
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
            list_filters_by_status_channel_and_updated_after,
            list_pages_neither_skip_nor_repeat_while_inserts_happen,
            poll_cursors_are_kept_per_channel,
            one_poller_holds_a_channel_until_its_lease_runs_out,
            ping_answers,
            claim_takes_due_rows_oldest_first,
            deliveries_of_one_order_go_out_in_order,
            an_expired_lease_lets_another_worker_claim,
            a_lost_lease_writes_nothing,
            complete_many_records_each_outcome_and_skips_lost_leases,
            a_retry_is_due_again_at_its_time_and_counts_the_attempt,
            delivered_rows_keep_the_remote_reference_and_an_event,
            dead_rows_hold_back_their_order_and_can_be_requeued,
            requeue_of_a_missing_or_live_row_is_refused,
            release_gives_back_leases_without_counting_an_attempt,
            skipped_channels_are_not_claimed,
            outbox_stats_count_pending_and_dead,
            deliveries_are_listed_newest_first_by_keyset
        );
    };
    (@each $attrs:tt $args:tt $make:expr; $name:ident $(, $rest:ident)*) => {
        $crate::store_contract!(@one $attrs $args $make; $name);
        $crate::store_contract!(@each $attrs $args $make; $($rest),*);
    };
    (@each $attrs:tt $args:tt $make:expr;) => {};
    (@one [$($attr:tt)*] $args:tt $make:expr; $name:ident) => {
        $($attr)*
        async fn $name $args {
            let store = $make;
            $crate::$name(&store).await;
        }
    };
}
