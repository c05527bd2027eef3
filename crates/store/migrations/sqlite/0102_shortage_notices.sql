-- Shortage notices distribution sent to every hospital when a group fell below its
-- critical level. Append-only.
CREATE TABLE shortage_notices (
    id BLOB PRIMARY KEY,
    product TEXT NOT NULL,
    -- "O-"; NULL: every group
    blood_group TEXT,
    message TEXT NOT NULL,
    days_of_supply REAL,
    recipients INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    sent_by TEXT NOT NULL
);
CREATE INDEX shortage_notices_sent ON shortage_notices(sent_at);
CREATE TRIGGER shortage_notices_no_update BEFORE UPDATE ON shortage_notices
BEGIN SELECT RAISE(ABORT, 'shortage notices are append-only'); END;
CREATE TRIGGER shortage_notices_no_delete BEFORE DELETE ON shortage_notices
BEGIN SELECT RAISE(ABORT, 'shortage notices are append-only'); END;
