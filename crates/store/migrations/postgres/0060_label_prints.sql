-- Every unit label printed: who printed what, checked against the record (append-only).
CREATE TABLE label_prints (
    id UUID PRIMARY KEY,
    din TEXT NOT NULL,
    product_code TEXT NOT NULL,
    blood_group TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    collected_on TEXT,
    format TEXT NOT NULL,
    donor_id UUID NOT NULL REFERENCES donors(id),
    printed_by TEXT NOT NULL,
    printed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX label_prints_din ON label_prints(din, printed_at);
SELECT hemaflow_protect_append_only('label_prints');

