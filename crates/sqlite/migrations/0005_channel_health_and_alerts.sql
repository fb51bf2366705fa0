-- Channel health (design section 11): one row per channel account that ever left `active`,
-- written by compare-and-set on `version` so that several instances agree.
CREATE TABLE channel_states (
    channel           TEXT PRIMARY KEY,
    state             TEXT NOT NULL CHECK (state IN ('active', 'backing_off', 'paused')),
    reason            TEXT,
    paused_by         TEXT CHECK (paused_by IN ('credentials', 'operator')),
    since             TEXT NOT NULL,
    failures          INTEGER NOT NULL CHECK (failures >= 0),
    until             TEXT,
    last_success      TEXT,
    version           INTEGER NOT NULL CHECK (version > 0)
) STRICT;

-- Alerts to operators, queued in the transaction of the change that raised them and sent by
-- the dispatcher to the alerts webhook, claimed under a lease like the outbox.
CREATE TABLE alerts (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    id                BLOB NOT NULL UNIQUE,
    kind              TEXT NOT NULL,
    channel           TEXT NOT NULL,
    order_id          BLOB,
    delivery_id       BLOB,
    message           TEXT NOT NULL,
    at                TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   TEXT NOT NULL,
    last_error        TEXT,
    lease_token       BLOB,
    lease_until       TEXT
) STRICT;
CREATE INDEX alerts_due_idx ON alerts (next_attempt_at, seq) WHERE state = 'pending';
