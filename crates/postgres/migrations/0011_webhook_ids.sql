-- Signed webhook calls received (Standard Webhooks `webhook-id`, design section 12), kept until
-- a replay of the call would fail its timestamp check anyway, so that every instance sharing
-- this database refuses a replay. Rows past `keep_until` are deleted as new ones come.
CREATE TABLE webhook_ids (
    channel     text        NOT NULL,
    webhook_id  text        NOT NULL,
    received_at timestamptz NOT NULL,
    keep_until  timestamptz NOT NULL,
    PRIMARY KEY (channel, webhook_id)
);
CREATE INDEX webhook_ids_keep_until_idx ON webhook_ids (keep_until);
