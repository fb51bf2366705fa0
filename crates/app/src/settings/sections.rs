//! The service's own settings, by section (each marketplace's account settings are in its own
//! crate).

orderbridge_domain::settings_section! {
    /// Top-level settings.
    pub struct Root("") {
        /// Address the HTTP server listens on.
        listen: String = "127.0.0.1:8080",
    }
}

orderbridge_domain::settings_section! {
    /// The store.
    pub struct DatabaseSection("database") {
        /// PostgreSQL URL (`postgres://user@host/db`); also read from `DATABASE_URL`. Unset: SQLite.
        url: Option<String> = unset (secret),
        /// SQLite file used when no database URL is set (relative to the working directory).
        sqlite_path: String = "orderbridge.sqlite",
        /// Connections in the database pool.
        max_connections: u32 = 10,
        /// PostgreSQL: longest time one statement may run (`statement_timeout` on every connection; migrations run without it); 0 means no limit. SQLite, whose statements cannot be cut off: how long a statement waits for another process's write lock (`busy_timeout`; 0 keeps 5 s) before it fails.
        statement_timeout_ms: u64 = 30000,
    }
}

orderbridge_domain::settings_section! {
    /// Logs.
    pub struct LogSection("log") {
        /// `pretty` or `json`.
        format: String = "pretty",
        /// Log filter, `tracing` syntax (`info,orderbridge=debug`).
        filter: String = "info",
    }
}

orderbridge_domain::settings_section! {
    /// The HTTP server's limits.
    pub struct HttpSection("http") {
        /// Largest request body accepted (413 above).
        body_limit_bytes: u64 = 1048576,
        /// A request taking longer is answered 503.
        request_timeout_secs: u64 = 30,
        /// A connection that has not sent a request's whole header within this long of waiting for it (from the connection's start, or from the previous answer on a kept-alive one) is closed: slow or stalled clients hold nothing for long. At least 100.
        header_read_timeout_ms: u64 = 10000,
        /// A connection on which nothing was read or written for this long is closed (after the answer in progress, if any).
        idle_timeout_secs: u64 = 60,
        /// Open connections at most; at the cap the server stops accepting until one closes (new clients wait in the operating system's backlog rather than being refused).
        max_connections: u32 = 1024,
        /// Requests handled at once at most; above it a request is answered 503 with `Retry-After: 1` at once, rather than queued into a timeout (`/healthz` is exempt).
        max_in_flight: u64 = 256,
    }
}

orderbridge_domain::settings_section! {
    /// The warehouse API.
    pub struct WarehouseSection("warehouse") {
        /// Comma-separated keys the warehouse API accepts as `Authorization: Bearer`. Unset: the warehouse API refuses every request.
        api_keys: Vec<String> = unset (secret),
    }
}

orderbridge_domain::settings_section! {
    /// Stopping.
    pub struct ShutdownSection("shutdown") {
        /// On SIGTERM/SIGINT, how long in-flight requests and deliveries may take to finish.
        timeout_secs: u64 = 30,
    }
}

orderbridge_domain::settings_section! {
    /// Orders: updates and ship-by.
    pub struct OrdersSection("orders") {
        /// Attempts of one order update under concurrent changes before answering 409.
        max_update_attempts: u32 = 20,
        /// How often orders past the marketplace's deadline (ADM `deliver_by`, FeedAMP `latest_ship_date`) with units still open are counted (gauge `orderbridge_orders_overdue{channel}`) and each newly overdue one raises one `order_overdue` alert.
        overdue_check_secs: u64 = 60,
    }
}

orderbridge_domain::settings_section! {
    /// The dispatcher.
    pub struct DispatchSection("dispatch") {
        /// Whether this instance sends deliveries. `false` makes an instance that records (webhooks, polls, the warehouse API) but leaves every delivery in the outbox for the instances that send: an API-only instance, or one that must not reach the marketplaces.
        enabled: bool = true,
        /// Deliveries sent at once by this instance to each channel account (a channel whose calls hang never takes another's slots); a send's slot is free again once its outcome is committed, so this is also the most a crash can send twice per channel.
        concurrency: u64 = 8,
        /// Outbox rows claimed per query; the dispatcher keeps up to twice this many claimed ahead.
        batch_size: u32 = 32,
        /// Pause between outbox queries when nothing is due.
        idle_poll_ms: u64 = 500,
        /// First retry delay; doubles per attempt (with jitter).
        retry_base_secs: u64 = 5,
        /// Longest delay between attempts.
        retry_cap_secs: u64 = 900,
        /// A delivery still failing this long after it was queued is parked.
        max_age_hours: u64 = 72,
        /// How long a claimed row is held before another instance may take it, counted by the database's clock. Renewed every third of it while the row is sent, so a send may take longer; a send whose lease cannot be renewed is cut off (and retried) before the lease runs out. At least 5, and at least the longest call to any marketplace (its `request_timeout_secs`), checked at start-up.
        lease_secs: u64 = 60,
    }
}

orderbridge_domain::settings_section! {
    /// Channel health.
    pub struct ChannelsSection("channels") {
        /// How often a channel paused because its credentials were refused is probed with one delivery; it resumes by itself when the marketplace takes it.
        probe_secs: u64 = 60,
        /// Transient failures in a row (timeouts, 5xx, 429) that make a channel back off as a whole.
        backoff_after: u32 = 5,
        /// A channel's first wait when it backs off; doubles while it keeps failing.
        backoff_base_secs: u64 = 5,
        /// A channel's longest wait between tries while backing off.
        backoff_cap_secs: u64 = 300,
    }
}

orderbridge_domain::settings_section! {
    /// Alerts to operators.
    pub struct AlertsSection("alerts") {
        /// An `https://` URL (or `http://` to a loopback address: 127.0.0.0/8, ::1, localhost) that receives alerts as JSON `{kind, channel, order_id, delivery_id, message, at, text}` (delivery parked, channel paused, channel resumed, inbound order rejected, order overdue), sent through a durable queue and retried. Unset: no alerts.
        webhook_url: Option<String> = unset,
        /// Allows a plain `http://` `alerts.webhook_url` to any host, sending alerts in clear: for tests only.
        allow_insecure_http: bool = false,
        /// Signs each alert with the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`); `whsec_<base64>` or any text. Unset: unsigned.
        signing_secret: Option<String> = unset (secret),
    }
}

orderbridge_domain::settings_section! {
    /// Retention of personal data.
    pub struct RetentionSection("retention") {
        /// Days to keep customer personal data once an order is complete (every unit shipped or cancelled, every delivery done): then its email, shipping address, raw payload and notes are erased (lines, totals and history stay), and so are quarantined bodies this many days after their replay or discard. At least 1. Unset: everything is kept.
        days: Option<u32> = unset,
    }
}
