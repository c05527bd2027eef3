-- A donation is never changed or removed once recorded; one collected in hemaflow
-- always comes from a screening visit (21 CFR 630.10(e)). Donations loaded from a
-- centre's earlier system are marked as imported.
ALTER TABLE donations ADD COLUMN origin TEXT NOT NULL DEFAULT 'imported'
    CHECK (origin IN ('imported', 'collected') AND (origin = 'imported' OR screening_visit_id IS NOT NULL));
UPDATE donations SET origin = 'collected' WHERE screening_visit_id IS NOT NULL;
CREATE TRIGGER donations_no_update BEFORE UPDATE ON donations
BEGIN SELECT RAISE(ABORT, 'donations are append-only'); END;
CREATE TRIGGER donations_no_delete BEFORE DELETE ON donations
BEGIN SELECT RAISE(ABORT, 'donations are append-only'); END;

-- A register entry made in error is marked so by a new record; the entry stays.
CREATE TABLE donor_deferral_corrections (
    deferral_id BLOB PRIMARY KEY REFERENCES donor_deferrals(id),
    corrected_at TEXT NOT NULL,
    corrected_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TRIGGER donor_deferral_corrections_no_update BEFORE UPDATE ON donor_deferral_corrections
BEGIN SELECT RAISE(ABORT, 'deferral corrections are append-only'); END;
CREATE TRIGGER donor_deferral_corrections_no_delete BEFORE DELETE ON donor_deferral_corrections
BEGIN SELECT RAISE(ABORT, 'deferral corrections are append-only'); END;

-- The donor an audit record concerns, by donor number, so that filtering by donor
-- finds every record of the donor whatever the entity (donation, visit, deferral…).
ALTER TABLE audit_records ADD COLUMN donor_number TEXT;
CREATE INDEX audit_records_donor ON audit_records(donor_number, seq);
