-- The inbound quarantine (design section 11): what a marketplace sent that could not be turned
-- into an order, kept whole. One body from one channel is kept once while it is rejected
-- (`digest` is its SHA-256); arriving again only counts it.
CREATE TABLE inbound (
    seq               bigserial PRIMARY KEY,
    id                uuid NOT NULL UNIQUE,
    channel           text NOT NULL,
    external_id       text,
    body              bytea NOT NULL,
    digest            bytea NOT NULL,
    error             text NOT NULL,
    state             text NOT NULL CHECK (state IN ('rejected', 'replayed', 'discarded')),
    first_seen_at     timestamptz NOT NULL,
    last_seen_at      timestamptz NOT NULL,
    seen              integer NOT NULL CHECK (seen >= 1),
    order_id          uuid,
    closed_at         timestamptz
);
CREATE UNIQUE INDEX inbound_rejected_body_idx ON inbound (channel, digest)
    WHERE state = 'rejected';
CREATE INDEX inbound_state_seq_idx ON inbound (state, seq);
