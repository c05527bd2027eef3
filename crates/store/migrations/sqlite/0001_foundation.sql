-- Foundation schema (SQLite). UUIDs are 16-byte BLOBs, instants RFC 3339 text in UTC.

CREATE TABLE sites (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- Every edit of a site is a new version; rows are never changed.
CREATE TABLE site_versions (
    site_id BLOB NOT NULL REFERENCES sites(id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fixed', 'mobile')),
    address TEXT,
    city TEXT,
    time_zone TEXT NOT NULL,
    active INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (site_id, version)
);

CREATE TABLE hospitals (
    id BLOB PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE hospital_versions (
    hospital_id BLOB NOT NULL REFERENCES hospitals(id),
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    address TEXT,
    city TEXT,
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    delivery_site TEXT REFERENCES sites(code),
    status TEXT NOT NULL CHECK (status IN ('active', 'on_hold', 'closed')),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (hospital_id, version)
);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    hospital_id BLOB REFERENCES hospitals(id),
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);

CREATE TABLE donors (
    id BLOB PRIMARY KEY,
    donor_number TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    abo TEXT,
    rhd TEXT,
    email TEXT,
    phone TEXT,
    preferred_site BLOB REFERENCES sites(id),
    created_at TEXT NOT NULL
);
CREATE INDEX donors_name ON donors(last_name, first_name);

CREATE TABLE donations (
    id BLOB PRIMARY KEY,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    din TEXT UNIQUE,
    procedure TEXT NOT NULL,
    site_id BLOB REFERENCES sites(id),
    collected_at TEXT NOT NULL
);
CREATE INDEX donations_donor ON donations(donor_id, collected_at);

CREATE TABLE audit_records (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_entity ON audit_records(entity_type, entity_id);
CREATE INDEX audit_actor ON audit_records(actor);
CREATE INDEX audit_at ON audit_records(at);

-- The last sequence number and hash, so a record cut from the end is noticed.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Regulated records are append-only, also for anyone who bypasses the product.
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER site_versions_no_update BEFORE UPDATE ON site_versions
BEGIN SELECT RAISE(ABORT, 'site versions are append-only'); END;
CREATE TRIGGER site_versions_no_delete BEFORE DELETE ON site_versions
BEGIN SELECT RAISE(ABORT, 'site versions are append-only'); END;
CREATE TRIGGER hospital_versions_no_update BEFORE UPDATE ON hospital_versions
BEGIN SELECT RAISE(ABORT, 'hospital versions are append-only'); END;
CREATE TRIGGER hospital_versions_no_delete BEFORE DELETE ON hospital_versions
BEGIN SELECT RAISE(ABORT, 'hospital versions are append-only'); END;
