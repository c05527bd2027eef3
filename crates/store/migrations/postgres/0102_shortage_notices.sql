-- Shortage notices distribution sent to every hospital when a group fell below its
-- critical level. Append-only.
CREATE TABLE shortage_notices (
    id UUID PRIMARY KEY,
    product TEXT NOT NULL,
    -- "O-"; NULL: every group
    blood_group TEXT,
    message TEXT NOT NULL,
    days_of_supply DOUBLE PRECISION,
    recipients BIGINT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    sent_by TEXT NOT NULL
);
CREATE INDEX shortage_notices_sent ON shortage_notices(sent_at);
SELECT hemaflow_protect_append_only('shortage_notices');
