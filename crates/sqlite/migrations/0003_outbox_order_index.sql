-- Listing an order's deliveries (every order read and write answer does) needs an index on
-- order_id over all rows: the partial index of 0001 covers only undelivered rows, so with many
-- delivered rows the lookup scanned the outbox (found by the benchmark with 1,000,000 orders).
CREATE INDEX outbox_order_seq_idx ON outbox (order_id, seq);
