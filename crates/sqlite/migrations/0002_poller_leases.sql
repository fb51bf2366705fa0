-- One instance polls a pull channel account at a time: it holds a lease that it renews.
CREATE TABLE poller_leases (
    channel           TEXT PRIMARY KEY,
    owner             BLOB NOT NULL,
    lease_until       TEXT NOT NULL
) STRICT;
