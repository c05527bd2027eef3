-- Every email hemaflow tried to send, delivered or not: the record of what went to whom.
CREATE TABLE sent_emails (
    id BLOB PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    kind TEXT NOT NULL,
    related TEXT,
    status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    error TEXT,
    sent_at TEXT NOT NULL
);
CREATE INDEX sent_emails_related ON sent_emails(related);
CREATE INDEX sent_emails_kind ON sent_emails(kind, sent_at);
CREATE TRIGGER sent_emails_no_update BEFORE UPDATE ON sent_emails
BEGIN SELECT RAISE(ABORT, 'sent emails are append-only'); END;
CREATE TRIGGER sent_emails_no_delete BEFORE DELETE ON sent_emails
BEGIN SELECT RAISE(ABORT, 'sent emails are append-only'); END;
