-- Channel health (design section 11): one row per channel account that ever left `active`,
-- written by compare-and-set on `version` so that several instances agree.
CREATE TABLE channel_states (
    channel           text PRIMARY KEY,
    state             text NOT NULL CHECK (state IN ('active', 'backing_off', 'paused')),
    reason            text,
    paused_by         text CHECK (paused_by IN ('credentials', 'operator')),
    since             timestamptz NOT NULL,
    failures          integer NOT NULL CHECK (failures >= 0),
    until             timestamptz,
    last_success      timestamptz,
    version           bigint NOT NULL CHECK (version > 0)
);

-- Alerts to operators, queued in the transaction of the change that raised them and sent by
-- the dispatcher to the alerts webhook, claimed under a lease like the outbox.
CREATE TABLE alerts (
    seq               bigserial PRIMARY KEY,
    id                uuid NOT NULL UNIQUE,
    kind              text NOT NULL,
    channel           text NOT NULL,
    order_id          uuid,
    delivery_id       uuid,
    message           text NOT NULL,
    at                timestamptz NOT NULL,
    state             text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   timestamptz NOT NULL,
    last_error        text,
    lease_token       uuid,
    lease_until       timestamptz
);
CREATE INDEX alerts_due_idx ON alerts (next_attempt_at, seq) WHERE state = 'pending';
