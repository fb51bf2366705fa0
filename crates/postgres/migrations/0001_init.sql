-- orderbridge schema on PostgreSQL. Money is NUMERIC, time is timestamptz (UTC).

CREATE TABLE orders (
    id                uuid PRIMARY KEY,
    channel           text NOT NULL,
    external_id       text NOT NULL,
    version           bigint NOT NULL CHECK (version >= 1),
    -- Derived from the line tallies by the domain on every save; kept for filtering.
    status            text NOT NULL
                      CHECK (status IN ('open', 'partially_fulfilled', 'fulfilled', 'cancelled')),
    currency          char(3) NOT NULL,
    placed_at         timestamptz NOT NULL,
    received_at       timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deliver_by        timestamptz,
    email             text,
    shipping_address  jsonb,
    shipping_service  text,
    subtotal_price    numeric,
    total_discounts   numeric,
    total_shipping    numeric,
    total_tax         numeric,
    total_price       numeric,
    raw_payload       json,
    CONSTRAINT orders_channel_external_key UNIQUE (channel, external_id)
);
CREATE INDEX orders_updated_idx ON orders (updated_at, id);
CREATE INDEX orders_status_updated_idx ON orders (status, updated_at, id);
CREATE INDEX orders_channel_updated_idx ON orders (channel, updated_at, id);

CREATE TABLE order_lines (
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no           integer NOT NULL CHECK (line_no >= 1),
    sku               text NOT NULL CHECK (sku <> ''),
    quantity          integer NOT NULL CHECK (quantity >= 1),
    unit_price        numeric NOT NULL CHECK (unit_price >= 0),
    total_discount    numeric NOT NULL,
    total_tax         numeric NOT NULL,
    external_line_id  text,
    title             text,
    shipped           integer NOT NULL DEFAULT 0 CHECK (shipped >= 0),
    cancelled         integer NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
    refunded          integer NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= quantity),
    -- Design rule 2, backed by the database as well as the domain.
    CONSTRAINT order_lines_settled_check CHECK (shipped + cancelled <= quantity),
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE fulfillments (
    id                uuid PRIMARY KEY,
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          integer NOT NULL CHECK (position >= 0),
    tracking_number   text NOT NULL CHECK (tracking_number <> ''),
    carrier           text,
    tracking_url      text,
    shipped_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL,
    CONSTRAINT fulfillments_order_tracking_key UNIQUE (order_id, tracking_number),
    CONSTRAINT fulfillments_order_position_key UNIQUE (order_id, position)
);

CREATE TABLE fulfillment_lines (
    fulfillment_id    uuid NOT NULL REFERENCES fulfillments (id) ON DELETE CASCADE,
    position          integer NOT NULL,
    line_no           integer NOT NULL,
    sku               text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity >= 1),
    PRIMARY KEY (fulfillment_id, position)
);

CREATE TABLE cancellations (
    id                uuid PRIMARY KEY,
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          integer NOT NULL CHECK (position >= 0),
    reason            text NOT NULL,
    whole_order       boolean NOT NULL,
    note              text,
    created_at        timestamptz NOT NULL,
    CONSTRAINT cancellations_order_position_key UNIQUE (order_id, position)
);

CREATE TABLE cancellation_lines (
    cancellation_id   uuid NOT NULL REFERENCES cancellations (id) ON DELETE CASCADE,
    position          integer NOT NULL,
    line_no           integer NOT NULL,
    sku               text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity >= 1),
    PRIMARY KEY (cancellation_id, position)
);

CREATE TABLE refunds (
    id                uuid PRIMARY KEY,
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position          integer NOT NULL CHECK (position >= 0),
    reference         text,
    reason            text NOT NULL,
    note              text,
    created_at        timestamptz NOT NULL,
    CONSTRAINT refunds_order_position_key UNIQUE (order_id, position),
    CONSTRAINT refunds_order_reference_key UNIQUE (order_id, reference)
);

CREATE TABLE refund_lines (
    refund_id         uuid NOT NULL REFERENCES refunds (id) ON DELETE CASCADE,
    position          integer NOT NULL,
    line_no           integer NOT NULL,
    sku               text NOT NULL,
    quantity          integer NOT NULL CHECK (quantity >= 0),
    amount            numeric NOT NULL CHECK (amount > 0),
    PRIMARY KEY (refund_id, position)
);

CREATE TABLE order_events (
    seq               bigserial PRIMARY KEY,
    id                uuid NOT NULL UNIQUE,
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at                timestamptz NOT NULL,
    kind              text NOT NULL,
    subject           uuid,
    detail            text NOT NULL
);
CREATE INDEX order_events_order_idx ON order_events (order_id, seq);

CREATE TABLE outbox (
    seq               bigserial PRIMARY KEY,
    id                uuid NOT NULL UNIQUE,
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    channel           text NOT NULL,
    kind              text NOT NULL,
    subject           uuid,
    line_no           integer,
    state             text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at        timestamptz NOT NULL,
    next_attempt_at   timestamptz NOT NULL,
    last_error        text,
    remote_ref        text,
    delivered_at      timestamptz,
    lease_token       uuid,
    lease_until       timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, seq) WHERE state = 'pending';
CREATE INDEX outbox_order_undelivered_idx ON outbox (order_id, seq) WHERE state <> 'delivered';
CREATE INDEX outbox_state_seq_idx ON outbox (state, seq);
CREATE INDEX outbox_lease_idx ON outbox (lease_token) WHERE lease_token IS NOT NULL;

CREATE TABLE poll_cursors (
    channel           text PRIMARY KEY,
    cursor            text NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);
