-- Captured mail: a server without an SMTP server (or without an SMS webhook) keeps
-- the messages it would have sent here instead, marked as not sent, so the whole
-- recruitment flow can be tried (the demo) and nothing pretends to have gone out.
-- Campaign messages and contacts get the status 'captured' for this.
CREATE TABLE captured_messages (
    id UUID PRIMARY KEY,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    kind TEXT NOT NULL,
    related TEXT,
    campaign_id UUID REFERENCES recruitment_campaigns(id),
    donor_number TEXT,
    captured_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX captured_messages_at ON captured_messages(captured_at, id);
CREATE INDEX captured_messages_related ON captured_messages(related);
SELECT hemaflow_protect_append_only('captured_messages');

ALTER TABLE campaign_contacts DROP CONSTRAINT campaign_contacts_status_check;
ALTER TABLE campaign_contacts ADD CONSTRAINT campaign_contacts_status_check
    CHECK (status IN ('listed', 'queued', 'called', 'sent', 'failed', 'bounced', 'captured'));
ALTER TABLE campaign_outbox DROP CONSTRAINT campaign_outbox_status_check;
ALTER TABLE campaign_outbox ADD CONSTRAINT campaign_outbox_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'bounced', 'failed', 'captured'));
