-- Deliveries wait for the deliveries they depend on, not for every older row of their order
-- (design sections 6 and 11). Two new states: `resolved` (done by hand on the marketplace, as
-- an operator noted; it releases its waiters like `delivered`) and `superseded` (a whole-order
-- call replaced before it was sent by a newer one, which its waiters then wait for).
ALTER TABLE outbox DROP CONSTRAINT outbox_state_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_state_check
    CHECK (state IN ('pending', 'delivered', 'dead', 'resolved', 'superseded'));

-- What each delivery waits for. A row is claimed only when every row it waits for is
-- delivered or resolved. Only rows still pending or parked are recorded as waited for.
CREATE TABLE outbox_waits (
    delivery_id       uuid NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    waits_for         uuid NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    PRIMARY KEY (delivery_id, waits_for)
);
CREATE INDEX outbox_waits_for_idx ON outbox_waits (waits_for);

-- Existing rows, to the same meaning, as a row queued now would get it. Everything but a
-- confirmation waits for the order's confirmation; a refund also waits for the calls that
-- reported shipments before it (the whole-order call, or the order's shipments).
INSERT INTO outbox_waits (delivery_id, waits_for)
SELECT o.id, p.id
FROM outbox o
JOIN outbox p ON p.order_id = o.order_id AND p.channel = o.channel AND p.seq < o.seq
WHERE o.state IN ('pending', 'dead') AND p.state IN ('pending', 'dead')
  AND o.kind <> 'confirm'
  AND (p.kind = 'confirm'
       OR (o.kind = 'refund' AND p.kind IN ('order_fulfillment', 'fulfillment')))
ON CONFLICT DO NOTHING;
-- At most one whole-order call pending per order: the older ones not taken by a sender give
-- way to the newest, which what waited for them now waits for.
UPDATE outbox SET state = 'superseded'
WHERE kind = 'order_fulfillment' AND state = 'pending' AND lease_token IS NULL
  AND EXISTS (SELECT 1 FROM outbox n
              WHERE n.order_id = outbox.order_id AND n.channel = outbox.channel
                AND n.kind = 'order_fulfillment' AND n.state = 'pending'
                AND n.seq > outbox.seq);
INSERT INTO outbox_waits (delivery_id, waits_for)
SELECT w.delivery_id, n.id
FROM outbox_waits w
JOIN outbox s ON s.id = w.waits_for AND s.state = 'superseded'
JOIN outbox n ON n.order_id = s.order_id AND n.channel = s.channel
             AND n.kind = 'order_fulfillment' AND n.state = 'pending'
WHERE n.id <> w.delivery_id
  AND NOT EXISTS (SELECT 1 FROM outbox m
                  WHERE m.order_id = n.order_id AND m.channel = n.channel
                    AND m.kind = 'order_fulfillment' AND m.state = 'pending'
                    AND m.seq > n.seq)
ON CONFLICT DO NOTHING;
DELETE FROM outbox_waits
WHERE waits_for IN (SELECT id FROM outbox WHERE state = 'superseded');

-- The old claim's rule (no older undelivered row of the order) needed this index; the new one
-- looks up waits by delivery.
DROP INDEX outbox_order_undelivered_idx;
