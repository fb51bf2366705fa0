-- Signed webhook calls received (Standard Webhooks `webhook-id`, design section 12), kept until
-- a replay of the call would fail its timestamp check anyway, so that a replay is refused.
-- Rows past `keep_until` are deleted as new ones come.
CREATE TABLE webhook_ids (
    channel     TEXT NOT NULL,
    webhook_id  TEXT NOT NULL,
    received_at TEXT NOT NULL,
    keep_until  TEXT NOT NULL,
    PRIMARY KEY (channel, webhook_id)
) WITHOUT ROWID;
CREATE INDEX webhook_ids_keep_until_idx ON webhook_ids (keep_until);
