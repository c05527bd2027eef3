-- Campaign messages (email, SMS) waiting to go out, and what became of each. A
-- campaign queues one row per donor in the transaction that creates it; a worker in
-- each server claims due rows (a lease: claimed_by / claimed_until), delivers them
-- at the configured rate, and marks each sent right after the mail server or SMS
-- gateway accepted it. A claim whose lease ran out (the server stopped) is taken
-- again. The row id is the message's idempotency key (the email's Message-ID).
CREATE TABLE campaign_outbox (
    id UUID PRIMARY KEY,
    campaign_id UUID NOT NULL REFERENCES recruitment_campaigns(id),
    contact_id UUID NOT NULL UNIQUE REFERENCES campaign_contacts(id),
    donor_id UUID NOT NULL REFERENCES donors(id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    unsubscribe_url TEXT,
    -- queued (due at next_attempt_at), sending (claimed), sent, bounced (refused for good), failed (gave up)
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'bounced', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error TEXT,
    claimed_by TEXT,
    claimed_until TIMESTAMPTZ,
    queued_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    UNIQUE (campaign_id, donor_id, channel)
);
CREATE INDEX campaign_outbox_due ON campaign_outbox(status, next_attempt_at);
CREATE INDEX campaign_outbox_campaign ON campaign_outbox(campaign_id, status);

-- The shared send pace of every server: each message reserves the next free slot.
CREATE TABLE outbox_pacer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_at TIMESTAMPTZ NOT NULL
);
INSERT INTO outbox_pacer (id, next_at) VALUES (1, '1970-01-01 00:00:00+00');
