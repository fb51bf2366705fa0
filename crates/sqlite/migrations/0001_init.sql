-- orderbridge schema on SQLite: the same tables and columns as on PostgreSQL.
-- Tables are STRICT, so a value of the wrong storage class is refused instead of kept.
-- Money is TEXT holding the decimal as written (scale kept: '1.10' stays '1.10'); never REAL.
-- Time is TEXT in UTC, RFC 3339 with exactly six fractional digits and 'Z'
-- ('2024-04-30T12:00:00.123456Z'), so that text order is time order.
-- Ids are 16-byte BLOBs (the UUID's bytes), which sort as PostgreSQL's uuid does.
-- JSON is TEXT, checked with json_valid as PostgreSQL's json type checks it.

CREATE TABLE orders (
    id                BLOB PRIMARY KEY,
    channel           TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 1),
    -- Derived from the line tallies by the domain on every save; kept for filtering.
    status            TEXT NOT NULL
                      CHECK (status IN ('open', 'partially_fulfilled', 'fulfilled', 'cancelled')),
    currency          TEXT NOT NULL CHECK (length(currency) = 3),
    placed_at         TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    deliver_by        TEXT,
    email             TEXT,
    shipping_address  TEXT CHECK (shipping_address IS NULL OR json_valid(shipping_address)),
    shipping_service  TEXT,
    subtotal_price    TEXT,
    total_discounts   TEXT,
    total_shipping    TEXT,
    total_tax         TEXT,
    total_price       TEXT,
    raw_payload       TEXT CHECK (raw_payload IS NULL OR json_valid(raw_payload)),
    CONSTRAINT orders_channel_external_key UNIQUE (channel, external_id)
) STRICT;
CREATE INDEX orders_updated_idx ON orders (updated_at, id);
CREATE INDEX orders_status_updated_idx ON orders (status, updated_at, id);
CREATE INDEX orders_channel_updated_idx ON orders (channel, updated_at, id);

CREATE TABLE order_lines (
    order_id          BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no           INTEGER NOT NULL CHECK (line_no >= 1),
    sku               TEXT NOT NULL CHECK (sku <> ''),
    quantity          INTEGER NOT NULL CHECK (quantity >= 1),
    -- Not negative: the decimal's text does not start with a minus sign.
    unit_price        TEXT NOT NULL CHECK (unit_price NOT LIKE '-%'),
    total_discount    TEXT NOT NULL,
    total_tax         TEXT NOT NULL,
    external_line_id  TEXT,
    title             TEXT,
    shipped           INTEGER NOT NULL DEFAULT 0 CHECK (shipped >= 0),
    cancelled         INTEGER NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
    refunded          INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= quantity),
    -- Design rule 2, backed by the database as well as the domain.
    CONSTRAINT order_lines_settled_check CHECK (shipped + cancelled <= quantity),
    PRIMARY KEY (order_id, line_no)
) STRICT;

CREATE TABLE fulfillments (
    id                BLOB PRIMARY KEY,
    order_id          BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL CHECK (position >= 0),
    tracking_number   TEXT NOT NULL CHECK (tracking_number <> ''),
    carrier           TEXT,
    tracking_url      TEXT,
    shipped_at        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    CONSTRAINT fulfillments_order_tracking_key UNIQUE (order_id, tracking_number),
    CONSTRAINT fulfillments_order_position_key UNIQUE (order_id, position)
) STRICT;

CREATE TABLE fulfillment_lines (
    fulfillment_id    BLOB NOT NULL REFERENCES fulfillments (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    line_no           INTEGER NOT NULL,
    sku               TEXT NOT NULL,
    quantity          INTEGER NOT NULL CHECK (quantity >= 1),
    PRIMARY KEY (fulfillment_id, position)
) STRICT;

CREATE TABLE cancellations (
    id                BLOB PRIMARY KEY,
    order_id          BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL CHECK (position >= 0),
    reason            TEXT NOT NULL,
    whole_order       INTEGER NOT NULL CHECK (whole_order IN (0, 1)),
    note              TEXT,
    created_at        TEXT NOT NULL,
    CONSTRAINT cancellations_order_position_key UNIQUE (order_id, position)
) STRICT;

CREATE TABLE cancellation_lines (
    cancellation_id   BLOB NOT NULL REFERENCES cancellations (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    line_no           INTEGER NOT NULL,
    sku               TEXT NOT NULL,
    quantity          INTEGER NOT NULL CHECK (quantity >= 1),
    PRIMARY KEY (cancellation_id, position)
) STRICT;

CREATE TABLE refunds (
    id                BLOB PRIMARY KEY,
    order_id          BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL CHECK (position >= 0),
    reference         TEXT,
    reason            TEXT NOT NULL,
    note              TEXT,
    created_at        TEXT NOT NULL,
    CONSTRAINT refunds_order_position_key UNIQUE (order_id, position),
    CONSTRAINT refunds_order_reference_key UNIQUE (order_id, reference)
) STRICT;

CREATE TABLE refund_lines (
    refund_id         BLOB NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    line_no           INTEGER NOT NULL,
    sku               TEXT NOT NULL,
    quantity          INTEGER NOT NULL CHECK (quantity >= 0),
    -- Positive: no minus sign, and some digit other than zero.
    amount            TEXT NOT NULL CHECK (amount NOT LIKE '-%' AND amount GLOB '*[1-9]*'),
    PRIMARY KEY (refund_id, position)
) STRICT;

CREATE TABLE order_events (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                BLOB NOT NULL UNIQUE,
    order_id          BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at                TEXT NOT NULL,
    kind              TEXT NOT NULL,
    subject           BLOB,
    detail            TEXT NOT NULL
) STRICT;
CREATE INDEX order_events_order_idx ON order_events (order_id, seq);

CREATE TABLE outbox (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                BLOB NOT NULL UNIQUE,
    order_id          BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    channel           TEXT NOT NULL,
    kind              TEXT NOT NULL,
    subject           BLOB,
    line_no           INTEGER,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at        TEXT NOT NULL,
    next_attempt_at   TEXT NOT NULL,
    last_error        TEXT,
    remote_ref        TEXT,
    delivered_at      TEXT,
    lease_token       BLOB,
    lease_until       TEXT
) STRICT;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, seq) WHERE state = 'pending';
CREATE INDEX outbox_order_undelivered_idx ON outbox (order_id, seq) WHERE state <> 'delivered';
CREATE INDEX outbox_state_seq_idx ON outbox (state, seq);
CREATE INDEX outbox_lease_idx ON outbox (lease_token) WHERE lease_token IS NOT NULL;

CREATE TABLE poll_cursors (
    channel           TEXT PRIMARY KEY,
    cursor            TEXT NOT NULL,
    -- Written by the store from its own clock; SQLite's clock gives only milliseconds.
    updated_at        TEXT NOT NULL
) STRICT;
