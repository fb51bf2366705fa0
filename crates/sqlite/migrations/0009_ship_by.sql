-- Ship-by (design section 11): an order is overdue when its deadline (`deliver_by`) is past and
-- units are still open. The overdue listing, the gauge's counts and the alert check read this
-- index in deadline order; it holds only orders that can be overdue, the few still open, so it
-- stays small however many orders are stored. Queries repeat its predicate literally: SQLite
-- uses a partial index only for a query whose WHERE clause holds the index's own terms.
CREATE INDEX orders_overdue_idx ON orders (deliver_by, id)
    WHERE status IN ('open', 'partially_fulfilled') AND deliver_by IS NOT NULL;

-- Which orders an `order_overdue` alert was queued for: one row each, written in the
-- transaction that queues the alert. The primary key makes it a compare-and-set, so that of
-- several instances raising an order's alert at once, one writes it.
CREATE TABLE overdue_alerts (
    order_id          BLOB PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    alert_id          BLOB NOT NULL,
    alerted_at        TEXT NOT NULL
) STRICT;
