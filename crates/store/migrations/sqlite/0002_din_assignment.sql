-- DIN assignment: one counter per facility (FIN) and year, every DIN handed out
-- recorded once (never reused), and pre-printed DIN label sets.

CREATE TABLE din_sequences (
    fin TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (fin, year)
);

CREATE TABLE din_label_sets (
    id BLOB PRIMARY KEY,
    fin TEXT NOT NULL,
    year INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL CHECK (last_seq >= first_seq),
    registered_at TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    note TEXT
);
CREATE INDEX din_label_sets_range ON din_label_sets(fin, year, first_seq);

CREATE TABLE din_assignments (
    din TEXT PRIMARY KEY,
    fin TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('sequence', 'preprinted', 'imported')),
    label_set_id BLOB REFERENCES din_label_sets(id),
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL
);

CREATE TRIGGER din_assignments_no_update BEFORE UPDATE ON din_assignments
BEGIN SELECT RAISE(ABORT, 'DIN assignments are append-only'); END;
CREATE TRIGGER din_assignments_no_delete BEFORE DELETE ON din_assignments
BEGIN SELECT RAISE(ABORT, 'DIN assignments are append-only'); END;
