-- The record of a treatment at the bedside: times, volumes, replacement fluids, vitals,
-- adverse events, the nurse's signature and the physician's note. Editable until signed;
-- a signed record only gains amendments (with the reason) and the physician's note.
CREATE TABLE apheresis_procedures (
    id BLOB PRIMARY KEY,
    treatment_id BLOB NOT NULL UNIQUE REFERENCES apheresis_treatments(id),
    started_at TEXT NOT NULL,
    ended_at TEXT NOT NULL,
    processed_ml INTEGER NOT NULL,
    removed_ml INTEGER NOT NULL,
    albumin_ml INTEGER NOT NULL,
    saline_ml INTEGER NOT NULL,
    vitals_before TEXT NOT NULL,
    vitals_after TEXT NOT NULL,
    -- empty: none
    adverse_events TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    signed_at TEXT,
    signed_by TEXT,
    signature_meaning TEXT,
    physician_note TEXT,
    physician_by TEXT,
    physician_at TEXT
);
CREATE TRIGGER apheresis_procedures_signed BEFORE UPDATE ON apheresis_procedures
WHEN OLD.signed_at IS NOT NULL AND (
    NEW.started_at IS NOT OLD.started_at OR NEW.ended_at IS NOT OLD.ended_at OR NEW.processed_ml IS NOT OLD.processed_ml
    OR NEW.removed_ml IS NOT OLD.removed_ml OR NEW.albumin_ml IS NOT OLD.albumin_ml OR NEW.saline_ml IS NOT OLD.saline_ml
    OR NEW.vitals_before IS NOT OLD.vitals_before OR NEW.vitals_after IS NOT OLD.vitals_after OR NEW.adverse_events IS NOT OLD.adverse_events
    OR NEW.note IS NOT OLD.note OR NEW.signed_at IS NOT OLD.signed_at OR NEW.signed_by IS NOT OLD.signed_by
    OR NEW.signature_meaning IS NOT OLD.signature_meaning OR OLD.physician_note IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'a signed procedure is only amended'); END;
CREATE TRIGGER apheresis_procedures_no_delete BEFORE DELETE ON apheresis_procedures
BEGIN SELECT RAISE(ABORT, 'procedures are never deleted'); END;

CREATE TABLE apheresis_amendments (
    id BLOB PRIMARY KEY,
    procedure_id BLOB NOT NULL REFERENCES apheresis_procedures(id),
    field TEXT NOT NULL,
    before_value TEXT NOT NULL,
    after_value TEXT NOT NULL,
    reason TEXT NOT NULL,
    amended_at TEXT NOT NULL,
    amended_by TEXT NOT NULL
);
CREATE INDEX apheresis_amendments_procedure ON apheresis_amendments(procedure_id, amended_at);
CREATE TRIGGER apheresis_amendments_no_update BEFORE UPDATE ON apheresis_amendments
BEGIN SELECT RAISE(ABORT, 'amendments are append-only'); END;
CREATE TRIGGER apheresis_amendments_no_delete BEFORE DELETE ON apheresis_amendments
BEGIN SELECT RAISE(ABORT, 'amendments are append-only'); END;

-- Plasma units from the centre's own stock given in a procedure: each unit once, and the
-- patient's hospital is its consignee.
CREATE TABLE apheresis_plasma_units (
    procedure_id BLOB NOT NULL REFERENCES apheresis_procedures(id),
    component_id BLOB NOT NULL UNIQUE REFERENCES components(id),
    scanned TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    scanned_by TEXT NOT NULL
);
CREATE INDEX apheresis_plasma_units_procedure ON apheresis_plasma_units(procedure_id);
CREATE TRIGGER apheresis_plasma_units_no_update BEFORE UPDATE ON apheresis_plasma_units
BEGIN SELECT RAISE(ABORT, 'plasma units given are append-only'); END;
CREATE TRIGGER apheresis_plasma_units_no_delete BEFORE DELETE ON apheresis_plasma_units
BEGIN SELECT RAISE(ABORT, 'plasma units given are append-only'); END;
