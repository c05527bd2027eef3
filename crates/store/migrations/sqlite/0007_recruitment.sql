-- Recruitment: saved segments of the donor pool, campaigns with their contacts and
-- call outcomes, and weekly collection targets per blood group and procedure.

CREATE TABLE recruitment_segments (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    filter_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE recruitment_campaigns (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    segment_id BLOB NOT NULL REFERENCES recruitment_segments(id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'phone')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    contact_limit INTEGER NOT NULL,
    cost_per_contact_cents INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE campaign_contacts (
    id BLOB PRIMARY KEY,
    campaign_id BLOB NOT NULL REFERENCES recruitment_campaigns(id),
    donor_id BLOB NOT NULL REFERENCES donors(id),
    rank INTEGER NOT NULL,
    score REAL NOT NULL,
    address TEXT NOT NULL,
    -- listed (call list, not yet called), queued (message not sent yet), called, sent, failed (not accepted), bounced
    status TEXT NOT NULL CHECK (status IN ('listed', 'queued', 'called', 'sent', 'failed', 'bounced')),
    detail TEXT,
    contacted_at TEXT,
    unsubscribe_hash TEXT UNIQUE,
    unsubscribed_at TEXT,
    UNIQUE (campaign_id, donor_id)
);
CREATE INDEX campaign_contacts_donor ON campaign_contacts(donor_id, contacted_at);

CREATE TABLE call_outcomes (
    id BLOB PRIMARY KEY,
    contact_id BLOB NOT NULL REFERENCES campaign_contacts(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('reached', 'booked', 'declined', 'no_answer', 'wrong_number')),
    note TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX call_outcomes_contact ON call_outcomes(contact_id);
CREATE TRIGGER call_outcomes_no_update BEFORE UPDATE ON call_outcomes
BEGIN SELECT RAISE(ABORT, 'call outcomes are append-only'); END;
CREATE TRIGGER call_outcomes_no_delete BEFORE DELETE ON call_outcomes
BEGIN SELECT RAISE(ABORT, 'call outcomes are append-only'); END;

CREATE TABLE recruitment_targets (
    abo TEXT NOT NULL,
    rhd TEXT NOT NULL,
    procedure TEXT NOT NULL,
    units_per_week INTEGER NOT NULL CHECK (units_per_week >= 0),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (abo, rhd, procedure)
);
