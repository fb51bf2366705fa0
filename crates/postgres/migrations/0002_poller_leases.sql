-- One instance polls a pull channel account at a time: it holds a lease that it renews.
CREATE TABLE poller_leases (
    channel           text PRIMARY KEY,
    owner             uuid NOT NULL,
    lease_until       timestamptz NOT NULL
);
