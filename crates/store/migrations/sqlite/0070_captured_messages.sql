-- Captured mail: a server without an SMTP server (or without an SMS webhook) keeps
-- the messages it would have sent here instead, marked as not sent, so the whole
-- recruitment flow can be tried (the demo) and nothing pretends to have gone out.
-- Campaign messages and contacts get the status 'captured' for this; SQLite cannot
-- change a CHECK constraint, so both tables are rebuilt: copied aside, dropped,
-- created anew and filled again. Foreign keys are checked at commit (deferred), when
-- every referenced contact is back.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE captured_messages (
    id BLOB PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- what it is: campaign, appointment.confirmation, appointment.reminder, …
    kind TEXT NOT NULL,
    -- what it is about: a campaign contact, an appointment
    related TEXT,
    campaign_id BLOB REFERENCES recruitment_campaigns(id),
    donor_number TEXT,
    captured_at TEXT NOT NULL
);
CREATE INDEX captured_messages_at ON captured_messages(captured_at, id);
CREATE INDEX captured_messages_related ON captured_messages(related);
CREATE TRIGGER captured_messages_no_update BEFORE UPDATE ON captured_messages
BEGIN SELECT RAISE(ABORT, 'captured messages are append-only'); END;
CREATE TRIGGER captured_messages_no_delete BEFORE DELETE ON captured_messages
BEGIN SELECT RAISE(ABORT, 'captured messages are append-only'); END;

CREATE TABLE campaign_contacts_copy AS SELECT * FROM campaign_contacts;
DROP TABLE campaign_contacts;
CREATE TABLE campaign_contacts (
    id BLOB PRIMARY KEY,
    campaign_id BLOB NOT NULL REFERENCES recruitment_campaigns(id),
    donor_id BLOB NOT NULL REFERENCES donors(id),
    rank INTEGER NOT NULL,
    score REAL NOT NULL,
    address TEXT NOT NULL,
    -- listed (call list, not yet called), queued (message not sent yet), called, sent,
    -- failed (not accepted), bounced, captured (kept in the Outbox: no mail server or SMS webhook)
    status TEXT NOT NULL CHECK (status IN ('listed', 'queued', 'called', 'sent', 'failed', 'bounced', 'captured')),
    detail TEXT,
    contacted_at TEXT,
    unsubscribe_hash TEXT UNIQUE,
    unsubscribed_at TEXT,
    UNIQUE (campaign_id, donor_id)
);
INSERT INTO campaign_contacts SELECT id, campaign_id, donor_id, rank, score, address, status, detail, contacted_at, unsubscribe_hash, unsubscribed_at
    FROM campaign_contacts_copy;
DROP TABLE campaign_contacts_copy;
CREATE INDEX campaign_contacts_donor ON campaign_contacts(donor_id, contacted_at);

CREATE TABLE campaign_outbox_copy AS SELECT * FROM campaign_outbox;
DROP TABLE campaign_outbox;
CREATE TABLE campaign_outbox (
    id BLOB PRIMARY KEY,
    campaign_id BLOB NOT NULL REFERENCES recruitment_campaigns(id),
    contact_id BLOB NOT NULL UNIQUE REFERENCES campaign_contacts(id),
    donor_id BLOB NOT NULL REFERENCES donors(id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    unsubscribe_url TEXT,
    -- queued, sending, sent, bounced, failed, captured (kept in the Outbox, not sent)
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'bounced', 'failed', 'captured')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until TEXT,
    queued_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (campaign_id, donor_id, channel)
);
INSERT INTO campaign_outbox SELECT id, campaign_id, contact_id, donor_id, channel, address, subject, body, unsubscribe_url, status,
    attempts, next_attempt_at, last_error, claimed_by, claimed_until, queued_at, sent_at FROM campaign_outbox_copy;
DROP TABLE campaign_outbox_copy;
CREATE INDEX campaign_outbox_due ON campaign_outbox(status, next_attempt_at);
CREATE INDEX campaign_outbox_campaign ON campaign_outbox(campaign_id, status);
