-- Retention of personal data (design section 11): with `retention.days` set, an order's email,
-- shipping address, raw payload and the notes of its cancellations and refunds are erased that
-- many days after it is complete, and a quarantined body that many days after it was replayed
-- or discarded. `erased_at` says when, so that nothing is erased twice.
ALTER TABLE orders ADD COLUMN erased_at timestamptz;
ALTER TABLE inbound ADD COLUMN erased_at timestamptz;
-- The purge walks the settled orders not yet erased by their last change; an order enters this
-- index when it is settled and leaves it when it is erased, so a daily purge reads only what
-- it may erase (and the few settled orders a delivery still holds back).
CREATE INDEX orders_retention_idx ON orders (updated_at, id)
    WHERE erased_at IS NULL AND status IN ('fulfilled', 'cancelled');
