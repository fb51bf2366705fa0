-- What the marketplace says of an order after it arrived (design section 11).
-- An order on hold at the marketplace (FeedAMP's `paused`) refuses shipments; an order the
-- marketplace cancelled records when, and refuses shipments for good.
ALTER TABLE orders ADD COLUMN on_hold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN marketplace_cancelled_at TEXT;

-- Who cancelled units: the warehouse (reported to the marketplace) or the marketplace (never
-- reported back). Every cancellation before this migration came from the warehouse.
ALTER TABLE cancellations ADD COLUMN origin TEXT NOT NULL DEFAULT 'warehouse'
    CHECK (origin IN ('warehouse', 'marketplace'));

-- A marketplace cancellation that arrived before its order, applied when the order arrives.
CREATE TABLE marketplace_cancellations (
    channel           TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    reason            TEXT NOT NULL,
    note              TEXT,
    cancelled_at      TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    PRIMARY KEY (channel, external_id)
) WITHOUT ROWID;

-- A body an operator discarded is found by its digest whatever its state.
CREATE INDEX inbound_digest_idx ON inbound (channel, digest);
