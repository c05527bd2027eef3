-- DIN assignment: one counter per facility (FIN) and year, every DIN handed out
-- recorded once (never reused), and pre-printed DIN label sets.

CREATE TABLE din_sequences (
    fin TEXT NOT NULL,
    year BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (fin, year)
);

CREATE TABLE din_label_sets (
    id UUID PRIMARY KEY,
    fin TEXT NOT NULL,
    year BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL CHECK (last_seq >= first_seq),
    registered_at TIMESTAMPTZ NOT NULL,
    registered_by TEXT NOT NULL,
    note TEXT
);
CREATE INDEX din_label_sets_range ON din_label_sets(fin, year, first_seq);

CREATE TABLE din_assignments (
    din TEXT PRIMARY KEY,
    fin TEXT NOT NULL,
    year BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('sequence', 'preprinted', 'imported')),
    label_set_id UUID REFERENCES din_label_sets(id),
    assigned_at TIMESTAMPTZ NOT NULL,
    assigned_by TEXT NOT NULL
);

CREATE TRIGGER din_assignments_append_only BEFORE UPDATE OR DELETE ON din_assignments
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();
