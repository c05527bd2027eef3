-- Foundation schema (PostgreSQL). Same tables and meaning as the SQLite tree.

CREATE TABLE sites (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE site_versions (
    site_id UUID NOT NULL REFERENCES sites(id),
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('fixed', 'mobile')),
    address TEXT,
    city TEXT,
    time_zone TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (site_id, version)
);

CREATE TABLE hospitals (
    id UUID PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE hospital_versions (
    hospital_id UUID NOT NULL REFERENCES hospitals(id),
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    address TEXT,
    city TEXT,
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    delivery_site TEXT REFERENCES sites(code),
    status TEXT NOT NULL CHECK (status IN ('active', 'on_hold', 'closed')),
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (hospital_id, version)
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    hospital_id UUID REFERENCES hospitals(id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE donors (
    id UUID PRIMARY KEY,
    donor_number TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    birth_date DATE NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('F', 'M')),
    abo TEXT,
    rhd TEXT,
    email TEXT,
    phone TEXT,
    preferred_site UUID REFERENCES sites(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX donors_name ON donors(last_name, first_name);

CREATE TABLE donations (
    id UUID PRIMARY KEY,
    donor_id UUID NOT NULL REFERENCES donors(id),
    din TEXT UNIQUE,
    procedure TEXT NOT NULL,
    site_id UUID REFERENCES sites(id),
    collected_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX donations_donor ON donations(donor_id, collected_at);

CREATE TABLE audit_records (
    seq BIGINT PRIMARY KEY,
    id UUID NOT NULL UNIQUE,
    at TIMESTAMPTZ NOT NULL,
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

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE FUNCTION hemaflow_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
CREATE TRIGGER site_versions_append_only BEFORE UPDATE OR DELETE ON site_versions
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
CREATE TRIGGER hospital_versions_append_only BEFORE UPDATE OR DELETE ON hospital_versions
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
