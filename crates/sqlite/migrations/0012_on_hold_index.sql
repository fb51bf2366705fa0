-- Orders on hold (`GET /v1/orders?on_hold=true`, the console's on-hold filter) in listing order;
-- partial, holding only the orders on hold. The listing repeats its predicate literally
-- (`AND on_hold = 1`), as SQLite uses a partial index only for a query that implies it.
CREATE INDEX orders_on_hold_updated_idx ON orders (updated_at, id) WHERE on_hold = 1;
