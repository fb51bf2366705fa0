//! The settings of one FeedAMP account (`[[feedamp]]` in the TOML file;
//! `ORDERBRIDGE_FEEDAMP_*` for a sole account). Each account has its own token, rate limit,
//! poller lease and cursor.

use super::schema::section;

section! {
    /// One FeedAMP account.
    pub struct FeedampAccount("feedamp") {
        /// Channel id of the account's orders; each account needs its own.
        channel: String = "feedamp",
        /// Base URL of FeedAMP's API. Setting any `feedamp.` key enables FeedAMP, which then needs this, `feedamp.username`, `feedamp.password` and `feedamp.client_id`.
        base_url: Option<String> = unset,
        /// FeedAMP user for the token route (HTTP Basic).
        username: Option<String> = unset,
        /// FeedAMP password.
        password: Option<String> = unset (secret),
        /// FeedAMP client id, sent as the `client` header.
        client_id: Option<String> = unset,
        /// Pause between polls of FeedAMP's new orders.
        poll_interval_secs: u64 = 60,
        /// How long one instance holds the right to poll (renewed after every page; at least twice the poll interval); another instance takes over this long after the poller dies. A poller that stops cleanly gives it back at once.
        poll_lease_secs: u64 = 120,
        /// Path of FeedAMP's new-orders feed.
        new_orders_path: String = "/api/v1/orders/new",
        /// Orders per page, 50 to 200.
        page_limit: u32 = 100,
        /// Most FeedAMP calls per second, over all calls of this instance for this account.
        requests_per_second: u32 = 2,
        /// Carrier sent for shipments recorded without one (FeedAMP needs one). Unset: the warehouse API requires a carrier on FeedAMP orders.
        default_carrier: Option<String> = unset,
        /// Connect timeout of calls to FeedAMP.
        connect_timeout_secs: u64 = 5,
        /// Whole-request timeout of calls to FeedAMP.
        request_timeout_secs: u64 = 30,
    }
}
