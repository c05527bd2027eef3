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

-- A fixed site's weekly schedule: each change is a new version with its reason; the
-- latest version is in force. Hours are JSON [{weekday, opens, closes}], local time.
CREATE TABLE site_schedules (
    id BLOB PRIMARY KEY,
    site_id BLOB NOT NULL REFERENCES sites(id),
    version INTEGER NOT NULL,
    slot_minutes INTEGER NOT NULL CHECK (slot_minutes > 0),
    chairs INTEGER NOT NULL CHECK (chairs >= 0),
    machines INTEGER NOT NULL CHECK (machines >= 0),
    hours TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    UNIQUE (site_id, version)
);
CREATE TRIGGER site_schedules_no_update BEFORE UPDATE ON site_schedules
BEGIN SELECT RAISE(ABORT, 'schedule versions are append-only'); END;
CREATE TRIGGER site_schedules_no_delete BEFORE DELETE ON site_schedules
BEGIN SELECT RAISE(ABORT, 'schedule versions are append-only'); END;

-- A mobile drive: one session of a mobile site on a date, at a location.
CREATE TABLE drive_sessions (
    id BLOB PRIMARY KEY,
    site_id BLOB NOT NULL REFERENCES sites(id),
    on_date TEXT NOT NULL,
    opens TEXT NOT NULL,
    closes TEXT NOT NULL,
    location TEXT NOT NULL,
    slot_minutes INTEGER NOT NULL CHECK (slot_minutes > 0),
    chairs INTEGER NOT NULL CHECK (chairs >= 0),
    machines INTEGER NOT NULL CHECK (machines >= 0),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (site_id, on_date)
);

-- A booked seat: a chair or machine at a site for one slot. The partial unique
-- index makes overbooking impossible whatever the concurrency: seats run from 1 to
-- the slot's capacity and two live appointments cannot hold the same seat.
CREATE TABLE appointments (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    site_id BLOB NOT NULL REFERENCES sites(id),
    drive_session_id BLOB REFERENCES drive_sessions(id),
    procedure TEXT NOT NULL,
    resource TEXT NOT NULL CHECK (resource IN ('chair', 'machine')),
    slot_start TEXT NOT NULL,
    slot_end TEXT NOT NULL,
    seat INTEGER NOT NULL CHECK (seat >= 1),
    status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'attended', 'no_show')),
    booked_at TEXT NOT NULL,
    booked_by TEXT NOT NULL,
    booked_via TEXT NOT NULL CHECK (booked_via IN ('staff', 'link')),
    cancel_token_hash TEXT NOT NULL UNIQUE,
    status_changed_at TEXT,
    status_changed_by TEXT,
    cancel_reason TEXT,
    reminder_sent_at TEXT
);
CREATE UNIQUE INDEX appointments_seat ON appointments(site_id, slot_start, resource, seat) WHERE status <> 'cancelled';
CREATE INDEX appointments_donor ON appointments(donor_id, slot_start);
CREATE INDEX appointments_start ON appointments(slot_start);

-- Personal booking links: only the SHA-256 of the token is kept.
CREATE TABLE booking_links (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
