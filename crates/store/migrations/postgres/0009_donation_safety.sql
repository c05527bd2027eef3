-- A donation is never changed or removed once recorded; one collected in hemaflow
-- always comes from a screening visit (21 CFR 630.10(e)). Donations loaded from a
-- centre's earlier system are marked as imported.
ALTER TABLE donations ADD COLUMN origin TEXT NOT NULL DEFAULT 'imported'
    CHECK (origin IN ('imported', 'collected'));
ALTER TABLE donations ADD CONSTRAINT donations_collected_from_a_visit
    CHECK (origin = 'imported' OR screening_visit_id IS NOT NULL);
UPDATE donations SET origin = 'collected' WHERE screening_visit_id IS NOT NULL;
CREATE TRIGGER donations_append_only BEFORE UPDATE OR DELETE ON donations
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();

-- A register entry made in error is marked so by a new record; the entry stays.
CREATE TABLE donor_deferral_corrections (
    deferral_id UUID PRIMARY KEY REFERENCES donor_deferrals(id),
    corrected_at TIMESTAMPTZ NOT NULL,
    corrected_by TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TRIGGER donor_deferral_corrections_append_only BEFORE UPDATE OR DELETE ON donor_deferral_corrections
    FOR EACH ROW EXECUTE FUNCTION hemaflow_append_only();

-- The donor an audit record concerns, by donor number, so that filtering by donor
-- finds every record of the donor whatever the entity (donation, visit, deferral…).
ALTER TABLE audit_records ADD COLUMN donor_number TEXT;
CREATE INDEX audit_records_donor ON audit_records(donor_number, seq);
