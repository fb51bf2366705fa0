-- Deliveries wait for the deliveries they depend on, not for every older row of their order
-- (design sections 6 and 11). Two new states: `resolved` (done by hand on the marketplace, as
-- an operator noted; it releases its waiters like `delivered`) and `superseded` (a whole-order
-- call replaced before it was sent by a newer one, which its waiters then wait for).
-- SQLite cannot change a CHECK constraint: the table is rebuilt with the same columns.
CREATE TABLE outbox_new (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                BLOB NOT NULL UNIQUE,
    order_id          BLOB NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    channel           TEXT NOT NULL,
    kind              TEXT NOT NULL,
    subject           BLOB,
    line_no           INTEGER,
    state             TEXT NOT NULL
                      CHECK (state IN ('pending', 'delivered', 'dead', 'resolved', 'superseded')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at        TEXT NOT NULL,
    next_attempt_at   TEXT NOT NULL,
    last_error        TEXT,
    remote_ref        TEXT,
    delivered_at      TEXT,
    lease_token       BLOB,
    lease_until       TEXT
) STRICT;
INSERT INTO outbox_new (seq, id, order_id, channel, kind, subject, line_no, state, attempts,
                        created_at, next_attempt_at, last_error, remote_ref, delivered_at,
                        lease_token, lease_until)
SELECT seq, id, order_id, channel, kind, subject, line_no, state, attempts, created_at,
       next_attempt_at, last_error, remote_ref, delivered_at, lease_token, lease_until
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, seq) WHERE state = 'pending';
CREATE INDEX outbox_state_seq_idx ON outbox (state, seq);
CREATE INDEX outbox_lease_idx ON outbox (lease_token) WHERE lease_token IS NOT NULL;
CREATE INDEX outbox_order_seq_idx ON outbox (order_id, seq);

-- What each delivery waits for. A row is claimed only when every row it waits for is
-- delivered or resolved. Only rows still pending or parked are recorded as waited for.
CREATE TABLE outbox_waits (
    delivery_id       BLOB NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    waits_for         BLOB NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    PRIMARY KEY (delivery_id, waits_for)
) STRICT, WITHOUT ROWID;
CREATE INDEX outbox_waits_for_idx ON outbox_waits (waits_for);

-- Existing rows, to the same meaning, as a row queued now would get it. Everything but a
-- confirmation waits for the order's confirmation; a refund also waits for the calls that
-- reported shipments before it (the whole-order call, or the order's shipments).
INSERT OR IGNORE INTO outbox_waits (delivery_id, waits_for)
SELECT o.id, p.id
FROM outbox o
JOIN outbox p ON p.order_id = o.order_id AND p.channel = o.channel AND p.seq < o.seq
WHERE o.state IN ('pending', 'dead') AND p.state IN ('pending', 'dead')
  AND o.kind <> 'confirm'
  AND (p.kind = 'confirm'
       OR (o.kind = 'refund' AND p.kind IN ('order_fulfillment', 'fulfillment')));
-- At most one whole-order call pending per order: the older ones not taken by a sender give
-- way to the newest, which what waited for them now waits for.
UPDATE outbox SET state = 'superseded'
WHERE kind = 'order_fulfillment' AND state = 'pending' AND lease_token IS NULL
  AND EXISTS (SELECT 1 FROM outbox n
              WHERE n.order_id = outbox.order_id AND n.channel = outbox.channel
                AND n.kind = 'order_fulfillment' AND n.state = 'pending'
                AND n.seq > outbox.seq);
INSERT OR IGNORE INTO outbox_waits (delivery_id, waits_for)
SELECT w.delivery_id, n.id
FROM outbox_waits w
JOIN outbox s ON s.id = w.waits_for AND s.state = 'superseded'
JOIN outbox n ON n.order_id = s.order_id AND n.channel = s.channel
             AND n.kind = 'order_fulfillment' AND n.state = 'pending'
WHERE n.id <> w.delivery_id
  AND NOT EXISTS (SELECT 1 FROM outbox m
                  WHERE m.order_id = n.order_id AND m.channel = n.channel
                    AND m.kind = 'order_fulfillment' AND m.state = 'pending'
                    AND m.seq > n.seq);
DELETE FROM outbox_waits
WHERE waits_for IN (SELECT id FROM outbox WHERE state = 'superseded');
