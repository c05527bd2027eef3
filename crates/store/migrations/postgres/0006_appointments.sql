-- Every email hemaflow tried to send, delivered or not: the record of what went to whom.
CREATE TABLE sent_emails (
    id UUID PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    related TEXT,
    status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    error TEXT,
    sent_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sent_emails_related ON sent_emails(related);
CREATE INDEX sent_emails_kind ON sent_emails(kind, sent_at);
CREATE TRIGGER sent_emails_append_only BEFORE UPDATE OR DELETE ON sent_emails
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
