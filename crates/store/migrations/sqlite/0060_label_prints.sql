-- Every unit label printed: who printed what, checked against the record (append-only).
CREATE TABLE label_prints (
    id BLOB PRIMARY KEY,
    din TEXT NOT NULL,
    product_code TEXT NOT NULL,
    blood_group TEXT NOT NULL,
    -- local YYYY-MM-DDTHH:MM, as printed
    expires_at TEXT NOT NULL,
    collected_on TEXT,
    -- preview, svg, pdf or zpl
    format TEXT NOT NULL,
    donor_id BLOB NOT NULL REFERENCES donors(id),
    printed_by TEXT NOT NULL,
    printed_at TEXT NOT NULL
);
CREATE INDEX label_prints_din ON label_prints(din, printed_at);
CREATE TRIGGER label_prints_no_update BEFORE UPDATE ON label_prints
BEGIN SELECT RAISE(ABORT, 'label prints are append-only'); END;
CREATE TRIGGER label_prints_no_delete BEFORE DELETE ON label_prints
BEGIN SELECT RAISE(ABORT, 'label prints are append-only'); END;

