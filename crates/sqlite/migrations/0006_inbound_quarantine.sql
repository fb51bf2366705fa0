-- The inbound quarantine (design section 11): what a marketplace sent that could not be turned
-- into an order, kept whole. One body from one channel is kept once while it is rejected
-- (`digest` is its SHA-256); arriving again only counts it.
CREATE TABLE inbound (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                BLOB NOT NULL UNIQUE,
    channel           TEXT NOT NULL,
    external_id       TEXT,
    body              BLOB NOT NULL,
    digest            BLOB NOT NULL,
    error             TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('rejected', 'replayed', 'discarded')),
    first_seen_at     TEXT NOT NULL,
    last_seen_at      TEXT NOT NULL,
    seen              INTEGER NOT NULL CHECK (seen >= 1),
    order_id          BLOB,
    closed_at         TEXT
) STRICT;
CREATE UNIQUE INDEX inbound_rejected_body_idx ON inbound (channel, digest)
    WHERE state = 'rejected';
CREATE INDEX inbound_state_seq_idx ON inbound (state, seq);
