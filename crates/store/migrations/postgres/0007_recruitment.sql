-- Recruitment: saved segments of the donor pool, campaigns with their contacts and
-- call outcomes, and weekly collection targets per blood group and procedure.

CREATE TABLE recruitment_segments (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    filter_json TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE recruitment_campaigns (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    segment_id UUID NOT NULL REFERENCES recruitment_segments(id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'phone')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    contact_limit BIGINT NOT NULL,
    cost_per_contact_cents BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE campaign_contacts (
    id UUID PRIMARY KEY,
    campaign_id UUID NOT NULL REFERENCES recruitment_campaigns(id),
    donor_id UUID NOT NULL REFERENCES donors(id),
    rank BIGINT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    address TEXT NOT NULL,
    -- listed (call list, not yet called), queued (message not sent yet), called, sent, failed (not accepted), bounced
    status TEXT NOT NULL CHECK (status IN ('listed', 'queued', 'called', 'sent', 'failed', 'bounced')),
    detail TEXT,
    contacted_at TIMESTAMPTZ,
    unsubscribe_hash TEXT UNIQUE,
    unsubscribed_at TIMESTAMPTZ,
    UNIQUE (campaign_id, donor_id)
);
CREATE INDEX campaign_contacts_donor ON campaign_contacts(donor_id, contacted_at);

CREATE TABLE call_outcomes (
    id UUID PRIMARY KEY,
    contact_id UUID NOT NULL REFERENCES campaign_contacts(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('reached', 'booked', 'declined', 'no_answer', 'wrong_number')),
    note TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL
);
CREATE INDEX call_outcomes_contact ON call_outcomes(contact_id);
CREATE TRIGGER call_outcomes_append_only BEFORE UPDATE OR DELETE ON call_outcomes
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();

CREATE TABLE recruitment_targets (
    abo TEXT NOT NULL,
    rhd TEXT NOT NULL,
    procedure TEXT NOT NULL,
    units_per_week BIGINT NOT NULL CHECK (units_per_week >= 0),
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (abo, rhd, procedure)
);
