-- The record of a treatment at the bedside: times, volumes, replacement fluids, vitals,
-- adverse events, the nurse's signature and the physician's note. Editable until signed;
-- a signed record only gains amendments (with the reason) and the physician's note.
CREATE TABLE apheresis_procedures (
    id UUID PRIMARY KEY,
    treatment_id UUID NOT NULL UNIQUE REFERENCES apheresis_treatments(id),
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ NOT NULL,
    processed_ml BIGINT NOT NULL,
    removed_ml BIGINT NOT NULL,
    albumin_ml BIGINT NOT NULL,
    saline_ml BIGINT NOT NULL,
    vitals_before TEXT NOT NULL,
    vitals_after TEXT NOT NULL,
    -- empty: none
    adverse_events TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    recorded_by TEXT NOT NULL,
    signed_at TIMESTAMPTZ,
    signed_by TEXT,
    signature_meaning TEXT,
    physician_note TEXT,
    physician_by TEXT,
    physician_at TIMESTAMPTZ
);
CREATE FUNCTION hemaflow_procedure_signed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'procedures are never deleted';
    END IF;
    IF OLD.signed_at IS NOT NULL AND (
        NEW.started_at IS DISTINCT FROM OLD.started_at OR NEW.ended_at IS DISTINCT FROM OLD.ended_at
        OR NEW.processed_ml IS DISTINCT FROM OLD.processed_ml OR NEW.removed_ml IS DISTINCT FROM OLD.removed_ml
        OR NEW.albumin_ml IS DISTINCT FROM OLD.albumin_ml OR NEW.saline_ml IS DISTINCT FROM OLD.saline_ml
        OR NEW.vitals_before IS DISTINCT FROM OLD.vitals_before OR NEW.vitals_after IS DISTINCT FROM OLD.vitals_after
        OR NEW.adverse_events IS DISTINCT FROM OLD.adverse_events OR NEW.note IS DISTINCT FROM OLD.note
        OR NEW.signed_at IS DISTINCT FROM OLD.signed_at OR NEW.signed_by IS DISTINCT FROM OLD.signed_by
        OR NEW.signature_meaning IS DISTINCT FROM OLD.signature_meaning OR OLD.physician_note IS NOT NULL) THEN
        RAISE EXCEPTION 'a signed procedure is only amended';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER apheresis_procedures_signed BEFORE UPDATE OR DELETE ON apheresis_procedures
    FOR EACH ROW EXECUTE FUNCTION hemaflow_procedure_signed();
CREATE TRIGGER apheresis_procedures_no_truncate BEFORE TRUNCATE ON apheresis_procedures
    FOR EACH STATEMENT EXECUTE FUNCTION hemaflow_no_truncate();

CREATE TABLE apheresis_amendments (
    id UUID PRIMARY KEY,
    procedure_id UUID NOT NULL REFERENCES apheresis_procedures(id),
    field TEXT NOT NULL,
    before_value TEXT NOT NULL,
    after_value TEXT NOT NULL,
    reason TEXT NOT NULL,
    amended_at TIMESTAMPTZ NOT NULL,
    amended_by TEXT NOT NULL
);
CREATE INDEX apheresis_amendments_procedure ON apheresis_amendments(procedure_id, amended_at);
SELECT hemaflow_protect_append_only('apheresis_amendments');

-- Plasma units from the centre's own stock given in a procedure: each unit once, and the
-- patient's hospital is its consignee.
CREATE TABLE apheresis_plasma_units (
    procedure_id UUID NOT NULL REFERENCES apheresis_procedures(id),
    component_id UUID NOT NULL UNIQUE REFERENCES components(id),
    scanned TEXT NOT NULL,
    scanned_at TIMESTAMPTZ NOT NULL,
    scanned_by TEXT NOT NULL
);
CREATE INDEX apheresis_plasma_units_procedure ON apheresis_plasma_units(procedure_id);
SELECT hemaflow_protect_append_only('apheresis_plasma_units');
